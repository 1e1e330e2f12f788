/** Ticks the summary looks back over. */
const WINDOW = 100;

/** The recent durations of a world's ticks, ms: the last, their mean and their maximum over the window. */
export class TickTimes {
  private readonly times = new Float64Array(WINDOW);
  private count = 0;

  /** The newest tick's duration (0 before any). */
  get last(): number {
    return this.count === 0 ? 0 : this.times[(this.count - 1) % WINDOW]!;
  }

  add(ms: number): void {
    this.times[this.count % WINDOW] = ms;
    this.count++;
  }

  summary(): { last: number; mean: number; max: number } {
    const n = Math.min(this.count, WINDOW);
    if (n === 0) return { last: 0, mean: 0, max: 0 };
    let sum = 0;
    let max = 0;
    for (let i = 0; i < n; i++) {
      sum += this.times[i]!;
      if (this.times[i]! > max) max = this.times[i]!;
    }
    return { last: this.last, mean: sum / n, max };
  }
}
