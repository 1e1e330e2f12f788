import { randomBytes } from 'node:crypto';
import { openPostgres, type PostgresPool } from '@shardline/server';
import { Pool } from 'pg';

/** The Postgres every development and CI machine runs (trust auth); SHARDLINE_TEST_PG_URL overrides. */
export const TEST_POSTGRES_URL =
  process.env.SHARDLINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema of its own for one test (t_<pid>_<random>), so parallel test files never meet. */
export function throwawaySchemaName(): string {
  return `t_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Opens a pool on a fresh throwaway schema; `drop` ends the pool and drops the schema with its tables. */
export async function throwawayPostgres(): Promise<{
  pool: PostgresPool;
  schema: string;
  drop(): Promise<void>;
}> {
  const schema = throwawaySchemaName();
  const handle = {
    pool: await openPostgres({ url: TEST_POSTGRES_URL, schema, max: 4 }),
    schema,
    /** Ends `handle.pool` (whichever pool it holds by then) and drops the schema. */
    async drop() {
      await handle.pool.end();
      const admin = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
  return handle;
}
