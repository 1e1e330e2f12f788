import type { SaveMeta } from '@shardline/core';
import { migrateSqlite } from '../../store/migrations.js';
import type { SqliteDatabase } from '../../store/sqlite.js';
import { SAVES_AREA, SQLITE_SAVES_MIGRATIONS } from './migrations.js';
import {
  byName,
  DELETE_SQL,
  LIST_SQL,
  type MetaRow,
  metaFromRow,
  READ_SQL,
  type RecordRow,
  recordFromRow,
  VERSION_SQL,
  type VersionRow,
  versionOf,
  WRITE_SQL,
  writeParams,
} from './saves-sql.js';
import {
  deleteRefusal,
  type SaveContent,
  type SaveRecord,
  type SavesStore,
  type WriteRule,
  writeMode,
  writeRefusal,
} from './saves-store.js';

/**
 * The saves store on the embedded SQLite database (its table migrated on creation). Writes and
 * deletes run in IMMEDIATE transactions: they hold the database's write lock from their first read,
 * so they are exact against other processes on the same file too. A write is durable once it
 * returns: the WAL, `synchronous = NORMAL` (openSqlite) survives the process being killed, though
 * a power cut may lose the last few commits.
 */
export class SqliteSavesStore implements SavesStore {
  private constructor(private readonly database: SqliteDatabase) {}

  static open(database: SqliteDatabase): SqliteSavesStore {
    migrateSqlite(database, SAVES_AREA, SQLITE_SAVES_MIGRATIONS);
    return new SqliteSavesStore(database);
  }

  async write(userId: string, slot: string, content: SaveContent, rule: WriteRule): Promise<SaveMeta> {
    const attempt = this.database.transaction((): SaveMeta => {
      const mode = writeMode(rule);
      const row =
        mode === 'refuse'
          ? undefined
          : this.database
              .prepare<[Record<string, unknown>], MetaRow>(WRITE_SQL[mode])
              .get(byName(writeParams(userId, slot, content, rule, mode)));
      if (row) return metaFromRow(row);
      throw writeRefusal(slot, this.version(userId, slot), rule);
    });
    return attempt.immediate();
  }

  async read(userId: string, slot: string): Promise<SaveRecord | undefined> {
    const row = this.database
      .prepare<[Record<string, unknown>], RecordRow>(READ_SQL)
      .get(byName([userId, slot]));
    return row && recordFromRow(row);
  }

  async list(userId: string): Promise<SaveMeta[]> {
    return this.database
      .prepare<[Record<string, unknown>], MetaRow>(LIST_SQL)
      .all(byName([userId]))
      .map(metaFromRow);
  }

  async delete(userId: string, slot: string, expectedVersion?: number): Promise<void> {
    const attempt = this.database.transaction((): void => {
      const deleted = this.database
        .prepare<[Record<string, unknown>], VersionRow>(DELETE_SQL)
        .get(byName([userId, slot, expectedVersion ?? null]));
      if (!deleted) throw deleteRefusal(slot, this.version(userId, slot), expectedVersion);
    });
    attempt.immediate();
  }

  /** The database belongs to the runtime, which closes it. */
  async close(): Promise<void> {}

  private version(userId: string, slot: string): number | undefined {
    return versionOf(
      this.database.prepare<[Record<string, unknown>], VersionRow>(VERSION_SQL).get(byName([userId, slot])),
    );
  }
}
