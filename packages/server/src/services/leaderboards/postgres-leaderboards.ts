import type { QueryConfig } from 'pg';
import { migratePostgres, type PostgresPool } from '../../store/postgres.js';
import { LEADERBOARDS_AREA, POSTGRES_LEADERBOARDS_MIGRATIONS } from './migrations.js';
import { SqlLeaderboardsStore } from './sql-leaderboards.js';

/** Each statement's name: one per text, for every store in the process (names are per connection). */
const names = new Map<string, string>();

/**
 * A statement as a named prepared statement: each connection parses and plans it once, not on
 * every call (a third to a half of a small read's time).
 */
function prepared(text: string, params: readonly unknown[]): QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `leaderboards_${names.size + 1}`;
    names.set(text, name);
  }
  return { name, text, values: [...params] };
}

/**
 * The leaderboards store on Postgres (its table migrated on creation). A snapshot holds one pooled
 * connection in a read-only repeatable-read transaction for as long as its reads take.
 */
export class PostgresLeaderboardsStore extends SqlLeaderboardsStore {
  static async open(pool: PostgresPool): Promise<PostgresLeaderboardsStore> {
    await migratePostgres(pool, LEADERBOARDS_AREA, POSTGRES_LEADERBOARDS_MIGRATIONS);
    const all = async <T>(sql: string, params: readonly unknown[]) =>
      (await pool.query(prepared(sql, params))).rows as T[];
    return new PostgresLeaderboardsStore({
      all,
      // Each its own transaction: Postgres commits concurrent ones together already.
      write: all,
      run: async (sql, params) => (await pool.query(prepared(sql, params))).rowCount ?? 0,
      snapshot: async (read) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          await read(
            async <T>(sql: string, params: readonly unknown[]) =>
              (await client.query(prepared(sql, params))).rows as T[],
          );
          await client.query('COMMIT');
        } catch (error) {
          client.release(true); // closed, not pooled: it may be inside a transaction
          throw error;
        }
        client.release();
      },
      inList: (column, param) => `${column} = ANY(${param}::text[])`,
      listParam: (values) => values,
    });
  }
}
