import type { Migration } from '../../store/migrations.js';

/** The store area of the friends service (its row in shardline_migrations). */
export const FRIENDS_AREA = 'friends';

/**
 * The friends table in either dialect: `time` is the 64-bit integer type, `strict` SQLite's table
 * option. One row per pair of users, ids in canonical order (see FriendsStore): a pending request
 * while friends_since_ms is null, a friendship after. No foreign keys to users: the accounts tables
 * may live elsewhere or be migrated later.
 */
function friendsTables(time: string, strict: string): string {
  return `
    CREATE TABLE friend_pairs (
      low_id TEXT NOT NULL,
      high_id TEXT NOT NULL,
      requester_id TEXT NOT NULL CHECK (requester_id = low_id OR requester_id = high_id),
      requested_at_ms ${time} NOT NULL,
      friends_since_ms ${time},
      PRIMARY KEY (low_id, high_id),
      CHECK (low_id <> high_id)
    )${strict};
    CREATE INDEX friend_pairs_by_high ON friend_pairs (high_id);`;
}

/** SQLite's friends migrations. Never edit a shipped migration: add the next one. */
export const SQLITE_FRIENDS_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'friend pairs', sql: friendsTables('INTEGER', ' STRICT') },
];

/** Postgres's friends migrations: the same tables, step for step. */
export const POSTGRES_FRIENDS_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'friend pairs', sql: friendsTables('BIGINT', '') },
];
