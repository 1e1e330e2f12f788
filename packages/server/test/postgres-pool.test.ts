import { openPostgres } from '@shardline/server';
import { Pool } from 'pg';
import { describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL, throwawaySchemaName } from './support/postgres.js';

describe('openPostgres', () => {
  it('carries on when the server cuts an idle connection: reports it, and the next query works', async () => {
    const errors: string[] = [];
    const schema = throwawaySchemaName();
    const pool = await openPostgres({
      url: TEST_POSTGRES_URL,
      schema,
      max: 1,
      onIdleError: (error) => errors.push(error.message),
    });
    const admin = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
    try {
      const { rows } = await pool.query<{ pid: number; schema: string }>(
        'SELECT pg_backend_pid() AS pid, current_schema() AS schema',
      );
      expect(rows[0]!.schema).toBe(schema);
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      for (let waited = 0; errors.length === 0 && waited < 5_000; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(errors).toHaveLength(1);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      openPostgres({ url: TEST_POSTGRES_URL, schema: 'x; DROP SCHEMA public' }),
    ).rejects.toThrowError(/VALUE_INVALID/);
  });
});
