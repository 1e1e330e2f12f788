import { randomBytes } from 'node:crypto';
import { ShardlineError } from '@shardline/core';
import type { Migration } from './migrations.js';
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
  if (row!.value.length !== bytes) {
    throw new ShardlineError(
      'STORE_SCHEMA_MISMATCH',
      `server secret ${name} is ${row!.value.length} bytes, not the ${bytes} this code needs`,
    );
  }
  return new Uint8Array(row!.value);
}
