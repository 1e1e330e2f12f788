import { byName } from '../../services/saves/saves-sql.js';
import { migrateSqlite } from '../../store/migrations.js';
import type { SqliteDatabase } from '../../store/sqlite.js';
import { SHARD_INDEX_AREA, SQLITE_SHARD_INDEX_MIGRATIONS } from './migrations.js';
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

type Params = [Record<string, unknown>];

/**
 * The shard index on the embedded SQLite database (its tables migrated on creation). Saves,
 * rollbacks and putPlayers run in IMMEDIATE transactions, holding the database's write lock from
 * their first statement; better-sqlite3 runs each to the end before anything else in the process runs.
 */
export class SqliteShardIndexStore implements ShardIndexStore {
  private constructor(private readonly database: SqliteDatabase) {}

  static open(database: SqliteDatabase): SqliteShardIndexStore {
    migrateSqlite(database, SHARD_INDEX_AREA, SQLITE_SHARD_INDEX_MIGRATIONS);
    return new SqliteShardIndexStore(database);
  }

  async readShard(cluster: string, shard: string): Promise<ShardRecord | undefined> {
    checkShardName(cluster, shard);
    const row = this.database.prepare<Params, ShardRow>(READ_SHARD_SQL).get(byName([cluster, shard]));
    return row && shardFromRow(row);
  }

  async writeShard(cluster: string, shard: string, record: ShardRecord): Promise<void> {
    checkShardName(cluster, shard);
    this.database.prepare<Params>(WRITE_SHARD_SQL).run(byName(writeShardParams(cluster, shard, record)));
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
    const take = this.database.transaction((): ShardSaveInfo => {
      const shardKey = byName([cluster, shard]);
      const counted = this.database.prepare<Params, VersionRow>(NEXT_VERSION_SQL).get(shardKey)!;
      const version = Number(counted.last_version);
      this.database.prepare<Params>(DELETE_UNDONE_SQL).run(shardKey);
      this.database
        .prepare<Params>(INSERT_SAVE_SQL)
        .run(byName(insertSaveParams(cluster, shard, version, info, save.data)));
      this.database.prepare<Params>(PRUNE_SQL).run(byName([cluster, shard, keepSaves]));
      return { version, ...info };
    });
    return take.immediate();
  }

  async saves(cluster: string, shard: string): Promise<ShardSaveInfo[]> {
    checkShardName(cluster, shard);
    return this.database
      .prepare<Params, ShardSaveInfoRow>(LIST_SAVES_SQL)
      .all(byName([cluster, shard]))
      .map(infoFromRow);
  }

  async readSave(cluster: string, shard: string, version: number): Promise<ShardSaveRecord | undefined> {
    checkShardName(cluster, shard);
    checkPositive('a save version', version);
    const row = this.database
      .prepare<Params, ShardSaveRow>(READ_SAVE_SQL)
      .get(byName([cluster, shard, version]));
    return row && saveFromRow(row);
  }

  async rollback(cluster: string, shard: string, count: number): Promise<ShardSaveInfo> {
    checkShardName(cluster, shard);
    checkPositive('a rollback count', count);
    const undo = this.database.transaction((): ShardSaveInfo => {
      const kept = this.database
        .prepare<Params, ShardSaveInfoRow>(KEPT_SAVES_SQL)
        .all(byName([cluster, shard]));
      checkRollback(count, kept.length);
      this.database.prepare<Params>(UNDO_SQL).run(byName([cluster, shard, count]));
      return infoFromRow(kept[count]!);
    });
    return undo.immediate();
  }

  async putPlayers(cluster: string, shard: string, records: readonly ShardPlayerRecord[]): Promise<void> {
    checkShardName(cluster, shard);
    checkPlayerRecords(records);
    if (records.length === 0) return;
    const put = this.database.prepare<Params>(putPlayersSql(1));
    const putAll = this.database.transaction(() => {
      for (const record of records) put.run(byName([cluster, shard, ...putPlayerParams(record)]));
    });
    putAll.immediate();
  }

  async players(cluster: string, shard: string): Promise<ShardPlayerRecord[]> {
    checkShardName(cluster, shard);
    return this.database
      .prepare<Params, PlayerRow>(LIST_PLAYERS_SQL)
      .all(byName([cluster, shard]))
      .map(playerFromRow);
  }

  async player(cluster: string, shard: string, userId: string): Promise<ShardPlayerRecord | undefined> {
    checkShardName(cluster, shard);
    checkUserId(userId);
    const row = this.database
      .prepare<Params, PlayerRow>(READ_PLAYER_SQL)
      .get(byName([cluster, shard, userId]));
    return row && playerFromRow(row);
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
    const deleted = this.database
      .prepare<Params>(DELETE_PLAYER_SQL)
      .run(byName(deletePlayerParams(cluster, shard, userId, only)));
    return deleted.changes > 0;
  }

  /** The database belongs to whoever opened it, which closes it. */
  async close(): Promise<void> {}
}
