import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateSqlite, openSqlite, SERVER_MIGRATIONS, serverSecret } from '@shardline/server';
import { describe, expect, it } from 'vitest';

const freshFile = () => join(mkdtempSync(join(tmpdir(), 'shardline-sqlite-')), 'nested', 'test.db');

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

describe("openSqlite's lock", () => {
  it('refuses a second open of the same file until the first is closed; another file is not affected', () => {
    const file = freshFile();
    const first = openSqlite(file);
    expect(() => openSqlite(file)).toThrowError(
      expect.objectContaining({
        name: 'DatabaseInUseError',
        message: `${file} is in use by this process (it holds ${file}.lock)`,
        pid: process.pid,
      }),
    );
    const other = openSqlite(freshFile());
    other.close();
    first.close();
    const again = openSqlite(file); // closing let go of it
    expect(again.pragma('journal_mode', { simple: true })).toBe('wal');
    again.close();
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

describe("openSqlite's statement cache", () => {
  it('reuses a prepared statement for the same SQL, keeping the most recently used', () => {
    const database = openSqlite(':memory:');
    const first = database.prepare('SELECT 1 AS one');
    expect(database.prepare('SELECT 1 AS one')).toBe(first);
    expect(database.prepare('SELECT 1 AS one').get()).toEqual({ one: 1 });
    for (let i = 0; i < 256; i++) database.prepare(`SELECT ${i} AS n`);
    expect(database.prepare('SELECT 1 AS one')).not.toBe(first); // pushed out by 256 newer ones
    database.close();
  });
});
