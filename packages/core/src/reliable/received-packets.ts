import { PACKET_HISTORY } from './limits.js';
import { SequenceSet, sequenceDelta } from './sequence.js';

/** Headers that acknowledge each received packet with data (one per update). */
export const ACK_REPEATS = 3;

/**
 * What the peer sent us, for duplicate detection and for the acks we owe: each received packet with
 * entries must be acknowledged by `repeats` headers, at most one per update (so one lost ack-only
 * packet rarely loses an ack), see PROTOCOL.md §9.3.
 */
export class ReceivedPackets {
  private readonly received = new SequenceSet(PACKET_HISTORY);
  private newest = -1;
  /** Sequence → how many more headers should acknowledge it. */
  private readonly owed = new Map<number, number>();
  /** Owed acks some header of the current update already carried. */
  private readonly carriedThisUpdate = new Set<number>();
  /** ackBits last computed, for base `cachedBase` (-1: none); receiving a packet invalidates it. */
  // Stryker disable next-line UnaryOperator: before any packet every base's bits are 0, which cachedBits holds
  private cachedBase = -1;
  private cachedBits = 0;

  /** Newest sequence received, or -1 before any. */
  get newestSequence(): number {
    return this.newest;
  }

  /**
   * Records a packet: 'duplicate' if already received, 'stale' if too old to tell, else 'accepted'.
   * `ackRepeats` is how many headers should acknowledge it (0 for packets that elicit no ack).
   */
  accept(sequence: number, ackRepeats: number): 'accepted' | 'duplicate' | 'stale' {
    if (this.newest >= 0) {
      const ahead = sequenceDelta(this.newest, sequence);
      if (ahead <= -PACKET_HISTORY) return 'stale';
      if (this.received.has(sequence)) return 'duplicate';
      // Stryker disable next-line EqualityOperator: ahead 0 is the newest packet itself, already answered 'duplicate'
      if (ahead > 0) this.newest = sequence;
    } else {
      this.newest = sequence;
    }
    this.received.add(sequence);
    this.cachedBase = -1;
    if (ackRepeats > 0 && this.owed.size < PACKET_HISTORY) this.owed.set(sequence, ackRepeats);
    return 'accepted';
  }

  /**
   * The ack fields of a header based at `base` (default: the newest received): bit i set when packet
   * base − i arrived. Counts the header toward every owed ack it carries.
   */
  ackFields(base = this.newest): { ack: number; ackBits: number } {
    if (base < 0) return { ack: 0, ackBits: 0 };
    let ackBits = this.cachedBits;
    // Stryker disable next-line ConditionalExpression: recomputing the cached bits gives the same bits
    if (base !== this.cachedBase) {
      ackBits = 0;
      // Stryker disable next-line EqualityOperator: a 33rd round sets bit 32, which JavaScript takes as bit 0: the base itself, received
      for (let i = 0; i < 32; i++) {
        if (this.received.has((base - i) & 0xffff)) ackBits |= 1 << i;
      }
      this.cachedBase = base;
      this.cachedBits = ackBits;
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: saves an iterator per header; carrying over an empty map changes nothing
    if (this.owed.size > 0) this.carry(base);
    return { ack: base, ackBits: ackBits >>> 0 };
  }

  /** Counts a header based at `base` toward every owed ack it carries. */
  private carry(base: number): void {
    // Keys, not entries: an entry is an array per owed ack per header (changing the value of the key
    // being visited, or deleting it, is safe while iterating a Map).
    for (const sequence of this.owed.keys()) {
      const behind = sequenceDelta(sequence, base);
      if (behind < 0 || behind >= 32 || this.carriedThisUpdate.has(sequence)) continue;
      const repeats = this.owed.get(sequence)!;
      this.carriedThisUpdate.add(sequence);
      if (repeats <= 1) this.owed.delete(sequence);
      else this.owed.set(sequence, repeats - 1);
    }
  }

  /** Whether some received packet still needs acknowledging by a header. */
  get owesAcks(): boolean {
    return this.owed.size > 0;
  }

  /** Base for one more ack-only header this update: the newest owed ack not carried yet, if any. */
  nextUncarriedBase(): number | undefined {
    let base: number | undefined;
    for (const sequence of this.owed.keys()) {
      if (this.carriedThisUpdate.has(sequence)) continue;
      // Stryker disable next-line EqualityOperator: owed sequences are distinct, so the delta is never 0
      if (base === undefined || sequenceDelta(base, sequence) > 0) base = sequence;
    }
    return base;
  }

  /**
   * Closes an update. `forgetOwed`: the transport is reliable, so acks carried anyway suffice (they
   * come with held times to time the round trip, PROTOCOL.md §9.3).
   */
  endUpdate(forgetOwed: boolean): void {
    // Clearing allocates a fresh table even when empty, and most updates carry nothing.
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a guard against clear()'s allocation; clearing an empty set changes nothing
    if (this.carriedThisUpdate.size > 0) this.carriedThisUpdate.clear();
    if (forgetOwed) {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: the same guard, for the map
      if (this.owed.size > 0) this.owed.clear();
    }
  }
}
