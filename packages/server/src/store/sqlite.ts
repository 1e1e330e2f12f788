import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { dropOldest } from '../recent-map.js';
import { lockDatabaseFile } from './database-lock.js';

export type SqliteDatabase = Database.Database;

/** Prepared statements each database keeps for reuse, most recently used last. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Opens (creating it and its directory) the SQLite file at `file`, or an in-memory database for
 * ':memory:'. Write-ahead log, `synchronous = NORMAL`: a committed transaction survives the process
 * being killed at any moment (it is in the OS's hands once `run` returns); a power cut may lose the
 * last few commits, never the file. Foreign keys are enforced; a writer waits up to 5 s for another
 * process's lock before failing with SQLITE_BUSY. Up to 64 MiB of pages are cached.
 *
 * A file is this process's alone while open: a second open, here or in another process, throws
 * DatabaseInUseError (see lockDatabaseFile); `close()` lets go of it.
 *
 * Its `prepare` reuses statements: the same SQL text gives the same prepared statement (the
 * STATEMENT_CACHE_SIZE most recently used are kept), so stores may call `prepare` per query without
 * paying to compile it each time. Do not change a statement's modes (`pluck`, `raw`, …): it is shared.
 */
export function openSqlite(file: string): SqliteDatabase {
  if (file === ':memory:') return configure(new Database(file));
  mkdirSync(dirname(file), { recursive: true });
  const lock = lockDatabaseFile(file);
  let database: SqliteDatabase | undefined;
  try {
    database = new Database(file);
    configure(database);
  } catch (error) {
    database?.close();
    lock.release();
    throw error;
  }
  const close = database.close.bind(database);
  database.close = () => {
    close();
    lock.release();
    return database;
  };
  return database;
}

/** The statement cache and the pragmas above, on a database just opened. */
function configure(database: SqliteDatabase): SqliteDatabase {
  const compile = database.prepare.bind(database);
  const statements = new Map<string, Database.Statement>();
  database.prepare = ((sql: string) => {
    let statement = statements.get(sql);
    if (statement) statements.delete(sql);
    else statement = compile(sql);
    statements.set(sql, statement); // now the most recently used
    dropOldest(statements, STATEMENT_CACHE_SIZE);
    return statement;
  }) as SqliteDatabase['prepare'];
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // Hot rows (a leaderboard's windows, sessions) stay in memory: 64 MiB of page cache (the default
  // is 2 MiB), and reads through a memory map of up to 256 MiB of the file.
  database.pragma('cache_size = -65536');
  database.pragma('mmap_size = 268435456');
  return database;
}
