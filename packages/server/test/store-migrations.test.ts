import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isShardlineError,
  type Migration,
  migratePostgres,
  migrateSqlite,
  openPostgres,
  openSqlite,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL, throwawayPostgres } from './support/postgres.js';

/** One database as the contract sees it: migrate, run SQL, list tables, reopen. */
interface Target {
  migrate(area: string, migrations: readonly Migration[]): Promise<number[]>;
  rows(sql: string): Promise<Record<string, unknown>[]>;
  run(sql: string): Promise<void>;
  tables(): Promise<string[]>;
  /** Closes every connection and opens new ones on the same database. */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

async function sqliteTarget(): Promise<Target> {
  const file = join(mkdtempSync(join(tmpdir(), 'shardline-migrations-')), 'test.db');
  let database = openSqlite(file);
  return {
    migrate: async (area, migrations) => migrateSqlite(database, area, migrations),
    rows: async (sql) => database.prepare<[], Record<string, unknown>>(sql).all(),
    run: async (sql) => void database.exec(sql),
    tables: async () =>
      database
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((row) => row.name),
    reopen: async () => {
      database.close();
      database = openSqlite(file);
    },
    close: async () => void database.close(),
  };
}

async function postgresTarget(): Promise<Target> {
  const throwaway = await throwawayPostgres();
  let pool = throwaway.pool;
  return {
    migrate: (area, migrations) => migratePostgres(pool, area, migrations),
    rows: async (sql) => (await pool.query(sql)).rows,
    run: async (sql) => void (await pool.query(sql)),
    tables: async () =>
      (
        await pool.query<{ name: string }>(
          'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1',
        )
      ).rows.map((row) => row.name),
    reopen: async () => {
      await pool.end();
      pool = await openPostgres({ url: TEST_POSTGRES_URL, schema: throwaway.schema, max: 4 });
      throwaway.pool = pool;
    },
    close: () => throwaway.drop(),
  };
}

const NOTES: Migration[] = [
  { version: 1, name: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' },
  { version: 2, name: 'note authors', sql: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT ''" },
];

describe.each([
  ['SQLite', sqliteTarget],
  ['Postgres', postgresTarget],
])('store migrations contract: %s', (_name, open) => {
  let target: Target;
  afterEach(() => target.close());

  it('applies what is pending, once, and keeps data across reopening', async () => {
    target = await open();
    expect(await target.migrate('notes', NOTES.slice(0, 1))).toEqual([1]);
    await target.run("INSERT INTO notes (id, body) VALUES (1, 'first')");
    await target.reopen();
    expect(await target.migrate('notes', NOTES)).toEqual([2]);
    expect(await target.migrate('notes', NOTES)).toEqual([]);
    expect(await target.rows('SELECT body, author FROM notes')).toEqual([{ body: 'first', author: '' }]);
    expect(
      await target.rows('SELECT area, version, name FROM shardline_migrations ORDER BY version'),
    ).toEqual([
      { area: 'notes', version: 1, name: 'notes' },
      { area: 'notes', version: 2, name: 'note authors' },
    ]);
  });

  it('keeps areas apart', async () => {
    target = await open();
    const other: Migration[] = [{ version: 1, name: 'tags', sql: 'CREATE TABLE tags (name TEXT)' }];
    expect(await target.migrate('notes', NOTES)).toEqual([1, 2]);
    expect(await target.migrate('tags', other)).toEqual([1]);
    expect(await target.tables()).toEqual(['notes', 'shardline_migrations', 'tags']);
  });

  it('refuses a history that differs from the code, or is newer, and changes nothing', async () => {
    target = await open();
    await target.migrate('notes', NOTES);
    const renamed = NOTES.map((migration) =>
      migration.version === 2 ? { ...migration, name: 'authors' } : migration,
    );
    await expect(target.migrate('notes', renamed)).rejects.toThrowError(
      /STORE_SCHEMA_MISMATCH.*"note authors".*"authors"/,
    );
    const older = await target.migrate('notes', NOTES.slice(0, 1)).catch((error: unknown) => error);
    expect(isShardlineError(older, 'STORE_SCHEMA_MISMATCH')).toBe(true);
    expect((older as { details: unknown }).details).toEqual({
      area: 'notes',
      databaseVersion: 2,
      codeVersion: 1,
    });
    expect(await target.rows('SELECT version FROM shardline_migrations ORDER BY version')).toEqual([
      { version: 1 },
      { version: 2 },
    ]);
  });

  it('rolls a failing migration back whole: no half-made tables, no record', async () => {
    target = await open();
    const broken: Migration[] = [
      ...NOTES,
      { version: 3, name: 'tags', sql: 'CREATE TABLE tags (name TEXT); CREATE TABLE oops (' },
    ];
    await expect(target.migrate('notes', broken)).rejects.toThrow();
    // 1 and 2 ran in the same transaction: nothing of them is left (the history table may be).
    expect((await target.tables()).filter((table) => table !== 'shardline_migrations')).toEqual([]);
    expect(await target.migrate('notes', NOTES)).toEqual([1, 2]);
  });

  it('refuses a list that is not numbered 1, 2, 3…', async () => {
    target = await open();
    await expect(target.migrate('notes', [NOTES[1]!])).rejects.toThrowError(/VALUE_INVALID/);
  });

  it('lets concurrent starters take turns: each migration applies once', async () => {
    target = await open();
    const results = await Promise.all([target.migrate('notes', NOTES), target.migrate('notes', NOTES)]);
    expect(results.flat().sort()).toEqual([1, 2]);
  });
});
