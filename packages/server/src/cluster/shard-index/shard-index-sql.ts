import { shardRecordTexts } from './shard-index-checks.js';
import type {
  JsonObject,
  ShardPlayerRecord,
  ShardRecord,
  ShardSaveInfo,
  ShardSaveRecord,
} from './shard-index-store.js';

/**
 * The statements both stores run, in one text: `$1`, `$2`… are bound by position on Postgres and
 * by name on SQLite (`byName`). Every statement's $1 is the cluster and $2 the shard.
 */

export const READ_SHARD_SQL = `SELECT session_id, world_options, server_data, features, updated_at_ms
  FROM shard_index_shards WHERE cluster = $1 AND shard = $2`;

/** $3 session id, $4–$6 the JSON texts (world options, server data, features), $7 updated at. */
export const WRITE_SHARD_SQL = `INSERT INTO shard_index_shards
    (cluster, shard, session_id, world_options, server_data, features, updated_at_ms)
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT (cluster, shard) DO UPDATE SET session_id = excluded.session_id,
    world_options = excluded.world_options, server_data = excluded.server_data,
    features = excluded.features, updated_at_ms = excluded.updated_at_ms`;

/** The parameters of WRITE_SHARD_SQL, once the record is checked. */
export function writeShardParams(cluster: string, shard: string, record: ShardRecord): unknown[] {
  const { worldOptions, serverData, features } = shardRecordTexts(record);
  return [cluster, shard, record.sessionId, worldOptions, serverData, features, record.updatedAtMs];
}

/**
 * Counts one more save and returns its version. Its row stays locked (Postgres) until the
 * transaction ends: this is what makes a shard's saves and rollbacks take turns.
 */
export const NEXT_VERSION_SQL = `INSERT INTO shard_index_versions (cluster, shard, last_version) VALUES ($1, $2, 1)
  ON CONFLICT (cluster, shard) DO UPDATE SET last_version = shard_index_versions.last_version + 1
  RETURNING last_version`;

export const DELETE_UNDONE_SQL = 'DELETE FROM shard_index_saves WHERE cluster = $1 AND shard = $2 AND undone';

/** $3 version, $4 session id, $5 data, $6 size, $7 checksum, $8 saved at. */
export const INSERT_SAVE_SQL = `INSERT INTO shard_index_saves
    (cluster, shard, version, session_id, data, size, checksum, saved_at_ms, undone)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE)`;

/** The parameters of INSERT_SAVE_SQL: the save `info` describes, holding `data`, as `version`. */
export function insertSaveParams(
  cluster: string,
  shard: string,
  version: number,
  info: Omit<ShardSaveInfo, 'version'>,
  data: Uint8Array,
): unknown[] {
  const blob = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return [cluster, shard, version, info.sessionId, blob, info.size, info.checksum, info.savedAtMs];
}

/** $3 how many to keep: deletes all but the newest $3 (run after DELETE_UNDONE_SQL, all are kept ones). */
export const PRUNE_SQL = `DELETE FROM shard_index_saves WHERE cluster = $1 AND shard = $2 AND version NOT IN
  (SELECT version FROM shard_index_saves WHERE cluster = $1 AND shard = $2 ORDER BY version DESC LIMIT $3)`;

const INFO = 'version, session_id, checksum, size, saved_at_ms, undone';

export const LIST_SAVES_SQL = `SELECT ${INFO} FROM shard_index_saves
  WHERE cluster = $1 AND shard = $2 ORDER BY version DESC`;

/** $3 version. */
export const READ_SAVE_SQL = `SELECT ${INFO}, data FROM shard_index_saves
  WHERE cluster = $1 AND shard = $2 AND version = $3`;

/** The saves not undone, newest first: what a rollback may mark. */
export const KEPT_SAVES_SQL = `SELECT ${INFO} FROM shard_index_saves
  WHERE cluster = $1 AND shard = $2 AND NOT undone ORDER BY version DESC`;

/** $3 count: marks the newest $3 saves not undone as undone. */
export const UNDO_SQL = `UPDATE shard_index_saves SET undone = TRUE WHERE cluster = $1 AND shard = $2
  AND version IN (SELECT version FROM shard_index_saves
    WHERE cluster = $1 AND shard = $2 AND NOT undone ORDER BY version DESC LIMIT $3)`;

const PLAYER = 'user_id, world, state, transfer, data, updated_at_ms';

/** Parameters of each player record in putPlayersSql, after the cluster and shard. */
const PLAYER_PARAMS = 6;

/**
 * Upserts `count` player records in one statement: record i's columns (user id, world, state,
 * transfer, data, updated at: putPlayerParams) are $(3 + 6i) to $(8 + 6i). SQLite runs it with
 * count 1 once per record (one cached statement), Postgres with every record at once. No user id
 * may appear twice (Postgres refuses to update one row twice in a statement).
 */
export function putPlayersSql(count: number): string {
  const rows = Array.from({ length: count }, (_, index) => {
    const first = 3 + index * PLAYER_PARAMS;
    const own = Array.from({ length: PLAYER_PARAMS }, (_, column) => `$${first + column}`);
    return `($1, $2, ${own.join(', ')})`;
  });
  return `INSERT INTO shard_index_players (cluster, shard, ${PLAYER}) VALUES ${rows.join(', ')}
  ON CONFLICT (cluster, shard, user_id) DO UPDATE SET world = excluded.world, state = excluded.state,
    transfer = excluded.transfer, data = excluded.data, updated_at_ms = excluded.updated_at_ms`;
}

/** One checked record's parameters in putPlayersSql (no transfer: NULL). */
export function putPlayerParams(record: ShardPlayerRecord): unknown[] {
  const { data } = record;
  const blob = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return [record.userId, record.world, record.state, record.transfer ?? null, blob, record.updatedAtMs];
}

/** The shard's player records, by user id (the column sorts by bytes on both databases). */
export const LIST_PLAYERS_SQL = `SELECT ${PLAYER} FROM shard_index_players
  WHERE cluster = $1 AND shard = $2 ORDER BY user_id`;

/** $3 user id. */
export const READ_PLAYER_SQL = `SELECT ${PLAYER} FROM shard_index_players
  WHERE cluster = $1 AND shard = $2 AND user_id = $3`;

/**
 * $3 user id, $4 the transfer id it must have (NULL: any), $5 the world it must be in (NULL: any).
 * A record with no transfer never equals $4.
 */
export const DELETE_PLAYER_SQL = `DELETE FROM shard_index_players
  WHERE cluster = $1 AND shard = $2 AND user_id = $3
    AND (CAST($4 AS TEXT) IS NULL OR transfer = $4) AND (CAST($5 AS TEXT) IS NULL OR world = $5)`;

/** The parameters of DELETE_PLAYER_SQL. */
export function deletePlayerParams(
  cluster: string,
  shard: string,
  userId: string,
  only: { transfer?: string; world?: string } = {},
): unknown[] {
  return [cluster, shard, userId, only.transfer ?? null, only.world ?? null];
}

/** 64-bit integers come back as numbers (SQLite) or strings (pg); booleans as 0/1 (SQLite). */
type Int = number | string;

export interface ShardRow {
  session_id: string;
  world_options: string;
  server_data: string;
  features: string;
  updated_at_ms: Int;
}

export interface VersionRow {
  last_version: Int;
}

export interface ShardSaveInfoRow {
  version: Int;
  session_id: string;
  checksum: string;
  size: Int;
  saved_at_ms: Int;
  undone: boolean | number;
}

export interface ShardSaveRow extends ShardSaveInfoRow {
  data: Buffer;
}

export interface PlayerRow {
  user_id: string;
  world: string;
  state: string;
  transfer: string | null;
  data: Buffer;
  updated_at_ms: Int;
}

export function shardFromRow(row: ShardRow): ShardRecord {
  return {
    sessionId: row.session_id,
    worldOptions: JSON.parse(row.world_options) as JsonObject,
    serverData: JSON.parse(row.server_data) as JsonObject,
    features: JSON.parse(row.features) as string[],
    updatedAtMs: Number(row.updated_at_ms),
  };
}

export function infoFromRow(row: ShardSaveInfoRow): ShardSaveInfo {
  return {
    version: Number(row.version),
    sessionId: row.session_id,
    checksum: row.checksum,
    size: Number(row.size),
    savedAtMs: Number(row.saved_at_ms),
    undone: Boolean(row.undone),
  };
}

export function saveFromRow(row: ShardSaveRow): ShardSaveRecord {
  const { data } = row;
  return { ...infoFromRow(row), data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function playerFromRow(row: PlayerRow): ShardPlayerRecord {
  const { data } = row;
  return {
    userId: row.user_id,
    world: row.world,
    state: row.state as ShardPlayerRecord['state'],
    transfer: row.transfer ?? undefined,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    updatedAtMs: Number(row.updated_at_ms),
  };
}
