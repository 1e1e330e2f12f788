import { ShardlineError } from '@shardline/core';
import { Pool } from 'pg';
import { type Migration, pendingMigrations } from './migrations.js';

export type PostgresPool = Pool;

/** A schema name the store may create and point its connections at: letters, digits, underscores. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A pool of connections to `url`. With `schema`, every connection works in that schema (created if
 * missing), so several stores, or test runs, share one database without seeing each other's tables.
 */
export async function openPostgres(options: {
  url: string;
  schema?: string;
  /** Connections at most. Default 10. */
  max?: number;
  /** Where errors of idle connections go (default: console.error). */
  onIdleError?: (error: Error) => void;
}): Promise<PostgresPool> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `postgres schema must match ${SCHEMA_NAME}, not ${JSON.stringify(schema)}`,
    );
  }
  if (schema !== undefined) {
    const setup = new Pool({ connectionString: options.url, max: 1 });
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } catch (error) {
      // Two processes creating it at once: the loser's IF NOT EXISTS still races (23505 or 42P06).
      const code = (error as { code?: unknown }).code;
      if (code !== '23505' && code !== '42P06') throw error;
    } finally {
      await setup.end();
    }
  }
  const pool = new Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection that breaks (the server restarted) is dropped and replaced on next use; left
  // unhandled, its 'error' event would end the process.
  pool.on('error', options.onIdleError ?? ((error) => console.error('shardline postgres:', error.message)));
  return pool;
}

/**
 * Postgres's twin of migrateSqlite: brings `area` up to the newest migration in one transaction,
 * recorded in `shardline_migrations` of the pool's schema. A transaction-scoped advisory lock makes
 * concurrent starters take turns. Refuses (STORE_SCHEMA_MISMATCH) a history that differs or is
 * newer. Returns the versions applied now.
 */
export async function migratePostgres(
  pool: PostgresPool,
  area: string,
  migrations: readonly Migration[],
): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.shardline_migrations'))");
    await client.query(`CREATE TABLE IF NOT EXISTS shardline_migrations (
      area TEXT NOT NULL,
      version INTEGER NOT NULL,
      name TEXT NOT NULL,
      applied_at_ms BIGINT NOT NULL,
      PRIMARY KEY (area, version)
    )`);
    const history = await client.query<{ version: number; name: string }>(
      'SELECT version, name FROM shardline_migrations WHERE area = $1 ORDER BY version',
      [area],
    );
    const pending = pendingMigrations(area, history.rows, migrations);
    for (const migration of pending) {
      await client.query(migration.sql);
      await client.query(
        'INSERT INTO shardline_migrations (area, version, name, applied_at_ms) VALUES ($1, $2, $3, $4)',
        [area, migration.version, migration.name, Date.now()],
      );
    }
    await client.query('COMMIT');
    return pending.map((migration) => migration.version);
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
