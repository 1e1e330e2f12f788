import type { PoolClient } from 'pg';
import { migratePostgres, type PostgresPool } from '../../store/postgres.js';
import { POSTGRES_SHARD_INDEX_MIGRATIONS, SHARD_INDEX_AREA } from './migrations.js';
import {
  checkPlayerGuard,
  checkPlayerRecords,
  checkPositive,
  checkRollback,
  checkShardName,
  checkUserId,
  newSaveInfo,
} from './shard-index-checks.js';
import {
  DELETE_PLAYER_SQL,
  DELETE_UNDONE_SQL,
  deletePlayerParams,
  INSERT_SAVE_SQL,
  infoFromRow,
  insertSaveParams,
  KEPT_SAVES_SQL,
  LIST_PLAYERS_SQL,
  LIST_SAVES_SQL,
  NEXT_VERSION_SQL,
  type PlayerRow,
  PRUNE_SQL,
  playerFromRow,
  putPlayerParams,
  putPlayersSql,
  READ_PLAYER_SQL,
  READ_SAVE_SQL,
  READ_SHARD_SQL,
  type ShardRow,
  type ShardSaveInfoRow,
  type ShardSaveRow,
  saveFromRow,
  shardFromRow,
  UNDO_SQL,
  type VersionRow,
  WRITE_SHARD_SQL,
  writeShardParams,
} from './shard-index-sql.js';
import {
  DEFAULT_KEEP_SAVES,
  type NewShardSave,
  type ShardIndexStore,
  type ShardPlayerRecord,
  type ShardRecord,
  type ShardSaveInfo,
  type ShardSaveRecord,
} from './shard-index-store.js';

/** Locks the shard's save counter, if it has one, until the transaction ends (what a save's count does). */
const LOCK_COUNTER_SQL =
  'SELECT last_version FROM shard_index_versions WHERE cluster = $1 AND shard = $2 FOR UPDATE';

/**
 * The shard index on Postgres (its tables migrated on creation). A save or rollback is one
 * transaction that first locks the shard's counter row, so under READ COMMITTED each statement after
 * it sees what the shard's previous save or rollback committed; other shards never wait.
 * putPlayers is a single statement upserting every record (its own transaction).
 */
export class PostgresShardIndexStore implements ShardIndexStore {
  private constructor(private readonly pool: PostgresPool) {}

  static async open(pool: PostgresPool): Promise<PostgresShardIndexStore> {
    await migratePostgres(pool, SHARD_INDEX_AREA, POSTGRES_SHARD_INDEX_MIGRATIONS);
    return new PostgresShardIndexStore(pool);
  }

  async readShard(cluster: string, shard: string): Promise<ShardRecord | undefined> {
    checkShardName(cluster, shard);
    const { rows } = await this.pool.query<ShardRow>(READ_SHARD_SQL, [cluster, shard]);
    return rows[0] && shardFromRow(rows[0]);
  }

  async writeShard(cluster: string, shard: string, record: ShardRecord): Promise<void> {
    checkShardName(cluster, shard);
    await this.pool.query(WRITE_SHARD_SQL, writeShardParams(cluster, shard, record));
  }

  async save(
    cluster: string,
    shard: string,
    save: NewShardSave,
    keepSaves = DEFAULT_KEEP_SAVES,
  ): Promise<ShardSaveInfo> {
    checkShardName(cluster, shard);
    checkPositive('keepSaves', keepSaves);
    const info = newSaveInfo(save);
    return this.transaction(async (client) => {
      const counted = await client.query<VersionRow>(NEXT_VERSION_SQL, [cluster, shard]);
      const version = Number(counted.rows[0]!.last_version);
      await client.query(DELETE_UNDONE_SQL, [cluster, shard]);
      await client.query(INSERT_SAVE_SQL, insertSaveParams(cluster, shard, version, info, save.data));
      await client.query(PRUNE_SQL, [cluster, shard, keepSaves]);
      return { version, ...info };
    });
  }

  async saves(cluster: string, shard: string): Promise<ShardSaveInfo[]> {
    checkShardName(cluster, shard);
    const { rows } = await this.pool.query<ShardSaveInfoRow>(LIST_SAVES_SQL, [cluster, shard]);
    return rows.map(infoFromRow);
  }

  async readSave(cluster: string, shard: string, version: number): Promise<ShardSaveRecord | undefined> {
    checkShardName(cluster, shard);
    checkPositive('a save version', version);
    const { rows } = await this.pool.query<ShardSaveRow>(READ_SAVE_SQL, [cluster, shard, version]);
    return rows[0] && saveFromRow(rows[0]);
  }

  async rollback(cluster: string, shard: string, count: number): Promise<ShardSaveInfo> {
    checkShardName(cluster, shard);
    checkPositive('a rollback count', count);
    return this.transaction(async (client) => {
      await client.query(LOCK_COUNTER_SQL, [cluster, shard]);
      const kept = await client.query<ShardSaveInfoRow>(KEPT_SAVES_SQL, [cluster, shard]);
      checkRollback(count, kept.rows.length);
      await client.query(UNDO_SQL, [cluster, shard, count]);
      return infoFromRow(kept.rows[count]!);
    });
  }

  async putPlayers(cluster: string, shard: string, records: readonly ShardPlayerRecord[]): Promise<void> {
    checkShardName(cluster, shard);
    checkPlayerRecords(records);
    if (records.length === 0) return;
    // One statement, so one transaction: every record is written or none.
    const params = [cluster, shard, ...records.flatMap(putPlayerParams)];
    await this.pool.query(putPlayersSql(records.length), params);
  }

  async players(cluster: string, shard: string): Promise<ShardPlayerRecord[]> {
    checkShardName(cluster, shard);
    const { rows } = await this.pool.query<PlayerRow>(LIST_PLAYERS_SQL, [cluster, shard]);
    return rows.map(playerFromRow);
  }

  async player(cluster: string, shard: string, userId: string): Promise<ShardPlayerRecord | undefined> {
    checkShardName(cluster, shard);
    checkUserId(userId);
    const { rows } = await this.pool.query<PlayerRow>(READ_PLAYER_SQL, [cluster, shard, userId]);
    return rows[0] && playerFromRow(rows[0]);
  }

  async deletePlayer(
    cluster: string,
    shard: string,
    userId: string,
    only?: { transfer?: string; world?: string },
  ): Promise<boolean> {
    checkShardName(cluster, shard);
    checkUserId(userId);
    checkPlayerGuard(only);
    const deleted = await this.pool.query(
      DELETE_PLAYER_SQL,
      deletePlayerParams(cluster, shard, userId, only),
    );
    return (deleted.rowCount ?? 0) > 0;
  }

  /** The pool belongs to whoever opened it, which ends it. */
  async close(): Promise<void> {}

  /** Runs `work` in a transaction; commits what it did unless it throws. */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is dropped from the pool, not reused.
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
