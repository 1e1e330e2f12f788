import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating it and its directory) the SQLite file at `file`, or an in-memory database for
 * ':memory:'. Write-ahead log, `synchronous = NORMAL`: a committed transaction survives the process
 * being killed at any moment (it is in the OS's hands once `run` returns); a power cut may lose the
 * last few commits, never the file. Foreign keys are enforced; a writer waits up to 5 s for another
 * process's lock before failing with SQLITE_BUSY.
 */
export function openSqlite(file: string): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return database;
}
