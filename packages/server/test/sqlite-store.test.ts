import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isShardlineError,
  type Migration,
  migrateSqlite,
  openSqlite,
  SERVER_MIGRATIONS,
  serverSecret,
} from '@shardline/server';
import { describe, expect, it } from 'vitest';

const freshFile = () => join(mkdtempSync(join(tmpdir(), 'shardline-sqlite-')), 'nested', 'test.db');

const NOTES: Migration[] = [
  {
    version: 1,
    name: 'notes',
    sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL) STRICT',
  },
  { version: 2, name: 'note authors', sql: "ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT ''" },
];

const tables = (database: ReturnType<typeof openSqlite>) =>
  database
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => row.name);

describe('openSqlite', () => {
  it('creates the file and its directory, in write-ahead-log mode with foreign keys on', () => {
    const file = freshFile();
    const database = openSqlite(file);
    expect(existsSync(file)).toBe(true);
    expect(database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(database.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(database.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    database.close();
  });
});

describe('migrateSqlite', () => {
  it('applies what is pending, once, and keeps data across reopening', () => {
    const file = freshFile();
    let database = openSqlite(file);
    expect(migrateSqlite(database, 'notes', NOTES.slice(0, 1))).toEqual([1]);
    database.prepare('INSERT INTO notes (body) VALUES (?)').run('first');
    database.close();

    database = openSqlite(file);
    expect(migrateSqlite(database, 'notes', NOTES)).toEqual([2]);
    expect(migrateSqlite(database, 'notes', NOTES)).toEqual([]);
    expect(database.prepare('SELECT body, author FROM notes').all()).toEqual([{ body: 'first', author: '' }]);
    const history = database
      .prepare('SELECT area, version, name FROM shardline_migrations ORDER BY version')
      .all();
    expect(history).toEqual([
      { area: 'notes', version: 1, name: 'notes' },
      { area: 'notes', version: 2, name: 'note authors' },
    ]);
    database.close();
  });

  it('keeps areas apart', () => {
    const database = openSqlite(':memory:');
    expect(migrateSqlite(database, 'notes', NOTES)).toEqual([1, 2]);
    expect(migrateSqlite(database, 'server', SERVER_MIGRATIONS)).toEqual([1]);
    expect(tables(database)).toEqual(['notes', 'server_secrets', 'shardline_migrations']);
  });

  it('refuses a database whose history differs from the code, or is newer, and changes nothing', () => {
    const database = openSqlite(':memory:');
    migrateSqlite(database, 'notes', NOTES);
    const renamed = NOTES.map((migration) =>
      migration.version === 2 ? { ...migration, name: 'authors' } : migration,
    );
    expect(() => migrateSqlite(database, 'notes', renamed)).toThrowError(
      /STORE_SCHEMA_MISMATCH.*"note authors".*"authors"/,
    );
    let older: unknown;
    try {
      migrateSqlite(database, 'notes', NOTES.slice(0, 1));
    } catch (error) {
      older = error;
    }
    expect(isShardlineError(older, 'STORE_SCHEMA_MISMATCH')).toBe(true);
    expect((older as { details: unknown }).details).toEqual({
      area: 'notes',
      databaseVersion: 2,
      codeVersion: 1,
    });
    expect(database.prepare('SELECT count(*) AS n FROM shardline_migrations').get()).toEqual({ n: 2 });
  });

  it('rolls a failing migration back whole: no half-made tables, no record', () => {
    const database = openSqlite(':memory:');
    const broken: Migration[] = [
      ...NOTES,
      { version: 3, name: 'tags', sql: 'CREATE TABLE tags (name TEXT) STRICT; CREATE TABLE oops (' },
    ];
    expect(() => migrateSqlite(database, 'notes', broken)).toThrow();
    expect(tables(database)).toEqual(['shardline_migrations']); // 1 and 2 ran in the same transaction
    expect(migrateSqlite(database, 'notes', NOTES)).toEqual([1, 2]);
  });

  it('refuses a list that is not numbered 1, 2, 3…', () => {
    const database = openSqlite(':memory:');
    expect(() => migrateSqlite(database, 'notes', [NOTES[1]!])).toThrowError(/VALUE_INVALID/);
  });
});

describe('serverSecret', () => {
  it('is made once per database and the same on every later call and reopening', () => {
    const file = freshFile();
    let database = openSqlite(file);
    migrateSqlite(database, 'server', SERVER_MIGRATIONS);
    const key = serverSecret(database, 'connect-token-key', 32);
    expect(key).toHaveLength(32);
    expect(serverSecret(database, 'connect-token-key', 32)).toEqual(key);
    database.close();
    database = openSqlite(file);
    expect(serverSecret(database, 'connect-token-key', 32)).toEqual(key);
    expect(() => serverSecret(database, 'connect-token-key', 16)).toThrowError(/STORE_SCHEMA_MISMATCH/);
    database.close();

    const other = openSqlite(':memory:');
    migrateSqlite(other, 'server', SERVER_MIGRATIONS);
    expect(serverSecret(other, 'connect-token-key', 32)).not.toEqual(key);
  });
});
