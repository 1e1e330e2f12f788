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

/** SQLite's shard index migrations. Never edit a shipped migration: add the next one. */
export const SQLITE_SHARD_INDEX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'shards, save counters and saves',
    sql: shardIndexTables('INTEGER', 'BLOB', 'INTEGER', ' STRICT'),
  },
];

/** Postgres's shard index migrations: the same tables, step for step. */
export const POSTGRES_SHARD_INDEX_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'shards, save counters and saves',
    sql: shardIndexTables('BIGINT', 'BYTEA', 'BOOLEAN', ''),
  },
];
