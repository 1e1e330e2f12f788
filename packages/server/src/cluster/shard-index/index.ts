export {
  POSTGRES_SHARD_INDEX_MIGRATIONS,
  SHARD_INDEX_AREA,
  SQLITE_SHARD_INDEX_MIGRATIONS,
} from './migrations.js';
export { openShardIndexStore } from './open-shard-index-store.js';
export { PostgresShardIndexStore } from './postgres-shard-index.js';
export { type LoadedShardSave, loadNewestSave, newSessionId, type SaveSkipReason } from './shard-index.js';
export {
  DEFAULT_KEEP_SAVES,
  type JsonObject,
  MAX_PLAYER_RECORD_BYTES,
  MAX_PLAYER_RECORDS_PER_WRITE,
  MAX_SHARD_SAVE_BYTES,
  type NewShardSave,
  SHARD_INDEX_NAME,
  SHARD_PLAYER_USER_ID,
  SHARD_TRANSFER_ID,
  type ShardIndexStore,
  type ShardPlayerRecord,
  type ShardRecord,
  type ShardSaveInfo,
  type ShardSaveRecord,
} from './shard-index-store.js';
export { SqliteShardIndexStore } from './sqlite-shard-index.js';
