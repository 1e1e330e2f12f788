/** 16-bit wrapping sequence numbers (packets, reliable units, sequenced messages). */

export const SEQUENCE_MODULUS = 0x1_0000;
const HALF = 0x8000;

/** True when `a` is newer than `b`, wrap-aware (they are within half the space of each other). */
export function sequenceNewer(a: number, b: number): boolean {
  return a !== b && ((a - b) & 0xffff) < HALF;
}

/** `b - a` in [-32768, 32767]: how far `b` is ahead of `a`. */
export function sequenceDelta(a: number, b: number): number {
  return ((b - a + HALF) & 0xffff) - HALF;
}

export function nextSequence(sequence: number): number {
  return (sequence + 1) & 0xffff;
}

/**
 * A ring of `size` slots indexed by sequence number, remembering which sequence each slot holds, so a
 * stale sequence that maps onto a reused slot is not mistaken for the current one (Fiedler's sequence
 * buffer).
 */
export class SequenceBuffer<T> {
  private readonly sequences: Int32Array;
  private readonly values: (T | undefined)[];

  constructor(readonly size: number) {
    this.sequences = new Int32Array(size).fill(-1);
    this.values = new Array<T | undefined>(size);
  }

  set(sequence: number, value: T): void {
    const slot = sequence % this.size;
    this.sequences[slot] = sequence;
    this.values[slot] = value;
  }

  get(sequence: number): T | undefined {
    const slot = sequence % this.size;
    return this.sequences[slot] === sequence ? this.values[slot] : undefined;
  }

  has(sequence: number): boolean {
    return this.sequences[sequence % this.size] === sequence;
  }

  delete(sequence: number): void {
    const slot = sequence % this.size;
    if (this.sequences[slot] === sequence) {
      this.sequences[slot] = -1;
      this.values[slot] = undefined;
    }
  }
}
