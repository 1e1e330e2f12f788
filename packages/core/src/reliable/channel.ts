import { ShardlineError } from '../errors.js';
import { concatBytes } from '../wire/bytes.js';
import { FRAGMENT_BYTES, MAX_UNRELIABLE_ASSEMBLIES, RELIABLE_WINDOW } from './limits.js';
import type { EntryKind, PacketEntry } from './packet.js';
import { nextSequence, SequenceSet, sequenceDelta, sequenceNewer } from './sequence.js';

/**
 * How a channel delivers:
 * - `reliable-ordered`: every message once, in send order;
 * - `reliable-unordered`: every message once, as soon as it arrives;
 * - `unreliable-sequenced`: maybe lost, never duplicated, never older than one already delivered
 *   (latest wins: positions, inputs);
 * - `unreliable`: maybe lost, in arrival order.
 */
export type ChannelKind = 'reliable-ordered' | 'reliable-unordered' | 'unreliable-sequenced' | 'unreliable';

export interface ChannelConfig {
  kind: ChannelKind;
  /** Higher goes first when a packet or the send budget is short. Default 0. */
  priority?: number;
  /**
   * Deflate each message when that makes it smaller (needs EndpointOptions.compressor). Both peers
   * must configure it alike. Off by default: game state is usually already dense.
   */
  compress?: boolean;
}

export function isReliable(kind: ChannelKind): boolean {
  return kind === 'reliable-ordered' || kind === 'reliable-unordered';
}

/** A piece of a message waiting to be sent: a whole message or one fragment. */
export interface OutgoingUnit {
  entry: PacketEntry;
  /** Send no earlier than this (buffered sends wait to coalesce), unless a packet goes out anyway. */
  notBeforeMs: number;
  /** Reliable units: when last sent (−∞ before the first send) and how often. */
  lastSentMs: number;
  sends: number;
  /** Of those sends, copies that rode in spare packet room before any timeout (not backed off). */
  earlyCopies: number;
}

/** Splits `bytes` into units (fragments when over FRAGMENT_BYTES), the k-th with id `firstId + k`. */
export function splitMessage(
  kind: EntryKind,
  channel: number,
  bytes: Uint8Array,
  firstId: number,
  sameIdForAll: boolean,
  notBeforeMs: number,
): OutgoingUnit[] {
  const count = Math.max(1, Math.ceil(bytes.length / FRAGMENT_BYTES));
  const units: OutgoingUnit[] = [];
  for (let index = 0; index < count; index++) {
    const payload = bytes.subarray(index * FRAGMENT_BYTES, (index + 1) * FRAGMENT_BYTES);
    const id = sameIdForAll ? firstId : (firstId + index) & 0xffff;
    units.push(outgoingUnit(kind, channel, id, index, count, payload, notBeforeMs));
  }
  return units;
}

/** One unit, not yet sent: a whole message (index 0 of 1) or one fragment of it. */
export function outgoingUnit(
  kind: EntryKind,
  channel: number,
  id: number,
  fragmentIndex: number,
  fragmentCount: number,
  payload: Uint8Array,
  notBeforeMs: number,
): OutgoingUnit {
  return {
    entry: { kind, channel, id, fragmentIndex, fragmentCount, payload },
    notBeforeMs,
    lastSentMs: Number.NEGATIVE_INFINITY,
    sends: 0,
    earlyCopies: 0,
  };
}

/** Receiving side of one channel: turns entries into delivered messages, per the channel's kind. */
export interface ChannelReceiver {
  /** Messages this entry completes (possibly several for an ordered channel), else none. */
  receive(entry: PacketEntry): readonly Uint8Array[];
}

/** What a receiver answers when an entry completes nothing (most of them, on reliable channels). */
const NOTHING: readonly Uint8Array[] = Object.freeze([]);

/**
 * Reliable channels. Units carry consecutive 16-bit ids; a fragmented message occupies ids
 * first … first + count − 1. Units outside the window ahead of the next expected id are dropped
 * (the sender never has more in flight), as are units already delivered.
 */
export class ReliableReceiver implements ChannelReceiver {
  /** Next unit id not yet delivered (ordered) or the oldest id still tracked (unordered). */
  private nextId = 0;
  private readonly pending = new Map<number, PacketEntry>();
  /**
   * Units delivered ahead of nextId (unordered channels only). An ordered channel delivers a unit
   * only at nextId and moves nextId past it, so everything it delivered is behind the window.
   */
  private readonly delivered: SequenceSet | undefined;

  constructor(private readonly ordered: boolean) {
    this.delivered = ordered ? undefined : new SequenceSet(RELIABLE_WINDOW * 2);
  }

  receive(entry: PacketEntry): readonly Uint8Array[] {
    const ahead = sequenceDelta(this.nextId, entry.id);
    // Stryker disable next-line ConditionalExpression: a unit behind nextId has its first fragment behind it too, which the check below refuses
    if (ahead < 0 || ahead >= RELIABLE_WINDOW) return NOTHING;
    if (this.pending.has(entry.id) || this.delivered?.has(entry.id)) return NOTHING;
    const first = (entry.id - entry.fragmentIndex) & 0xffff;
    if (sequenceDelta(this.nextId, first) < 0) return NOTHING; // a fragment of a message before the window
    this.pending.set(entry.id, { ...entry, payload: entry.payload.slice() });
    return this.ordered ? this.deliverInOrder() : this.deliverIfComplete(first, entry.fragmentCount);
  }

  private deliverInOrder(): readonly Uint8Array[] {
    let out: Uint8Array[] | undefined;
    for (;;) {
      const head = this.pending.get(this.nextId);
      if (head?.fragmentIndex !== 0) return out ?? NOTHING;
      const message = this.take(this.nextId, head.fragmentCount);
      if (!message) return out ?? NOTHING;
      out ??= [];
      out.push(message);
      this.nextId = (this.nextId + head.fragmentCount) & 0xffff;
    }
  }

  private deliverIfComplete(first: number, count: number): readonly Uint8Array[] {
    const message = this.take(first, count);
    if (!message) return NOTHING;
    // Slide the window past everything delivered contiguously.
    while (this.delivered!.has(this.nextId)) this.nextId = nextSequence(this.nextId);
    return [message];
  }

  /** Removes and joins units first … first + count − 1 if all are present and consistent. */
  private take(first: number, count: number): Uint8Array | undefined {
    const parts: Uint8Array[] = [];
    for (let k = 0; k < count; k++) {
      const unit = this.pending.get((first + k) & 0xffff);
      if (!unit || unit.fragmentIndex !== k || unit.fragmentCount !== count) return undefined;
      parts.push(unit.payload);
    }
    for (let k = 0; k < count; k++) {
      const id = (first + k) & 0xffff;
      this.pending.delete(id);
      this.delivered?.add(id);
    }
    // Stryker disable next-line ConditionalExpression: joining one part copies it, to the same bytes (the copy is what this saves)
    return count === 1 ? parts[0]! : concatBytes(parts);
  }
}

/** Assembles fragmented unreliable messages, keeping at most a few partial ones. */
class UnreliableAssembler {
  private readonly partial = new Map<number, (Uint8Array | undefined)[]>();

  add(entry: PacketEntry): Uint8Array | undefined {
    if (entry.fragmentCount === 1) return entry.payload.slice();
    let parts = this.partial.get(entry.id);
    if (!parts || parts.length !== entry.fragmentCount) {
      parts = new Array<Uint8Array | undefined>(entry.fragmentCount);
      this.partial.delete(entry.id);
      this.partial.set(entry.id, parts);
      if (this.partial.size > MAX_UNRELIABLE_ASSEMBLIES) {
        this.partial.delete(this.partial.keys().next().value as number);
      }
    }
    parts[entry.fragmentIndex] = entry.payload.slice();
    for (const part of parts) if (!part) return undefined;
    this.partial.delete(entry.id);
    return concatBytes(parts as Uint8Array[]);
  }
}

/** Unreliable sequenced: delivers a message only if it is newer than every message delivered before. */
export class SequencedReceiver implements ChannelReceiver {
  private newest = -1;
  private readonly assembler = new UnreliableAssembler();

  receive(entry: PacketEntry): readonly Uint8Array[] {
    if (this.newest >= 0 && !sequenceNewer(entry.id, this.newest)) return NOTHING;
    const message = this.assembler.add(entry);
    if (!message) return NOTHING;
    this.newest = entry.id;
    return [message];
  }
}

/** Plain unreliable: delivers what arrives (packet-level duplicate detection already ran). */
export class UnreliableReceiver implements ChannelReceiver {
  private readonly assembler = new UnreliableAssembler();

  receive(entry: PacketEntry): readonly Uint8Array[] {
    const message = this.assembler.add(entry);
    return message ? [message] : NOTHING;
  }
}

export function receiverFor(kind: ChannelKind): ChannelReceiver {
  switch (kind) {
    case 'reliable-ordered':
      return new ReliableReceiver(true);
    case 'reliable-unordered':
      return new ReliableReceiver(false);
    case 'unreliable-sequenced':
      return new SequencedReceiver();
    case 'unreliable':
      return new UnreliableReceiver();
    default:
      throw new ShardlineError('VALUE_INVALID', `unknown channel kind ${String(kind)}`);
  }
}
