import type { RankSlots } from './rank-slots.js';

/**
 * One block of a RankIndex: at most `capacity` slot numbers in rank order, each with its score key
 * beside it, so a search compares scores within the block's own arrays and looks up the slots'
 * whole keys only between equal scores. 12 bytes per place (an Int32Array and a Float64Array).
 */
export class RankBlock {
  readonly slots: Int32Array;
  readonly scores: Float64Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.slots = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  /** The first index whose entry does not rank ahead of `slot` (score key `score`). */
  lowerBound(slot: number, score: number, keys: RankSlots): number {
    const { slots, scores } = this;
    let from = 0;
    let to = this.size;
    while (from < to) {
      const middle = (from + to) >>> 1;
      const other = scores[middle]!;
      if (other < score || (other === score && keys.compare(slots[middle]!, slot) < 0)) from = middle + 1;
      else to = middle;
    }
    return from;
  }

  /** Puts `slot` at `index`, moving those from there on one place back (the block is not full). */
  insert(index: number, slot: number, score: number): void {
    this.slots.copyWithin(index + 1, index, this.size);
    this.scores.copyWithin(index + 1, index, this.size);
    this.slots[index] = slot;
    this.scores[index] = score;
    this.size++;
  }

  removeAt(index: number): void {
    this.slots.copyWithin(index, index + 1, this.size);
    this.scores.copyWithin(index, index + 1, this.size);
    this.size--;
  }

  /** Moves the entries from `index` on into a new block, which it answers. */
  splitAt(index: number): RankBlock {
    const right = new RankBlock(this.capacity);
    right.slots.set(this.slots.subarray(index, this.size));
    right.scores.set(this.scores.subarray(index, this.size));
    right.size = this.size - index;
    this.size = index;
    return right;
  }

  /** Appends all of `next`, whose entries rank after these and fit. */
  append(next: RankBlock): void {
    this.slots.set(next.slots.subarray(0, next.size), this.size);
    this.scores.set(next.scores.subarray(0, next.size), this.size);
    this.size += next.size;
  }
}
