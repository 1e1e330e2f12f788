import { compareIds, type RankKey } from './rank-key.js';

/** Numbers per slot in `numbers`: score key, subscore key, reached at (ms), revision. */
const STRIDE = 4;

/** A user's place on a board: rank 1 is the first place. */
export interface Placed {
  rank: number;
  userId: string;
  key: RankKey;
}

/**
 * The entries of a RankIndex, each in a numbered slot (freed slots are reused): its key and
 * revision as 4 doubles in one Float64Array (32 bytes, grown by doubling), its user id in `ids`
 * (8 bytes) and in the Map from user id to slot.
 */
export class RankSlots {
  private readonly slots = new Map<string, number>();
  private readonly ids: string[] = [];
  private numbers = new Float64Array(STRIDE * 1024);
  private readonly free: number[] = [];

  get size(): number {
    return this.slots.size;
  }

  slotOf(userId: string): number | undefined {
    return this.slots.get(userId);
  }

  /** A slot for a user that has none; write its key before ordering it. */
  add(userId: string): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.ids.length;
      if ((slot + 1) * STRIDE > this.numbers.length) {
        const numbers = new Float64Array(this.numbers.length * 2);
        numbers.set(this.numbers);
        this.numbers = numbers;
      }
    }
    this.slots.set(userId, slot);
    this.ids[slot] = userId;
    return slot;
  }

  /** Frees the user's slot (already out of the order). */
  delete(userId: string, slot: number): void {
    this.slots.delete(userId);
    this.ids[slot] = '';
    this.free.push(slot);
  }

  scoreOf(slot: number): number {
    return this.numbers[slot * STRIDE]!;
  }

  revisionOf(slot: number): number {
    return this.numbers[slot * STRIDE + 3]!;
  }

  hasKey(slot: number, key: RankKey): boolean {
    const { numbers } = this;
    const at = slot * STRIDE;
    return (
      key.scoreKey === numbers[at] &&
      key.subscoreKey === numbers[at + 1] &&
      key.reachedAtMs === numbers[at + 2]
    );
  }

  write(slot: number, key: RankKey, revision: number): void {
    const { numbers } = this;
    const at = slot * STRIDE;
    numbers[at] = key.scoreKey;
    numbers[at + 1] = key.subscoreKey;
    numbers[at + 2] = key.reachedAtMs;
    numbers[at + 3] = revision;
  }

  placed(slot: number, rank: number): Placed {
    const { numbers } = this;
    const at = slot * STRIDE;
    const key = { scoreKey: numbers[at]!, subscoreKey: numbers[at + 1]!, reachedAtMs: numbers[at + 2]! };
    return { rank, userId: this.ids[slot]!, key };
  }

  /**
   * Negative if slot `a` ranks ahead of slot `b`: by key, then user id. A difference of two safe
   * integers may round, but keeps its sign and is 0 only when they are equal.
   */
  compare(a: number, b: number): number {
    if (a === b) return 0;
    const { numbers } = this;
    const i = a * STRIDE;
    const j = b * STRIDE;
    return (
      numbers[i]! - numbers[j]! ||
      numbers[i + 1]! - numbers[j + 1]! ||
      numbers[i + 2]! - numbers[j + 2]! ||
      compareIds(this.ids[a]!, this.ids[b]!)
    );
  }
}
