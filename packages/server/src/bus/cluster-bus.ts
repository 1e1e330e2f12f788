/**
 * The seam between server processes: named channels carrying byte payloads (global events, shard
 * RPC, presence). The in-process bus is the embedded default; a Redis bus joins processes on many
 * machines. Every implementation passes the same contract suite (packages/server/test/bus-contract).
 *
 * Contract:
 * - A published payload reaches every handler subscribed to that channel when it is published, on
 *   any member of the same bus, once each (at most once: a member that is not connected misses it).
 * - Handlers run later, never inside `publish`; one publisher's payloads on one channel arrive in
 *   the order they were published.
 * - Handlers get their own copy of the payload; a handler that throws does not stop the others
 *   (its error goes to `onHandlerError`).
 * - Channel names are 1–MAX_CHANNEL_NAME_LENGTH printable ASCII characters; payloads are at most
 *   MAX_BUS_PAYLOAD_BYTES. Anything else, and any call after `close`, is refused with a ShardlineError.
 */
export interface ClusterBus {
  /** Resolves once the bus has taken the payload (not when it is delivered). */
  publish(channel: string, payload: Uint8Array): Promise<void>;
  /** Resolves once `handler` will hear everything published after; the result unsubscribes it. */
  subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe>;
  /** Drops this member's subscriptions; later calls are refused with BUS_CLOSED. */
  close(): Promise<void>;
  /** Where a handler's exception goes (default: console.error). */
  onHandlerError: (error: unknown, channel: string) => void;
}

export type BusHandler = (payload: Uint8Array, channel: string) => void;
export type Unsubscribe = () => Promise<void>;

/** Longest channel name, in characters. */
export const MAX_CHANNEL_NAME_LENGTH = 128;
/** Largest payload, in bytes: a bus carries events and calls, not files. */
export const MAX_BUS_PAYLOAD_BYTES = 1024 * 1024;
