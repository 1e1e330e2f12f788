import { ShardlineError } from '@shardline/core';
import type { SqliteDatabase } from './sqlite.js';

/** One step of a schema: versions count up from 1 with no gaps; a shipped migration never changes. */
export interface Migration {
  version: number;
  /** What it does, in a few words; stored, and compared on every start to catch an edited history. */
  name: string;
  /** The statements to run (several, separated by semicolons, are fine). */
  sql: string;
}

function checkSequence(area: string, migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `${area} migrations must be numbered 1, 2, 3… in order; #${index + 1} is ${migration.version}`,
      );
    }
  });
}

/**
 * What is left to apply, given the history a database records for `area` (oldest first). Refuses
 * (STORE_SCHEMA_MISMATCH) a history that differs from `migrations` or is newer than them.
 */
export function pendingMigrations(
  area: string,
  applied: readonly { version: number; name: string }[],
  migrations: readonly Migration[],
): readonly Migration[] {
  checkSequence(area, migrations);
  for (const { version, name } of applied) {
    const known = migrations[version - 1];
    if (!known) {
      throw new ShardlineError(
        'STORE_SCHEMA_MISMATCH',
        `the database's ${area} schema is at version ${applied.length}, newer than this code's ${migrations.length}: run the newer version or restore a matching backup`,
        { area, databaseVersion: applied.length, codeVersion: migrations.length },
      );
    }
    if (known.name !== name) {
      throw new ShardlineError(
        'STORE_SCHEMA_MISMATCH',
        `${area} migration ${version} in the database is "${name}", but this code's is "${known.name}"`,
        { area, version },
      );
    }
  }
  return migrations.slice(applied.length);
}

/**
 * Brings `area`'s tables (one area per store: 'server', 'accounts', …) up to the newest migration,
 * recording each step in `shardline_migrations`; all pending steps run in one transaction, so a
 * failing one leaves the database as it was. Several processes may start on one file at once: the
 * write lock makes one apply and the others see it applied.
 * Refuses (STORE_SCHEMA_MISMATCH) a database whose history differs from `migrations` or is newer.
 * Returns the versions applied now.
 */
export function migrateSqlite(
  database: SqliteDatabase,
  area: string,
  migrations: readonly Migration[],
): number[] {
  checkSequence(area, migrations);
  database.exec(`CREATE TABLE IF NOT EXISTS shardline_migrations (
    area TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at_ms INTEGER NOT NULL,
    PRIMARY KEY (area, version)
  ) STRICT`);
  const history = database.prepare<[string], { version: number; name: string }>(
    'SELECT version, name FROM shardline_migrations WHERE area = ? ORDER BY version',
  );
  const record = database.prepare(
    'INSERT INTO shardline_migrations (area, version, name, applied_at_ms) VALUES (?, ?, ?, ?)',
  );
  const applyPending = database.transaction((): number[] => {
    const pending = pendingMigrations(area, history.all(area), migrations);
    for (const migration of pending) {
      database.exec(migration.sql);
      record.run(area, migration.version, migration.name, Date.now());
    }
    return pending.map((migration) => migration.version);
  });
  // IMMEDIATE takes the write lock before reading the history, so two starters cannot both apply.
  return applyPending.immediate();
}
