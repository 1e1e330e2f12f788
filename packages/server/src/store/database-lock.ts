import Database from 'better-sqlite3';

/**
 * Another process (or another open in this one) holds the database: two servers must not share one
 * SQLite file, since each keeps state in memory (leaderboard ranks, sessions, caches) that the
 * other's writes would silently contradict. `pid` is the holder's, when it could be read.
 */
export class DatabaseInUseError extends Error {
  override readonly name = 'DatabaseInUseError';
  constructor(
    readonly file: string,
    readonly lockFile: string,
    readonly pid: number | undefined,
  ) {
    super(`${file} is in use by ${describeHolder(pid)} (it holds ${lockFile})`);
  }

  /** 'process 1234', 'this process' or 'another process' (pid unknown). */
  get holder(): string {
    return describeHolder(this.pid);
  }
}

function describeHolder(pid: number | undefined): string {
  return pid === undefined ? 'another process' : pid === process.pid ? 'this process' : `process ${pid}`;
}

export interface DatabaseLock {
  /** Lets go of the lock (idempotent). The operating system also drops it when the process ends. */
  release(): void;
}

/** Rounds of "take, record the pid, let go" before holding the lock regardless (rivals starting together). */
const MAX_RECORD_ROUNDS = 10;

/**
 * Takes the lock that says "this process uses `file`", held until `release()` or the end of the
 * process; throws DatabaseInUseError at once if someone holds it.
 *
 * The lock is SQLite's own, on a small database beside the file (`<file>.lock`, left in place): a
 * write transaction opened and never committed (a RESERVED lock, an OS file lock underneath). The
 * operating system releases it when the holding process dies however it dies, so a crash leaves no
 * stale lock to detect and no pid to trust after reuse. The file also records the holder's pid, for
 * the message: a committed row can only be written between two takes of the lock, so the lock is
 * kept only by a take that finds its own pid already recorded.
 */
export function lockDatabaseFile(file: string): DatabaseLock {
  const lockFile = `${file}.lock`;
  const lock = new Database(lockFile, { timeout: 0 }); // busy: fail now, do not wait
  try {
    lock.pragma('journal_mode = MEMORY'); // nothing worth a journal file
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    for (let round = 1; ; round++) {
      lock.exec('BEGIN IMMEDIATE');
      const recorded = lock.prepare('SELECT pid FROM holder').get() as { pid: number } | undefined;
      if (recorded?.pid === process.pid || round === MAX_RECORD_ROUNDS) break; // held from here on
      lock.exec('DELETE FROM holder');
      lock.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
      lock.exec('COMMIT');
    }
  } catch (error) {
    const busy = isBusy(error);
    const holder = busy ? recordedPid(lock) : undefined;
    lock.close();
    if (!busy) throw error;
    throw new DatabaseInUseError(file, lockFile, holder);
  }
  return { release: () => lock.close() };
}

/** The pid the lock file records, if it can be read (not before its holder has written it). */
function recordedPid(lock: Database.Database): number | undefined {
  try {
    return (lock.prepare('SELECT pid FROM holder').get() as { pid: number } | undefined)?.pid;
  } catch {
    return undefined;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}
