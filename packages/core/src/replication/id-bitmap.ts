/**
 * Entity ids as bits over their range: when the ids are dense enough (the range in 32-bit words is
 * small next to their number), sorting them and testing membership become word operations instead of
 * comparisons and hash lookups. Sparse id sets fall back to the native sort and a Set.
 */
/** Dense enough for bits: at most this many 32-bit words per id, beyond a floor of MIN_WORDS. */
const MAX_WORDS_PER_ID = 4;
const MIN_WORDS = 64;

export class IdBitmap {
  private words = new Uint32Array(64);
  private min = 0;
  private wordCount = 0;
  private fallback: ReadonlySet<number> | undefined;

  /** Writes `ids[0 … count)`, which are distinct, into `out[0 … count)` in ascending order. */
  sortInto(ids: Uint32Array, count: number, out: Uint32Array): void {
    if (!this.fill(ids, count)) {
      out.set(ids.subarray(0, count));
      out.subarray(0, count).sort();
      return;
    }
    let n = 0;
    for (let w = 0; w < this.wordCount; w++) {
      let bits = this.words[w]!;
      if (bits === 0) continue;
      this.words[w] = 0;
      while (bits !== 0) {
        const lowest = bits & -bits;
        out[n++] = this.min + w * 32 + (31 - Math.clz32(lowest));
        bits ^= lowest;
      }
    }
    this.wordCount = 0;
  }

  /** Makes `has` answer for these ids (until the next call). */
  mark(ids: ReadonlySet<number>): void {
    this.clear();
    const array = Uint32Array.from(ids);
    this.fallback = this.fill(array, array.length) ? undefined : ids;
  }

  has(id: number): boolean {
    if (this.fallback) return this.fallback.has(id);
    const offset = id - this.min;
    if (offset < 0 || offset >= this.wordCount * 32) return false;
    return ((this.words[offset >>> 5]! >>> (offset & 31)) & 1) === 1;
  }

  /** Sets the bits of the ids if their range is dense enough; false (nothing set) if not. */
  private fill(ids: Uint32Array, count: number): boolean {
    if (count === 0) return false;
    let min = ids[0]!;
    let max = min;
    for (let i = 1; i < count; i++) {
      const id = ids[i]!;
      if (id < min) min = id;
      else if (id > max) max = id;
    }
    const wordCount = Math.floor((max - min) / 32) + 1;
    if (wordCount > MAX_WORDS_PER_ID * count + MIN_WORDS) return false;
    if (wordCount > this.words.length)
      this.words = new Uint32Array(Math.max(wordCount, this.words.length * 2));
    this.min = min;
    this.wordCount = wordCount;
    for (let i = 0; i < count; i++) {
      const offset = ids[i]! - min;
      this.words[offset >>> 5] = (this.words[offset >>> 5]! | (1 << (offset & 31))) >>> 0;
    }
    return true;
  }

  private clear(): void {
    this.words.fill(0, 0, this.wordCount);
    this.wordCount = 0;
  }
}
