import type { Migration } from '../../store/migrations.js';

/** The store area of the cloud saves service (its row in shardline_migrations). */
export const SAVES_AREA = 'saves';

/**
 * The saves table in either dialect: `int` is the 64-bit integer type, `bytes` the blob type,
 * `byteOrder` the collation that sorts slot names by their bytes (as SQLite's default does), and
 * `strict` SQLite's table option. No foreign key to users: the store takes user ids as given.
 */
function savesTable(int: string, bytes: string, byteOrder: string, strict: string): string {
  return `
    CREATE TABLE saves (
      user_id TEXT NOT NULL,
      slot TEXT${byteOrder} NOT NULL,
      title TEXT NOT NULL,
      description TEXT NOT NULL,
      data ${bytes} NOT NULL,
      size ${int} NOT NULL,
      checksum TEXT NOT NULL,
      version ${int} NOT NULL,
      updated_at_ms ${int} NOT NULL,
      PRIMARY KEY (user_id, slot)
    )${strict};`;
}

/** SQLite's saves migrations. Never edit a shipped migration: add the next one. */
export const SQLITE_SAVES_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'save slots', sql: savesTable('INTEGER', 'BLOB', '', ' STRICT') },
];

/** Postgres's saves migrations: the same table, step for step. */
export const POSTGRES_SAVES_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'save slots', sql: savesTable('BIGINT', 'BYTEA', ' COLLATE "C"', '') },
];
