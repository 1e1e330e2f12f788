import { randomBytes } from 'node:crypto';
import { ShardlineError } from '@shardline/core';
import type { Migration } from './migrations.js';
import { migratePostgres, type PostgresPool } from './postgres.js';
import type { SqliteDatabase } from './sqlite.js';

/** The server's own tables: secrets it keeps across restarts. */
export const SERVER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'server secrets',
    sql: `CREATE TABLE server_secrets (
      name TEXT PRIMARY KEY,
      value BLOB NOT NULL,
      created_at_ms INTEGER NOT NULL
    ) STRICT`,
  },
];

/** The same table on Postgres, for services that keep their data there. */
const POSTGRES_SERVER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'server secrets',
    sql: `CREATE TABLE server_secrets (
      name TEXT PRIMARY KEY,
      value BYTEA NOT NULL,
      created_at_ms BIGINT NOT NULL
    )`,
  },
];

/**
 * The secret called `name`, made of `bytes` random bytes the first time it is asked for and the same
 * ever after (e.g. the connect-token key, so tokens issued before a restart still work after it).
 * Processes sharing the file agree on one value: the first insert wins.
 */
export function serverSecret(database: SqliteDatabase, name: string, bytes: number): Uint8Array {
  database
    .prepare('INSERT OR IGNORE INTO server_secrets (name, value, created_at_ms) VALUES (?, ?, ?)')
    .run(name, randomBytes(bytes), Date.now());
  const row = database
    .prepare<[string], { value: Buffer }>('SELECT value FROM server_secrets WHERE name = ?')
    .get(name);
  return checkedSecret(name, row!.value, bytes);
}

/**
 * serverSecret on Postgres (its `server_secrets` table migrated first): every process sharing the
 * database agrees on one value, so access tokens one issues, another accepts.
 */
export async function postgresServerSecret(
  pool: PostgresPool,
  name: string,
  bytes: number,
): Promise<Uint8Array> {
  await migratePostgres(pool, 'server', POSTGRES_SERVER_MIGRATIONS);
  await pool.query(
    'INSERT INTO server_secrets (name, value, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    [name, randomBytes(bytes), Date.now()],
  );
  const { rows } = await pool.query<{ value: Buffer }>('SELECT value FROM server_secrets WHERE name = $1', [
    name,
  ]);
  return checkedSecret(name, rows[0]!.value, bytes);
}

function checkedSecret(name: string, value: Buffer, bytes: number): Uint8Array {
  if (value.length !== bytes) {
    throw new ShardlineError(
      'STORE_SCHEMA_MISMATCH',
      `server secret ${name} is ${value.length} bytes, not the ${bytes} this code needs`,
    );
  }
  return new Uint8Array(value);
}
