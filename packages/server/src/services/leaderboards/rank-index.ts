import { RankBlock } from './rank-block.js';
import type { RankKey } from './rank-key.js';
import { type Placed, RankSlots } from './rank-slots.js';

export type { Placed } from './rank-slots.js';

/**
 * An order-statistic index of one board (sqrt decomposition): its entries' slots (rank-slots.ts),
 * sorted by key then user id, in blocks (rank-block.ts) of at most 2^blockBits places (2048 by
 * default; tests make them small). A full block splits in halves; two neighbours that fit in half a
 * block together merge, so any two hold more and there are at most 2n/half + 1 blocks.
 *
 * Finding a user's place is a binary search over the blocks' last score keys, then one within a
 * block: O(log n) comparisons of score keys held side by side in arrays (a slot's whole key is read
 * only between equal scores). rankOf then adds the sizes of the blocks before it; set and remove
 * move at most a block's places; range(from, count) walks the block sizes, then `count` entries.
 */
export class RankIndex {
  private readonly keys = new RankSlots();
  /** Never an empty block, except the one block of an empty index. */
  private readonly blocks: RankBlock[];
  /** Each block's size, and the score key of its last entry, side by side for the walks above. */
  private readonly sizes: number[] = [0];
  private readonly lasts: number[] = [0];
  private readonly half: number;

  constructor(blockBits = 11) {
    this.blocks = [new RankBlock(2 ** blockBits)];
    this.half = 2 ** (blockBits - 1);
  }

  /** Users on the board. */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Places the user at `key`, as of `revision` (their row's write counter): ignored, false, if the
   * user is already placed as of that revision or a later one (a write that completed late).
   */
  set(userId: string, key: RankKey, revision: number): boolean {
    const { keys } = this;
    let slot = keys.slotOf(userId);
    if (slot === undefined) {
      slot = keys.add(userId);
    } else {
      if (revision <= keys.revisionOf(slot)) return false;
      if (keys.hasKey(slot, key)) {
        keys.write(slot, key, revision);
        return true;
      }
      this.unlink(slot);
    }
    keys.write(slot, key, revision);
    this.link(slot);
    return true;
  }

  /** Takes the user off the board; false if they were not on it. */
  remove(userId: string): boolean {
    const slot = this.keys.slotOf(userId);
    if (slot === undefined) return false;
    this.unlink(slot);
    this.keys.delete(userId, slot);
    return true;
  }

  /** The user's rank (1-based), or undefined if they are not on the board. */
  rankOf(userId: string): number | undefined {
    const slot = this.keys.slotOf(userId);
    return slot === undefined ? undefined : this.rankAt(slot);
  }

  /** The revision of the user's entry as the index holds it, or undefined if they are not on the board. */
  revisionOf(userId: string): number | undefined {
    const slot = this.keys.slotOf(userId);
    return slot === undefined ? undefined : this.keys.revisionOf(slot);
  }

  placeOf(userId: string): Placed | undefined {
    const slot = this.keys.slotOf(userId);
    return slot === undefined ? undefined : this.keys.placed(slot, this.rankAt(slot));
  }

  /** The entries from rank `fromRank` (≥ 1) on, at most `count`, in rank order. */
  range(fromRank: number, count: number): Placed[] {
    const { blocks, sizes } = this;
    let block = 0;
    let index = fromRank - 1;
    while (block < blocks.length && index >= sizes[block]!) index -= sizes[block++]!;
    const found: Placed[] = [];
    for (let rank = fromRank; found.length < count && block < blocks.length; rank++) {
      found.push(this.keys.placed(blocks[block]!.slots[index]!, rank));
      if (++index === sizes[block]) {
        block++;
        index = 0;
      }
    }
    return found;
  }

  /** The rank of a slot on the board. */
  private rankAt(slot: number): number {
    const block = this.blockOf(slot);
    let rank = this.blocks[block]!.lowerBound(slot, this.keys.scoreOf(slot), this.keys) + 1;
    for (let before = block; before-- > 0; ) rank += this.sizes[before]!;
    return rank;
  }

  /** The block the slot is in or belongs in: the first whose last entry is not ahead, else the last. */
  private blockOf(slot: number): number {
    const { blocks, lasts, keys } = this;
    const score = keys.scoreOf(slot);
    let low = 0;
    let high = blocks.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const last = lasts[middle]!;
      if (last < score || (last === score && keys.compare(this.lastSlot(middle), slot) < 0)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private lastSlot(index: number): number {
    const block = this.blocks[index]!;
    return block.slots[block.size - 1]!;
  }

  /** Records block `index`'s size and last score key after a change to it. */
  private noted(index: number): void {
    const block = this.blocks[index]!;
    this.sizes[index] = block.size;
    this.lasts[index] = block.scores[block.size - 1] ?? 0;
  }

  private addBlock(index: number, block: RankBlock): void {
    this.blocks.splice(index, 0, block);
    this.sizes.splice(index, 0, 0);
    this.lasts.splice(index, 0, 0);
    this.noted(index);
  }

  private dropBlock(index: number): void {
    this.blocks.splice(index, 1);
    this.sizes.splice(index, 1);
    this.lasts.splice(index, 1);
  }

  /** Inserts the slot (its key written) in order; a load's ascending keys take the append path. */
  private link(slot: number): void {
    const { blocks, keys } = this;
    const score = keys.scoreOf(slot);
    let index = blocks.length - 1;
    let block = blocks[index]!;
    let at = block.size;
    const last = this.lasts[index]!;
    if (at > 0 && (last > score || (last === score && keys.compare(this.lastSlot(index), slot) > 0))) {
      index = this.blockOf(slot);
      block = blocks[index]!;
      at = block.lowerBound(slot, score, keys);
    }
    if (block.size === block.capacity) {
      // Past the end of a full last block (a load's append) starts a new block; else halve it.
      const appending = index === blocks.length - 1 && at === block.size;
      this.addBlock(index + 1, appending ? new RankBlock(block.capacity) : block.splitAt(this.half));
      this.noted(index);
      if (at > block.size || appending) [index, at] = [index + 1, at - block.size];
      block = blocks[index]!;
    }
    block.insert(at, slot, score);
    this.noted(index);
  }

  /** Takes the slot out of its block, then drops the block if empty or merges it with a neighbour. */
  private unlink(slot: number): void {
    const { blocks, keys } = this;
    const index = this.blockOf(slot);
    const block = blocks[index]!;
    block.removeAt(block.lowerBound(slot, keys.scoreOf(slot), keys));
    this.noted(index);
    if (blocks.length === 1) return;
    if (block.size === 0) this.dropBlock(index);
    else if (!this.merge(index - 1)) this.merge(index);
  }

  /** Merges block `left` and the next one if both exist and hold half a block at most together. */
  private merge(left: number): boolean {
    const { blocks, sizes } = this;
    if (left < 0 || left + 1 >= blocks.length || sizes[left]! + sizes[left + 1]! > this.half) return false;
    blocks[left]!.append(blocks[left + 1]!);
    this.dropBlock(left + 1);
    this.noted(left);
    return true;
  }
}
