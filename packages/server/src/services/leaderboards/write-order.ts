/** One key's operations in flight. */
interface Turns {
  /** The last delete begun, settled or not (undefined once settled and nothing else is queued). */
  lastDelete: Promise<void> | undefined;
  /** The writes begun since that delete, until each settles. */
  writes: Set<Promise<void>>;
  /** Operations begun and not settled: the key is forgotten at 0. */
  pending: number;
}

/**
 * Orders this process's deletes of an entry (a key: board and user) against its other writes to it.
 * Writes run concurrently with one another: their results carry revisions that order them. A
 * delete runs alone: after the writes begun before it, before those begun after it. Without it, a
 * write's late result could put back an entry just deleted, or, the entry being created again with
 * revisions from 1, be taken for an older state.
 */
export class WriteOrder {
  private readonly keys = new Map<string, Turns>();

  write<T>(key: string, run: () => Promise<T>): Promise<T> {
    return this.queue(key, false, run);
  }

  delete<T>(key: string, run: () => Promise<T>): Promise<T> {
    return this.queue(key, true, run);
  }

  private queue<T>(key: string, alone: boolean, run: () => Promise<T>): Promise<T> {
    let turns = this.keys.get(key);
    if (!turns) {
      turns = { lastDelete: undefined, writes: new Set(), pending: 0 };
      this.keys.set(key, turns);
    }
    const before = alone ? Promise.allSettled([turns.lastDelete, ...turns.writes]) : turns.lastDelete;
    const result = before ? before.then(run) : run();
    const settled = result.then(
      () => {},
      () => {},
    );
    if (alone) {
      turns.lastDelete = settled;
      turns.writes.clear();
    } else {
      turns.writes.add(settled);
    }
    turns.pending++;
    const done = turns;
    void settled.then(() => {
      done.writes.delete(settled);
      if (done.lastDelete === settled) done.lastDelete = undefined;
      if (--done.pending === 0) this.keys.delete(key);
    });
    return result;
  }
}
