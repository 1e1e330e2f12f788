import { ShardlineError } from '../errors.js';
import { nextSequence, sequenceNewer } from '../reliable/sequence.js';
import type { StructValue } from '../schema/composite.js';
import type { Infer } from '../schema/field.js';
import { BitReader } from '../wire/bit-reader.js';
import { BitWriter } from '../wire/bit-writer.js';
import { MAX_SEAT_BYTES } from './seat-messages.js';
import type { AnyEntitySchema } from './world-schema.js';

/** One peer's published state: numbered, stamped with the publisher's clock (ms, u32, wrapping). */
export interface PublishedState {
  sequence: number;
  timeMs: number;
  state: Record<string, unknown>;
}

/** A remote peer as another peer sees it: its latest state and when it was taken. */
export interface StateProxy extends PublishedState {
  seat: string;
}

/**
 * State template messages (PROTOCOL.md §14), bit-packed: a publish (client → server) is sequence
 * u16, time u32, then the template struct in full; a relay (server → clients) puts the publisher's
 * seat (string, ≤ 64 bytes) in front.
 */
export function encodePublish(
  template: AnyEntitySchema,
  published: PublishedState,
  seat?: string,
): Uint8Array {
  const writer = new BitWriter({ initialBytes: 64 });
  if (seat !== undefined) writer.writeString(seat, MAX_SEAT_BYTES);
  writer.writeUint(published.sequence, 16);
  writer.writeUint(published.timeMs >>> 0, 32);
  template.write(writer, published.state as StructValue<never>);
  return writer.toBytes();
}

export function decodePublish(template: AnyEntitySchema, bytes: Uint8Array, withSeat: true): StateProxy;
export function decodePublish(template: AnyEntitySchema, bytes: Uint8Array, withSeat: false): PublishedState;
export function decodePublish(
  template: AnyEntitySchema,
  bytes: Uint8Array,
  withSeat: boolean,
): PublishedState | StateProxy {
  const reader = new BitReader(bytes);
  const seat = withSeat ? reader.readString(MAX_SEAT_BYTES) : undefined;
  const sequence = reader.readUint(16);
  const timeMs = reader.readUint(32);
  const state = template.read(reader) as Record<string, unknown>;
  reader.expectEnd();
  return seat === undefined ? { sequence, timeMs, state } : { seat, sequence, timeMs, state };
}

/** The publishing side: numbers each state of this peer's template. Send on an unreliable channel. */
export class StatePublisher<S extends AnyEntitySchema> {
  private sequence = 0;

  constructor(readonly template: S) {}

  /** The message for `state` taken at `timeMs` (e.g. TimeSync's server time); VALUE_INVALID if it does not fit. */
  encode(state: Infer<S>, timeMs: number): Uint8Array {
    const bytes = encodePublish(this.template, { sequence: this.sequence, timeMs, state });
    this.sequence = nextSequence(this.sequence);
    return bytes;
  }
}

/**
 * The server side, per world: accepts a seat's published states (only newer ones, at most
 * `maxPerSecond`) and builds the relay message for the other seats, numbered by the relay. Throws ShardlineError
 * (WIRE_*, RATE_LIMITED) to reject; returns undefined for a duplicate or late state.
 */
export class StateRelay {
  /** Per seat: the publisher's last accepted sequence and this second's count. */
  private readonly last = new Map<string, { sequence: number; windowStartMs: number; count: number }>();
  /**
   * Per seat: the sequence of the next relay. Receivers order by it, so it keeps counting when a
   * client rejoins with a new publisher (whose own numbering starts over).
   */
  private readonly relayed = new Map<string, number>();

  constructor(
    readonly template: AnyEntitySchema,
    private readonly maxPerSecond = 120,
  ) {}

  relay(seat: string, bytes: Uint8Array, nowMs: number): Uint8Array | undefined {
    const seen = this.last.get(seat);
    if (seen && nowMs - seen.windowStartMs < 1000 && seen.count >= this.maxPerSecond) {
      throw new ShardlineError('RATE_LIMITED', `more than ${this.maxPerSecond} states a second`, { seat });
    }
    const published = decodePublish(this.template, bytes, false);
    if (seen && !sequenceNewer(published.sequence, seen.sequence)) return undefined;
    if (!seen || nowMs - seen.windowStartMs >= 1000) {
      this.last.set(seat, { sequence: published.sequence, windowStartMs: nowMs, count: 1 });
    } else {
      seen.sequence = published.sequence;
      seen.count++;
    }
    const sequence = this.relayed.get(seat) ?? 0;
    this.relayed.set(seat, nextSequence(sequence));
    return encodePublish(this.template, { ...published, sequence }, seat);
  }

  /** The seat's client rejoined with a new publisher: accept its numbering from scratch. */
  restart(seat: string): void {
    this.last.delete(seat);
  }

  /** The seat was given up: forget it. */
  remove(seat: string): void {
    this.last.delete(seat);
    this.relayed.delete(seat);
  }
}

/** The receiving side: one proxy per remote seat, holding its newest state. */
export class StateProxies {
  /** A proxy appeared or changed. */
  onUpdate: ((proxy: StateProxy) => void) | undefined;
  private readonly proxies = new Map<string, StateProxy>();
  /** Seats that left: a relay sent just before the seat's `left` may arrive after it. Ids are never reused. */
  private readonly gone = new Set<string>();

  constructor(readonly template: AnyEntitySchema) {}

  /** Applies a relay message; a duplicate or older state changes nothing. Throws ShardlineError for bad bytes. */
  receive(bytes: Uint8Array): void {
    const proxy = decodePublish(this.template, bytes, true);
    if (this.gone.has(proxy.seat)) return;
    const current = this.proxies.get(proxy.seat);
    if (current && !sequenceNewer(proxy.sequence, current.sequence)) return;
    this.proxies.set(proxy.seat, proxy);
    this.onUpdate?.(proxy);
  }

  get(seat: string): StateProxy | undefined {
    return this.proxies.get(seat);
  }

  get seats(): string[] {
    return [...this.proxies.keys()];
  }

  /** Forgets every proxy and every seat gone (the client moved to another world: its seats are others). */
  clear(): void {
    this.proxies.clear();
    this.gone.clear();
  }

  /** The peer left: drop its proxy, and ignore any relay of it still on the way. */
  remove(seat: string): void {
    this.proxies.delete(seat);
    this.gone.add(seat);
  }
}
