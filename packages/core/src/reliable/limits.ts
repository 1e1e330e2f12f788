/** Named limits of the reliable layer, with their reasons. */

/** Default largest packet: fits an IPv6 path (1280) after UDP/IP headers and encryption overhead. */
export const DEFAULT_MTU_BYTES = 1200;

/** Largest message a game may send: fragments of FRAGMENT_BYTES, at most MAX_FRAGMENTS of them. */
export const MAX_MESSAGE_BYTES = 1 << 20;

/** Payload bytes per fragment: a fragment plus its headers always fits DEFAULT_MTU_BYTES. */
export const FRAGMENT_BYTES = 1024;

/** MAX_MESSAGE_BYTES / FRAGMENT_BYTES. */
export const MAX_FRAGMENTS = MAX_MESSAGE_BYTES / FRAGMENT_BYTES;

/**
 * Reliable units (messages or fragments) a channel may have in flight. Receivers accept unit ids
 * within this window of the next one they expect; it must stay below half the 16-bit id space.
 */
export const RELIABLE_WINDOW = 4096;

/**
 * Packets remembered for acks and duplicate detection. A sender never has more data packets than this
 * unresolved (neither acked nor known lost), so an ack always finds the packet it names.
 */
export const PACKET_HISTORY = 4096;

/** Each resend of the same unit waits twice as long as the one before, up to 2^this times the timeout. */
export const MAX_RESEND_BACKOFF_DOUBLINGS = 4;

/** Channels per connection: the channel id is one byte. */
export const MAX_CHANNELS = 256;

/** Partly received unreliable fragmented messages kept per channel before the oldest is dropped. */
export const MAX_UNRELIABLE_ASSEMBLIES = 8;
