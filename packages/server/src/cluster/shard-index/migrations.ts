import type { Migration } from '../../store/migrations.js';

/** The store area of the shard index (its rows in shardline_migrations). */
export const SHARD_INDEX_AREA = 'shard-index';

/**
 * The shard index's tables in either dialect: `int` is the 64-bit integer type, `bytes` the blob
 * type, `bool` the boolean type (SQLite's STRICT tables keep 0 and 1 as INTEGER), `strict` SQLite's
 * table option. JSON is kept as TEXT in both, exactly as JSON.stringify wrote it.
 * - shard_index_shards: one row per shard written with writeShard.
 * - shard_index_versions: each shard's save counter (the last version given out), never lowered.
 * - shard_index_saves: the saves themselves, undone ones included until the next save.
 * Migration 2 adds shard_index_players (playerTable).
 */
function shardIndexTables(int: string, bytes: string, bool: string, strict: string): string {
  return `
    CREATE TABLE shard_index_shards (
      cluster TEXT NOT NULL,
      shard TEXT NOT NULL,
      session_id TEXT NOT NULL,
      world_options TEXT NOT NULL,
      server_data TEXT NOT NULL,
      features TEXT NOT NULL,
      updated_at_ms ${int} NOT NULL,
      PRIMARY KEY (cluster, shard)
    )${strict};
    CREATE TABLE shard_index_versions (
      cluster TEXT NOT NULL,
      shard TEXT NOT NULL,
      last_version ${int} NOT NULL,
      PRIMARY KEY (cluster, shard)
    )${strict};
    CREATE TABLE shard_index_saves (
      cluster TEXT NOT NULL,
      shard TEXT NOT NULL,
      version ${int} NOT NULL,
      session_id TEXT NOT NULL,
      data ${bytes} NOT NULL,
      size ${int} NOT NULL,
      checksum TEXT NOT NULL,
      saved_at_ms ${int} NOT NULL,
      undone ${bool} NOT NULL,
      PRIMARY KEY (cluster, shard, version)
    )${strict};`;
}

/**
 * Migration 2's table, in either dialect (`int`, `bytes`, `strict` as above; `byteOrder` the
 * collation that sorts user ids by their bytes, as SQLite's default does):
 * - shard_index_players: one player record per (cluster, shard, user id); `transfer` is NULL for a
 *   player who joined the shard, `state` 'held' or 'arriving'.
 */
function playerTable(int: string, bytes: string, byteOrder: string, strict: string): string {
  return `
    CREATE TABLE shard_index_players (
      cluster TEXT NOT NULL,
      shard TEXT NOT NULL,
      user_id TEXT${byteOrder} NOT NULL,
      world TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('held', 'arriving')),
      transfer TEXT,
      data ${bytes} NOT NULL,
      updated_at_ms ${int} NOT NULL,
      PRIMARY KEY (cluster, shard, user_id)
    )${strict};`;
}

/** SQLite's shard index migrations. Never edit a shipped migration: add the next one. */
export const SQLITE_SHARD_INDEX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'shards, save counters and saves',
    sql: shardIndexTables('INTEGER', 'BLOB', 'INTEGER', ' STRICT'),
  },
  { version: 2, name: 'player records', sql: playerTable('INTEGER', 'BLOB', '', ' STRICT') },
];

/** Postgres's shard index migrations: the same tables, step for step. */
export const POSTGRES_SHARD_INDEX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'shards, save counters and saves',
    sql: shardIndexTables('BIGINT', 'BYTEA', 'BOOLEAN', ''),
  },
  { version: 2, name: 'player records', sql: playerTable('BIGINT', 'BYTEA', ' COLLATE "C"', '') },
];
