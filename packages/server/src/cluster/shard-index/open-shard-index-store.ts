import type { ServiceDatabase } from '../../services/service-database.js';
import { PostgresShardIndexStore } from './postgres-shard-index.js';
import type { ShardIndexStore } from './shard-index-store.js';
import { SqliteShardIndexStore } from './sqlite-shard-index.js';

/** The shard index store on either database, its tables migrated. */
export async function openShardIndexStore(database: ServiceDatabase): Promise<ShardIndexStore> {
  return database.kind === 'sqlite'
    ? SqliteShardIndexStore.open(database.database)
    : PostgresShardIndexStore.open(database.pool);
}
