import { migrateSqlite } from '../../store/migrations.js';
import type { SqliteDatabase } from '../../store/sqlite.js';
import { writeBatcher } from '../../store/write-batch.js';
import { LEADERBOARDS_AREA, SQLITE_LEADERBOARDS_MIGRATIONS } from './migrations.js';
import { SqlLeaderboardsStore } from './sql-leaderboards.js';

/**
 * better-sqlite3 binds `$1…` by name from an object, and a JS number as a REAL unless it is a
 * BigInt: every number here is an integer, bound as one so it compares and indexes as stored.
 */
function bind(params: readonly unknown[]): Record<number, unknown> {
  return Object.fromEntries(
    params.map((value, index) => [index + 1, typeof value === 'number' ? BigInt(value) : value]),
  );
}

/**
 * The leaderboards store on the embedded SQLite database (its table migrated on creation). A
 * snapshot is no transaction: its reads see each other's moments, and the writes between them are
 * this process's own (the one process of an embedded database).
 */
export class SqliteLeaderboardsStore extends SqlLeaderboardsStore {
  static open(database: SqliteDatabase): SqliteLeaderboardsStore {
    migrateSqlite(database, LEADERBOARDS_AREA, SQLITE_LEADERBOARDS_MIGRATIONS);
    // openSqlite's `prepare` reuses statements.
    const all = async <T>(sql: string, params: readonly unknown[]) =>
      database.prepare(sql).all(bind(params)) as T[];
    const batched = writeBatcher(database);
    return new SqliteLeaderboardsStore({
      all,
      write: <T>(sql: string, params: readonly unknown[]) =>
        batched(() => database.prepare(sql).all(bind(params)) as T[]),
      run: async (sql, params) => database.prepare(sql).run(bind(params)).changes,
      snapshot: (read) => read(all),
      inList: (column, param) => `${column} IN (SELECT value FROM json_each(${param}))`,
      listParam: (values) => JSON.stringify(values),
    });
  }
}
