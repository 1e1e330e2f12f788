import {
  type ChannelConfig,
  type EndpointOptions,
  EntryKind,
  type PacketEntry,
  readPacket,
} from '@shardline/core';

/** Channel ids of THREE_CHANNELS. */
export const RELIABLE = 0;
export const PLAIN = 1;
export const SEQUENCED = 2;

/** One channel of each kind most tests need: reliable-ordered, unreliable, unreliable-sequenced. */
export const THREE_CHANNELS: readonly ChannelConfig[] = [
  { kind: 'reliable-ordered' },
  { kind: 'unreliable' },
  { kind: 'unreliable-sequenced' },
];

/** Endpoint options on THREE_CHANNELS where nothing happens unasked: no keepalive, timeout or early copy. */
export const QUIET: EndpointOptions = {
  channels: THREE_CHANNELS,
  keepaliveMs: 60_000,
  timeoutMs: 60_000,
  earlyResends: false,
};

/** Reads packets an endpoint's `update` returned (no headroom): what they carry, for exact counts. */

/** The entries of `packet` other than pings. */
export function dataEntries(packet: Uint8Array): PacketEntry[] {
  return readPacket(packet).entries.filter((entry) => entry.kind !== EntryKind.Ping);
}

/** The packets among `packets` that carry something other than a ping. */
export function withData(packets: readonly Uint8Array[]): Uint8Array[] {
  return packets.filter((packet) => dataEntries(packet).length > 0);
}

/** The reliable unit ids `packets` carry, packet after packet, in the order written. */
export function reliableIds(packets: readonly Uint8Array[]): number[] {
  return packets.flatMap((packet) =>
    dataEntries(packet)
      .filter((entry) => entry.kind === EntryKind.Reliable)
      .map((entry) => entry.id),
  );
}

/** Whether `packet` is a keepalive: a ping and nothing else (a held time aside). */
export function isPing(packet: Uint8Array): boolean {
  const { entries } = readPacket(packet);
  return entries.length === 1 && entries[0]!.kind === EntryKind.Ping;
}

/** Whether `packet` carries no entry at all: an ack-only packet (a held time aside). */
export function isAckOnly(packet: Uint8Array): boolean {
  return readPacket(packet).entries.length === 0;
}

/**
 * A hand-made packet: `sequence`, acknowledging `ack` with `ackBits`, then `body` bytes (entries as
 * PROTOCOL.md §9 lays them out). For packets an endpoint would never send.
 */
export function craftPacket(sequence: number, body: readonly number[], ack = 0, ackBits = 0): Uint8Array {
  const bytes = new Uint8Array(8 + body.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, sequence, true);
  view.setUint16(2, ack, true);
  view.setUint32(4, ackBits >>> 0, true);
  bytes.set(body, 8);
  return bytes;
}

/** The bytes of a whole-message entry of `kind` on `channel` (id written unless plain unreliable). */
export function entryBytes(
  kind: EntryKind,
  channel: number,
  id: number,
  payload: readonly number[],
): number[] {
  const idBytes = kind === EntryKind.Unreliable ? [] : [id & 0xff, id >> 8];
  return [kind, channel, ...idBytes, payload.length, ...payload];
}

/** A ping entry's one byte. */
export const PING_BYTE = EntryKind.Ping;
