import type { SqliteDatabase } from './sqlite.js';

interface Job {
  work(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A job's result, kept until the batch's transaction has committed. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit for a SQLite database: writes asked for in one turn of the event loop run together
 * in one transaction (at `setImmediate`), and each promise settles only once that transaction has
 * committed, so an answered write is as durable as if it had committed alone. A job that throws
 * fails alone (its statement is undone; the others commit); a commit that fails fails them all.
 * Many small writes then share one commit's work (one write of the log's pages instead of one each).
 */
export function writeBatcher(database: SqliteDatabase): <T>(work: () => T) => Promise<T> {
  let pending: Job[] = [];
  const runAll = database.transaction((batch: Job[]) =>
    batch.map((job): Outcome => {
      try {
        return { ok: true, value: job.work() };
      } catch (error) {
        return { ok: false, error };
      }
    }),
  );
  const flush = () => {
    const batch = pending;
    pending = [];
    let outcomes: Outcome[];
    try {
      outcomes = runAll(batch);
    } catch (error) {
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  };
  return <T>(work: () => T) =>
    new Promise<T>((resolve, reject) => {
      pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (pending.length === 1) setImmediate(flush);
    });
}
