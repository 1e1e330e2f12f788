/** Bookkeeping an UpdateSchedule keeps on each item (no one else writes it). */
export interface Scheduled {
  /** Queued for the next run (markDue). */
  dueNow: boolean;
  /** When the item next needs a run, if not due now (schedule); +∞ when never. */
  nextRunMs: number;
  /** Dropped items are never run again. */
  dropped: boolean;
}

/** Width of the timing wheel's buckets: a scheduled item runs at most this late (ms). */
export const SCHEDULE_GRANULARITY_MS = 8;

/**
 * Which of many items need a run now, found without looking at the others: an item marked due runs
 * at the next `run`; one scheduled for a time runs at the first `run` at or after it (at most
 * SCHEDULE_GRANULARITY_MS late). A timing wheel: items wait in buckets of that width, and entries
 * made stale by a later schedule are skipped. Servers update thousands of mostly idle connections
 * every few ms; this keeps the cost in proportion to the busy ones.
 */
export class UpdateSchedule<T extends Scheduled> {
  private due: T[] = [];
  private running: T[] = [];
  private readonly buckets = new Map<number, T[]>();
  /** The first bucket not run yet (undefined before anything is scheduled). */
  private nextBucket: number | undefined;

  /** Runs `item` at the next run, instead of at any time it was scheduled for (its visit schedules it again). */
  markDue(item: T): void {
    if (item.dueNow || item.dropped) return;
    item.dueNow = true;
    item.nextRunMs = Number.POSITIVE_INFINITY;
    this.due.push(item);
  }

  /** Runs `item` at `atMs` (+∞: never), instead of any earlier schedule; no effect while it is due now. */

  schedule(item: T, atMs: number): void {
    if (item.dueNow || item.dropped) return;
    item.nextRunMs = atMs;
    // Stryker disable next-line ConditionalExpression: without it +∞ waits in a bucket no run reaches (memory only)
    if (atMs === Number.POSITIVE_INFINITY) return;
    const key = bucketOf(atMs);
    // Stryker disable next-line EqualityOperator: at equality nextBucket is set to the value it holds
    if (this.nextBucket === undefined || key < this.nextBucket) this.nextBucket = key; // a time already past runs next
    let bucket = this.buckets.get(key);
    if (!bucket) {
      // Stryker disable next-line ArrayDeclaration: a bucket's stray string entry would be skipped as stale
      bucket = [];
      this.buckets.set(key, bucket);
    }
    bucket.push(item);
  }

  /**
   * When `run` next has something to do: −∞ while an item is marked due, else the start of the
   * earliest bucket holding an item (ms; it may hold only stale entries, so this may be early, never
   * late), +∞ when nothing is scheduled. Lets the edge sleep until then instead of polling.
   */
  nextRunAtMs(): number {
    if (this.due.length > 0) return Number.NEGATIVE_INFINITY;
    let earliest = Number.POSITIVE_INFINITY;
    // Stryker disable next-line EqualityOperator: at equality earliest is set to the value it holds
    for (const key of this.buckets.keys()) if (key < earliest) earliest = key;
    return earliest * SCHEDULE_GRANULARITY_MS;
  }

  /** Runs `visit` on every item due by `nowMs`, once each. Items marked due meanwhile wait for the next run. */
  run(nowMs: number, visit: (item: T) => void): void {
    const running = this.due;
    this.due = this.running;
    this.running = running;
    for (const item of running) {
      item.dueNow = false;
      if (!item.dropped) visit(item);
    }
    running.length = 0;
    const last = Math.floor(nowMs / SCHEDULE_GRANULARITY_MS);
    let key = this.nextBucket ?? last;
    // A shortcut: with no buckets the loop below finds nothing and ends at last + 1 all the same.
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: the loop finds nothing either way (only slower)
    if (this.buckets.size === 0) key = last + 1;
    for (; key <= last; key++) {
      const bucket = this.buckets.get(key);
      if (!bucket) continue;
      this.buckets.delete(key);
      for (const item of bucket) {
        // Skipped: dropped, or due or rescheduled since (a stale entry; markDue sets nextRunMs to +∞).
        if (item.dropped || bucketOf(item.nextRunMs) !== key) continue;
        item.nextRunMs = Number.POSITIVE_INFINITY; // run once, even if scheduled twice for this bucket
        visit(item);
      }
    }
    this.nextBucket = key;
  }
}

/** Items run in the bucket at or after their time, never before it. */
function bucketOf(atMs: number): number {
  return Math.ceil(atMs / SCHEDULE_GRANULARITY_MS);
}
