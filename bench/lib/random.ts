/**
 * Deterministic pseudo-random numbers for benchmarks and bots: xorshift32 over a non-zero seed.
 * Not for anything secret.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x1_0000_0000;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [0, count). */
  index(count: number): number {
    return Math.floor(this.next() * count);
  }

  /** `count` distinct integers from [0, size), ascending. */
  sample(size: number, count: number): number[] {
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(this.index(size));
    return [...chosen].sort((a, b) => a - b);
  }
}
