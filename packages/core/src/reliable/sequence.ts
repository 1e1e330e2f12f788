/** 16-bit wrapping sequence numbers (packets, reliable units, sequenced messages). */

export const SEQUENCE_MODULUS = 0x1_0000;
const HALF = 0x8000;

/** True when `a` is newer than `b`, wrap-aware (they are within half the space of each other). */
export function sequenceNewer(a: number, b: number): boolean {
  return a !== b && ((a - b) & 0xffff) < HALF;
}

/** `b - a` in [-32768, 32767]: how far `b` is ahead of `a`. */
export function sequenceDelta(a: number, b: number): number {
  // Stryker disable next-line ArithmeticOperator: + 0x8000 and − 0x8000 are the same modulo 0x10000
  return ((b - a + HALF) & 0xffff) - HALF;
}

export function nextSequence(sequence: number): number {
  return (sequence + 1) & 0xffff;
}

/**
 * Which of the recent sequences are present: a ring of `size` slots indexed by sequence number, each
 * remembering the sequence it holds, so a stale sequence that maps onto a reused slot is not mistaken
 * for the current one (Fiedler's sequence buffer, keeping no values: a typed array, nothing for the
 * garbage collector to trace).
 */
export class SequenceSet {
  private readonly sequences: Int32Array;

  constructor(readonly size: number) {
    this.sequences = new Int32Array(size).fill(-1);
  }

  add(sequence: number): void {
    this.sequences[sequence % this.size] = sequence;
  }

  has(sequence: number): boolean {
    return this.sequences[sequence % this.size] === sequence;
  }
}
