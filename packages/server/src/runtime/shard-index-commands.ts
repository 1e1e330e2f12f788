import { join } from 'node:path';
import { openShardIndexStore } from '../cluster/shard-index/open-shard-index-store.js';
import type { ShardIndexStore, ShardSaveInfo } from '../cluster/shard-index/shard-index-store.js';
import type { ServiceDatabase } from '../services/service-database.js';
import { openPostgres } from '../store/postgres.js';
import { openSqlite } from '../store/sqlite.js';
import type { ClusterConfig } from './cluster-config.js';
import { ConfigError } from './config.js';
import { regenerateShard } from './shard-saves.js';
import { DATABASE_FILE } from './start.js';

/**
 * Runs `work` on a shard's index in its own database (the shard's SQLite file, which must not be
 * in use by a running shard — DatabaseInUseError says so — or the cluster's Postgres).
 */
async function withShardIndex<T>(
  config: ClusterConfig,
  shardName: string,
  work: (store: ShardIndexStore) => Promise<T>,
): Promise<T> {
  const shard = config.shards.find((each) => each.name === shardName);
  if (!shard) {
    throw new ConfigError(
      'shard',
      `${JSON.stringify(shardName)} is not a shard of ${config.name} (${config.shards.map((s) => s.name).join(', ')})`,
    );
  }
  const { postgresUrl, postgresSchema, dataDir } = shard.server;
  let database: ServiceDatabase;
  let close: () => Promise<void>;
  if (postgresUrl) {
    const pool = await openPostgres({
      url: postgresUrl,
      ...(postgresSchema ? { schema: postgresSchema } : {}),
    });
    database = { kind: 'postgres', pool };
    close = () => pool.end();
  } else {
    const sqlite = openSqlite(join(dataDir, DATABASE_FILE));
    database = { kind: 'sqlite', database: sqlite };
    close = async () => void sqlite.close();
  }
  try {
    return await work(await openShardIndexStore(database));
  } finally {
    await close();
  }
}

/**
 * `shardline shard rollback`: the shard's newest `count` saves are undone (kept until its next
 * save), so its next start loads the save before them. Returns that save.
 */
export function rollbackShard(config: ClusterConfig, shard: string, count: number): Promise<ShardSaveInfo> {
  return withShardIndex(config, shard, (store) => store.rollback(config.name, shard, count));
}

/** `shardline shard saves`: the shard's saves, newest first. */
export function listShardSaves(config: ClusterConfig, shard: string): Promise<ShardSaveInfo[]> {
  return withShardIndex(config, shard, (store) => store.saves(config.name, shard));
}

/** `shardline shard regenerate`: a new world session; the next start begins fresh. The new session id. */
export function regenerateShardCommand(config: ClusterConfig, shard: string): Promise<string> {
  return withShardIndex(config, shard, (store) => regenerateShard(store, config.name, shard));
}
