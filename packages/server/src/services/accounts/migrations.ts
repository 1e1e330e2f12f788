import type { Migration } from '../../store/migrations.js';

/** The store area of the accounts service (its row in shardline_migrations). */
export const ACCOUNTS_AREA = 'accounts';

/** The accounts tables in either dialect: `time` is the 64-bit integer type, `strict` SQLite's table option. */
function accountsTables(time: string, strict: string): string {
  return `
    CREATE TABLE users (
      id TEXT PRIMARY KEY,
      username TEXT NOT NULL,
      name_key TEXT NOT NULL UNIQUE,
      password_hash TEXT,
      created_at_ms ${time} NOT NULL
    )${strict};
    CREATE TABLE devices (
      device_id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      linked_at_ms ${time} NOT NULL
    )${strict};
    CREATE TABLE sessions (
      id TEXT PRIMARY KEY,
      user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      refresh_hash TEXT NOT NULL,
      created_at_ms ${time} NOT NULL,
      expires_at_ms ${time} NOT NULL,
      revoked_at_ms ${time}
    )${strict};
    CREATE INDEX sessions_by_user ON sessions (user_id);`;
}

/** SQLite's accounts migrations. Never edit a shipped migration: add the next one. */
export const SQLITE_ACCOUNTS_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'users, devices, sessions', sql: accountsTables('INTEGER', ' STRICT') },
];

/** Postgres's accounts migrations: the same tables, step for step. */
export const POSTGRES_ACCOUNTS_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'users, devices, sessions', sql: accountsTables('BIGINT', '') },
];
