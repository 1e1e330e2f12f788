import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isShardlineError,
  migratePostgres,
  migrateSqlite,
  openSqlite,
  type ServiceDatabase,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_KEEP_SAVES,
  loadNewestSave,
  MAX_PLAYER_RECORD_BYTES,
  MAX_PLAYER_RECORDS_PER_WRITE,
  MAX_SHARD_SAVE_BYTES,
  newSessionId,
  openShardIndexStore,
  POSTGRES_SHARD_INDEX_MIGRATIONS,
  SHARD_INDEX_AREA,
  SHARD_INDEX_NAME,
  type ShardIndexStore,
  type ShardPlayerRecord,
  type ShardRecord,
  SQLITE_SHARD_INDEX_MIGRATIONS,
} from '../src/cluster/shard-index/index.js';
import { serviceDatabases } from './support/service-databases.js';

const NOW = 1_800_000_000_000;
const SESSION = 'session-a';
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const bytes = (...values: number[]) => Uint8Array.from(values);
/** A save of `data` in SESSION, taken `step` ms after NOW. */
const taken = (data: Uint8Array, step = 0, sessionId = SESSION) => ({
  sessionId,
  data,
  savedAtMs: NOW + step,
});

/** A player record of `userId`: held in world 'forest-1', joined here (no transfer), unless overridden. */
const playerRecord = (userId: string, overrides: Partial<ShardPlayerRecord> = {}): ShardPlayerRecord => ({
  userId,
  world: 'forest-1',
  state: 'held',
  transfer: undefined,
  data: bytes(1, 2, 3),
  updatedAtMs: NOW,
  ...overrides,
});
/** `length` bytes that are not all alike (every value 0–255, in a scrambled order). */
const scrambled = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 131 + (i >> 8)) % 256);

/** A record with its data as its length and SHA-256: quick to compare when the data is large. */
const digest = ({ data, ...rest }: ShardPlayerRecord) => ({
  ...rest,
  data: `${data.byteLength}:${sha256(data)}`,
});

/** The code a rejected promise carries ('' if it resolved or threw something else). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => '',
    (error: unknown) => (isShardlineError(error) ? error.code : String(error)),
  );
}

/** Runs `sql` straight on the database, `$1`, `$2`… bound by position (on SQLite, by those names). */
async function query<Row>(database: ServiceDatabase, sql: string, params: unknown[]): Promise<Row[]> {
  if (database.kind === 'postgres') return (await database.pool.query(sql, params)).rows as Row[];
  const statement = database.database.prepare(sql);
  const named = Object.fromEntries(params.map((value, index) => [index + 1, value]));
  if (statement.reader) return statement.all(named) as Row[];
  statement.run(named);
  return [];
}

/** Changes one byte of a stored save's data behind the store's back, as a failing disk might. */
async function flipFirstByte(database: ServiceDatabase, cluster: string, shard: string, version: number) {
  const where = 'WHERE cluster = $1 AND shard = $2 AND version = $3';
  const [row] = await query<{ data: Buffer }>(database, `SELECT data FROM shard_index_saves ${where}`, [
    cluster,
    shard,
    version,
  ]);
  const data = Buffer.from(row!.data);
  data[0] = data[0]! ^ 0xff;
  await query(database, `UPDATE shard_index_saves SET data = $4 ${where}`, [cluster, shard, version, data]);
}

describe.each(serviceDatabases)('shard index store contract: %s', (_name, open) => {
  let disposeDatabase: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await disposeDatabase?.();
    disposeDatabase = undefined;
  });
  const fresh = async (): Promise<{ store: ShardIndexStore; database: ServiceDatabase }> => {
    const { database, dispose } = await open();
    disposeDatabase = dispose;
    return { store: await openShardIndexStore(database), database };
  };
  /** Takes one save per datum, in order, each a ms after the last; returns their versions. */
  const saveAll = async (store: ShardIndexStore, data: number[], keepSaves?: number, shard = 'master') => {
    const versions: number[] = [];
    for (const [step, datum] of data.entries()) {
      versions.push((await store.save('c1', shard, taken(bytes(datum), step), keepSaves)).version);
    }
    return versions;
  };

  it('writes a shard record and reads it back whole; a new write replaces it', async () => {
    const { store, database } = await fresh();
    expect(await store.readShard('c1', 'master')).toBeUndefined();
    const record: ShardRecord = {
      sessionId: SESSION,
      worldOptions: { preset: 'forest', size: 'huge', seasons: { autumn: 20, winter: 15 }, pvp: false },
      serverData: { day: 12, note: 'a "quoted" \u0000 text ✓', list: [1, null, 'x'] },
      features: ['caves', 'portals'],
      updatedAtMs: NOW,
    };
    await store.writeShard('c1', 'master', record);
    expect(await store.readShard('c1', 'master')).toEqual(record);
    const regenerated: ShardRecord = {
      sessionId: 'session-b',
      worldOptions: {},
      serverData: { day: 1 },
      features: [],
      updatedAtMs: NOW + 9,
    };
    await store.writeShard('c1', 'master', regenerated);
    expect(await store.readShard('c1', 'master')).toEqual(regenerated);
    // Another store on the same database (a restart) sees it: the tables are migrated once.
    expect(await (await openShardIndexStore(database)).readShard('c1', 'master')).toEqual(regenerated);
  });

  it('numbers saves 1, 2, 3… with their SHA-256, lists them newest first and reads each back', async () => {
    const { store } = await fresh();
    const data = [bytes(), bytes(1, 2, 3), Uint8Array.from({ length: 70_000 }, (_, i) => i % 251)];
    const infos = [];
    for (const [step, datum] of data.entries())
      infos.push(await store.save('c1', 'master', taken(datum, step)));
    expect(infos).toEqual(
      data.map((datum, index) => ({
        version: index + 1,
        sessionId: SESSION,
        checksum: sha256(datum),
        size: datum.byteLength,
        savedAtMs: NOW + index,
        undone: false,
      })),
    );
    expect(infos[1]!.checksum).toBe('039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81');
    expect(await store.saves('c1', 'master')).toEqual([...infos].reverse());
    for (const [index, info] of infos.entries()) {
      expect(await store.readSave('c1', 'master', info.version)).toEqual({ ...info, data: data[index] });
    }
    expect(await store.readSave('c1', 'master', 4)).toBeUndefined();
    expect(await store.saves('c1', 'other')).toEqual([]);
  });

  it('keeps exactly keepSaves saves, the newest; DEFAULT_KEEP_SAVES when not given', async () => {
    const { store } = await fresh();
    await saveAll(store, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3);
    expect((await store.saves('c1', 'master')).map((save) => save.version)).toEqual([10, 9, 8]);
    expect(await store.readSave('c1', 'master', 7)).toBeUndefined();
    expect((await store.readSave('c1', 'master', 8))!.data).toEqual(bytes(8));
    await saveAll(store, [11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(DEFAULT_KEEP_SAVES).toBe(6);
    expect((await store.saves('c1', 'master')).map((save) => save.version)).toEqual([19, 18, 17, 16, 15, 14]);
    await store.save('c1', 'master', taken(bytes(20)), 1);
    expect((await store.saves('c1', 'master')).map((save) => save.version)).toEqual([20]);
  });

  it('rolls back N saves: they are marked undone and a load takes the one N back', async () => {
    const { store } = await fresh();
    await saveAll(store, [1, 2, 3, 4, 5]);
    const newest = await store.rollback('c1', 'master', 2);
    expect(newest).toMatchObject({ version: 3, undone: false, checksum: sha256(bytes(3)) });
    expect((await store.saves('c1', 'master')).map(({ version, undone }) => [version, undone])).toEqual([
      [5, true],
      [4, true],
      [3, false],
      [2, false],
      [1, false],
    ]);
    const loaded = await loadNewestSave(store, 'c1', 'master', SESSION);
    expect(loaded).toEqual({ save: { ...newest, data: bytes(3) }, skipped: [] });
    // Rollbacks add up: one more goes back from the newest not undone.
    expect((await store.rollback('c1', 'master', 1)).version).toBe(2);
    expect((await loadNewestSave(store, 'c1', 'master', SESSION)).save!.data).toEqual(bytes(2));
  });

  it('keeps undone saves readable until the next save, which deletes them and still counts up', async () => {
    const { store } = await fresh();
    await saveAll(store, [1, 2, 3, 4]);
    await store.rollback('c1', 'master', 3);
    expect(await store.readSave('c1', 'master', 4)).toMatchObject({ undone: true, data: bytes(4) });
    const next = await store.save('c1', 'master', taken(bytes(50)));
    expect(next.version).toBe(5); // not 2: a version is never given twice
    expect((await store.saves('c1', 'master')).map(({ version, undone }) => [version, undone])).toEqual([
      [5, false],
      [1, false],
    ]);
    for (const gone of [2, 3, 4]) expect(await store.readSave('c1', 'master', gone)).toBeUndefined();
    // Pruning counts kept saves only, whatever gaps the versions have.
    await store.rollback('c1', 'master', 1);
    expect((await store.save('c1', 'master', taken(bytes(60)), 2)).version).toBe(6);
    expect((await store.saves('c1', 'master')).map((save) => save.version)).toEqual([6, 1]);
  });

  it('refuses a rollback that leaves nothing to load, or a count that is not a whole number ≥ 1, changing nothing', async () => {
    const { store } = await fresh();
    expect(await codeOf(store.rollback('c1', 'master', 1))).toBe('VALUE_INVALID'); // no saves at all
    await saveAll(store, [1, 2, 3]);
    await store.rollback('c1', 'master', 1);
    const before = await store.saves('c1', 'master');
    for (const count of [2, 3, 10, 0, -1, 1.5, Number.NaN]) {
      expect(await codeOf(store.rollback('c1', 'master', count)), `count ${count}`).toBe('VALUE_INVALID');
    }
    const refusal = await store.rollback('c1', 'master', 2).catch((error: Error) => error);
    expect((refusal as Error).message).toMatch(/cannot roll back 2 save\(s\): the shard has 2 not undone/);
    expect(await store.saves('c1', 'master')).toEqual(before);
    expect((await store.rollback('c1', 'master', 1)).version).toBe(1); // one left: allowed
  });

  it('skips a save whose data changed in the database (checksum-mismatch) and loads the one before', async () => {
    const { store, database } = await fresh();
    await saveAll(store, [1, 2, 3]);
    await flipFirstByte(database, 'c1', 'master', 3);
    expect((await store.readSave('c1', 'master', 3))!.data).toEqual(bytes(3 ^ 0xff));
    const loaded = await loadNewestSave(store, 'c1', 'master', SESSION);
    expect(loaded.skipped).toEqual([{ version: 3, reason: 'checksum-mismatch' }]);
    expect(loaded.save).toMatchObject({ version: 2, data: bytes(2) });
    await flipFirstByte(database, 'c1', 'master', 2);
    await flipFirstByte(database, 'c1', 'master', 1);
    expect(await loadNewestSave(store, 'c1', 'master', SESSION)).toEqual({
      skipped: [3, 2, 1].map((version) => ({ version, reason: 'checksum-mismatch' })),
    });
  });

  it('skips saves of another session (foreign-session), and loads nothing from an empty shard', async () => {
    const { store } = await fresh();
    expect(await loadNewestSave(store, 'c1', 'master', SESSION)).toEqual({ skipped: [] });
    await store.save('c1', 'master', taken(bytes(1)));
    await store.save('c1', 'master', taken(bytes(2), 1, 'session-old'));
    await store.save('c1', 'master', taken(bytes(3), 2, 'session-old'));
    const loaded = await loadNewestSave(store, 'c1', 'master', SESSION);
    expect(loaded.skipped).toEqual([
      { version: 3, reason: 'foreign-session' },
      { version: 2, reason: 'foreign-session' },
    ]);
    expect(loaded.save).toMatchObject({ version: 1, sessionId: SESSION, data: bytes(1) });
    expect((await loadNewestSave(store, 'c1', 'master', 'session-old')).save!.version).toBe(3);
    expect(await loadNewestSave(store, 'c1', 'master', 'session-new')).toEqual({
      skipped: [3, 2, 1].map((version) => ({ version, reason: 'foreign-session' })),
    });
  });

  it('keeps shards and clusters apart: records, versions, pruning and rollbacks', async () => {
    const { store } = await fresh();
    await saveAll(store, [1, 2, 3], 2, 'master');
    await saveAll(store, [7], 2, 'caves');
    await store.save('c2', 'master', taken(bytes(9)));
    expect((await store.saves('c1', 'master')).map((save) => save.version)).toEqual([3, 2]);
    expect(await store.saves('c1', 'caves')).toMatchObject([{ version: 1, sessionId: SESSION, size: 1 }]);
    expect((await store.readSave('c2', 'master', 1))!.data).toEqual(bytes(9));
    await store.rollback('c1', 'master', 1);
    expect((await store.saves('c1', 'caves'))[0]!.undone).toBe(false);
    expect((await store.saves('c2', 'master'))[0]!.undone).toBe(false);
    expect(await codeOf(store.rollback('c1', 'caves', 1))).toBe('VALUE_INVALID');
    const record = { sessionId: SESSION, worldOptions: {}, serverData: {}, features: [], updatedAtMs: NOW };
    await store.writeShard('c1', 'caves', record);
    expect(await store.readShard('c1', 'master')).toBeUndefined();
    expect(await store.readShard('c2', 'caves')).toBeUndefined();
    expect(await store.readShard('c1', 'caves')).toEqual(record);
  });

  it('gives concurrent saves of one shard distinct versions and prunes to keepSaves', async () => {
    const { store } = await fresh();
    const saved = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.save('c1', 'master', taken(bytes(i), i), 4)),
    );
    expect(saved.map((save) => save.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await store.saves('c1', 'master')).map((save) => save.version)).toEqual([10, 9, 8, 7]);
    for (const save of saved.filter(({ version }) => version > 6)) {
      expect(sha256((await store.readSave('c1', 'master', save.version))!.data)).toBe(save.checksum);
    }
  });

  it('lets concurrent saves and rollbacks of one shard take turns: undone saves are always the newest', async () => {
    const { store } = await fresh();
    await saveAll(store, [0, 1, 2]);
    const work = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 2 ? store.rollback('c1', 'master', 1) : store.save('c1', 'master', taken(bytes(i), i), 5),
    );
    // A rollback may find only one save left and be refused; nothing else may fail.
    const settled = await Promise.allSettled(work);
    for (const result of settled) {
      if (result.status === 'rejected') expect(isShardlineError(result.reason, 'VALUE_INVALID')).toBe(true);
    }
    const saves = await store.saves('c1', 'master');
    const kept = saves.filter((save) => !save.undone).map((save) => save.version);
    const undone = saves.filter((save) => save.undone).map((save) => save.version);
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThanOrEqual(5);
    expect(Math.min(...undone, Number.POSITIVE_INFINITY)).toBeGreaterThan(Math.max(...kept));
    expect((await store.save('c1', 'master', taken(bytes(99)))).version).toBe(3 + 8 + 1);
  });

  it('refuses bad names, session ids, records, data and counts with VALUE_INVALID, writing nothing', async () => {
    const { store } = await fresh();
    const record = { sessionId: SESSION, worldOptions: {}, serverData: {}, features: [], updatedAtMs: NOW };
    for (const name of ['', 'x'.repeat(65), 'a b', 'a.b', 'a/b', 'ü', 'a\u0000']) {
      expect(await codeOf(store.readShard(name, 'master')), JSON.stringify(name)).toBe('VALUE_INVALID');
      expect(await codeOf(store.writeShard('c1', name, record))).toBe('VALUE_INVALID');
      expect(await codeOf(store.save(name, 'master', taken(bytes(1))))).toBe('VALUE_INVALID');
      expect(await codeOf(store.save('c1', 'master', taken(bytes(1), 0, name)))).toBe('VALUE_INVALID');
      expect(await codeOf(store.saves('c1', name))).toBe('VALUE_INVALID');
      expect(await codeOf(store.readSave(name, 'master', 1))).toBe('VALUE_INVALID');
      expect(await codeOf(store.rollback('c1', name, 1))).toBe('VALUE_INVALID');
    }
    expect(SHARD_INDEX_NAME.test(`${'a'.repeat(63)}-`)).toBe(true);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const badRecords = [
      { ...record, worldOptions: [] },
      { ...record, serverData: null },
      { ...record, serverData: circular },
      { ...record, serverData: { big: 1n } },
      { ...record, features: ['ok', ''] },
      { ...record, features: [3] },
      { ...record, updatedAtMs: -1 },
      { ...record, sessionId: 'a b' },
    ];
    for (const bad of badRecords) {
      expect(await codeOf(store.writeShard('c1', 'master', bad as unknown as ShardRecord))).toBe(
        'VALUE_INVALID',
      );
    }
    expect(await store.readShard('c1', 'master')).toBeUndefined();
    expect(await codeOf(store.save('c1', 'master', taken(new Uint8Array(MAX_SHARD_SAVE_BYTES + 1))))).toBe(
      'VALUE_INVALID',
    );
    expect(await codeOf(store.save('c1', 'master', { ...taken(bytes(1)), savedAtMs: 1.5 }))).toBe(
      'VALUE_INVALID',
    );
    for (const keepSaves of [0, -3, 2.5]) {
      expect(await codeOf(store.save('c1', 'master', taken(bytes(1)), keepSaves))).toBe('VALUE_INVALID');
    }
    expect(await codeOf(store.readSave('c1', 'master', 0))).toBe('VALUE_INVALID');
    expect(await store.saves('c1', 'master')).toEqual([]);
    // Nothing was counted either: the first real save is version 1.
    expect((await store.save('c1', 'master', taken(bytes(1)))).version).toBe(1);
  });

  it('stores player records and reads them back exactly, one by one or all of the shard', async () => {
    const { store, database } = await fresh();
    expect(await store.players('c1', 'master')).toEqual([]);
    expect(await store.player('c1', 'master', 'u1')).toBeUndefined();
    await store.putPlayers('c1', 'master', []); // nothing to write
    expect(await store.players('c1', 'master')).toEqual([]);
    const records: ShardPlayerRecord[] = [
      playerRecord('u1'),
      // The largest record the store takes, every byte value in it.
      playerRecord('3f2b9c1e-7a44-4d51-9d0e-2c6f0b8a11d7', {
        world: 'caves/7f3a9c',
        state: 'arriving',
        transfer: 'tx-1.a:b_C',
        data: scrambled(MAX_PLAYER_RECORD_BYTES),
        updatedAtMs: NOW + 1,
      }),
      // An empty record; a 128-character user id; a world of 64 UTF-8 bytes, not all ASCII.
      playerRecord(`${'x'.repeat(120)}@dev.1:_`, { world: `${'w'.repeat(58)}wörld`, data: bytes() }),
      playerRecord('zero', { data: bytes(0, 0, 255, 0), state: 'held', transfer: 'tx-2', updatedAtMs: 0 }),
    ];
    expect(Buffer.byteLength(records[2]!.world)).toBe(64);
    expect(records[2]!.userId).toHaveLength(128);
    await store.putPlayers('c1', 'master', records);
    const byUserId = [...records].sort((a, b) => (a.userId < b.userId ? -1 : 1));
    const listed = await store.players('c1', 'master');
    expect(listed.map(digest)).toEqual(byUserId.map(digest));
    for (const record of records) {
      const read = await store.player('c1', 'master', record.userId);
      expect(digest(read!)).toEqual(digest(record));
      expect(read!.data).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(read!.data).equals(record.data)).toBe(true);
    }
    expect((await store.player('c1', 'master', 'u1'))!.transfer).toBeUndefined();
    // Another store on the same database (a restart) reads the same.
    const again = await (await openShardIndexStore(database)).players('c1', 'master');
    expect(again.map(digest)).toEqual(byUserId.map(digest));
  });

  it('replaces a player record written again for the same user id (an upsert), transfer and all', async () => {
    const { store } = await fresh();
    await store.putPlayers('c1', 'master', [playerRecord('u1'), playerRecord('u2')]);
    const arriving = playerRecord('u1', {
      world: 'caves-2',
      state: 'arriving',
      transfer: 'tx-9',
      data: bytes(9, 9),
      updatedAtMs: NOW + 5,
    });
    await store.putPlayers('c1', 'master', [arriving]);
    expect(await store.player('c1', 'master', 'u1')).toEqual(arriving);
    const held = playerRecord('u1', { world: 'caves-2', data: bytes(), updatedAtMs: NOW + 6 });
    await store.putPlayers('c1', 'master', [held, playerRecord('u3')]);
    expect(await store.player('c1', 'master', 'u1')).toEqual(held); // transfer back to none
    expect(await store.players('c1', 'master')).toEqual([held, playerRecord('u2'), playerRecord('u3')]);
  });

  it('lists player records by user id, as their bytes sort, whatever order they were written in', async () => {
    const { store } = await fresh();
    const userIds = ['b', 'B', 'a', '_x', '@y', '9z', 'a.b', 'a-b', 'a:b', 'ab', 'Z', 'a', 'A1', '-'];
    const unique = [...new Set(userIds)];
    await store.putPlayers(
      'c1',
      'master',
      unique.slice(0, 6).map((id) => playerRecord(id)),
    );
    await store.putPlayers(
      'c1',
      'master',
      unique.slice(6).map((id) => playerRecord(id)),
    );
    // JavaScript's default sort compares UTF-16 code units: for ASCII, the bytes' order.
    const expected = [...unique].sort();
    expect(expected.slice(0, 6)).toEqual(['-', '9z', '@y', 'A1', 'B', 'Z']);
    expect((await store.players('c1', 'master')).map((record) => record.userId)).toEqual(expected);
  });

  it('writes MAX_PLAYER_RECORDS_PER_WRITE records in one call, and refuses one more', async () => {
    const { store } = await fresh();
    expect(MAX_PLAYER_RECORDS_PER_WRITE).toBe(1000);
    const many = (step: number) =>
      Array.from({ length: MAX_PLAYER_RECORDS_PER_WRITE }, (_, i) =>
        playerRecord(`p${String(i).padStart(4, '0')}`, {
          data: bytes(i % 256, step),
          updatedAtMs: NOW + step,
        }),
      );
    await store.putPlayers('c1', 'master', many(1));
    await store.putPlayers('c1', 'master', many(2)); // every one replaced
    expect(await store.players('c1', 'master')).toEqual(many(2));
    const tooMany = [...many(3), playerRecord('p1000')];
    expect(await codeOf(store.putPlayers('c1', 'master', tooMany))).toBe('VALUE_INVALID');
    expect(await store.player('c1', 'master', 'p0007')).toEqual(many(2)[7]);
    expect(await store.player('c1', 'master', 'p1000')).toBeUndefined();
  });

  it('deletes a player record; with `only`, just when its transfer id and world match', async () => {
    const { store } = await fresh();
    const arriving = playerRecord('a', { world: 'w1', state: 'arriving', transfer: 't1' });
    const joined = playerRecord('b', { world: 'w1' });
    await store.putPlayers('c1', 'master', [arriving, joined, playerRecord('c'), playerRecord('d')]);
    // Mismatches delete nothing.
    expect(await store.deletePlayer('c1', 'master', 'a', { transfer: 't2' })).toBe(false);
    expect(await store.deletePlayer('c1', 'master', 'a', { world: 'w2' })).toBe(false);
    expect(await store.deletePlayer('c1', 'master', 'a', { transfer: 't1', world: 'w2' })).toBe(false);
    expect(await store.deletePlayer('c1', 'master', 'a', { transfer: 't2', world: 'w1' })).toBe(false);
    expect(await store.deletePlayer('c1', 'master', 'b', { transfer: 't1' })).toBe(false); // it has none
    expect(await store.deletePlayer('c1', 'master', 'nobody')).toBe(false);
    expect(await store.deletePlayer('c1', 'master', 'nobody', { transfer: 't1' })).toBe(false);
    expect((await store.players('c1', 'master')).map((record) => record.userId)).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
    expect(await store.player('c1', 'master', 'a')).toEqual(arriving);
    // Matches delete, once.
    expect(await store.deletePlayer('c1', 'master', 'a', { transfer: 't1', world: 'w1' })).toBe(true);
    expect(await store.player('c1', 'master', 'a')).toBeUndefined();
    expect(await store.deletePlayer('c1', 'master', 'a', { transfer: 't1', world: 'w1' })).toBe(false);
    expect(await store.deletePlayer('c1', 'master', 'b', { world: 'w1' })).toBe(true);
    expect(await store.deletePlayer('c1', 'master', 'c', {})).toBe(true); // an empty guard guards nothing
    expect(await store.deletePlayer('c1', 'master', 'd')).toBe(true);
    expect(await store.deletePlayer('c1', 'master', 'd')).toBe(false);
    expect(await store.players('c1', 'master')).toEqual([]);
  });

  it("keeps each shard's and cluster's player records apart", async () => {
    const { store } = await fresh();
    const here = playerRecord('u1', { data: bytes(1) });
    const caves = playerRecord('u1', { world: 'caves-1', data: bytes(2) });
    const otherCluster = playerRecord('u1', { data: bytes(3) });
    await store.putPlayers('c1', 'master', [here, playerRecord('u2')]);
    await store.putPlayers('c1', 'caves', [caves]);
    await store.putPlayers('c2', 'master', [otherCluster]);
    expect(await store.players('c1', 'master')).toEqual([here, playerRecord('u2')]);
    expect(await store.players('c1', 'caves')).toEqual([caves]);
    expect(await store.players('c2', 'master')).toEqual([otherCluster]);
    expect(await store.players('c2', 'caves')).toEqual([]);
    expect(await store.player('c1', 'caves', 'u2')).toBeUndefined();
    expect(await store.player('c2', 'master', 'u2')).toBeUndefined();
    expect(await store.deletePlayer('c1', 'caves', 'u2')).toBe(false);
    expect(await store.deletePlayer('c1', 'caves', 'u1')).toBe(true);
    expect(await store.player('c1', 'master', 'u1')).toEqual(here);
    expect(await store.player('c2', 'master', 'u1')).toEqual(otherCluster);
    // Player records and saves are apart too.
    expect(await store.saves('c1', 'master')).toEqual([]);
    expect(await store.readShard('c1', 'master')).toBeUndefined();
  });

  it('refuses bad player records, user ids, world and transfer ids with VALUE_INVALID, writing nothing', async () => {
    const { store } = await fresh();
    const kept = playerRecord('kept', { world: 'w1', state: 'arriving', transfer: 't1' });
    await store.putPlayers('c1', 'master', [kept]);
    for (const name of ['', 'x'.repeat(65), 'a b', 'a.b', 'ü', 'a\u0000']) {
      expect(await codeOf(store.putPlayers(name, 'master', [playerRecord('u1')]))).toBe('VALUE_INVALID');
      expect(await codeOf(store.putPlayers('c1', name, [playerRecord('u1')]))).toBe('VALUE_INVALID');
      expect(await codeOf(store.players(name, 'master'))).toBe('VALUE_INVALID');
      expect(await codeOf(store.player('c1', name, 'u1'))).toBe('VALUE_INVALID');
      expect(await codeOf(store.deletePlayer(name, 'master', 'kept'))).toBe('VALUE_INVALID');
    }
    const badUserIds = ['', 'x'.repeat(129), 'a b', 'ü', 'a/b', 'a\u0000', 'a\n', 'a#b', 5, undefined];
    const badWorlds = [
      '',
      'x'.repeat(65),
      'é'.repeat(33),
      'a\u0000b',
      'a\nb',
      'a\u007fb',
      '\ud800x',
      'x\udc00',
      3,
    ];
    const badTransfers = ['', 'x'.repeat(65), 'a b', 'a/b', 'a@b', 'ü', null, 7];
    const badRecords: unknown[] = [
      ...badUserIds.map((userId) => ({ ...playerRecord('u1'), userId })),
      ...badWorlds.map((world) => playerRecord('u1', { world: world as string })),
      ...badTransfers.map((transfer) => playerRecord('u1', { transfer: transfer as string })),
      playerRecord('u1', { state: 'gone' as 'held' }),
      playerRecord('u1', { state: undefined as unknown as 'held' }),
      playerRecord('u1', { state: 'arriving', transfer: undefined }), // arriving names its transfer
      playerRecord('u1', { data: new Uint8Array(MAX_PLAYER_RECORD_BYTES + 1) }),
      playerRecord('u1', { data: [1, 2, 3] as unknown as Uint8Array }),
      playerRecord('u1', { data: 'abc' as unknown as Uint8Array }),
      ...[-1, 1.5, Number.NaN, undefined].map((updatedAtMs) =>
        playerRecord('u1', { updatedAtMs: updatedAtMs as number }),
      ),
      null,
      'u1',
    ];
    for (const bad of badRecords) {
      expect(
        await codeOf(store.putPlayers('c1', 'master', [bad as ShardPlayerRecord])),
        JSON.stringify(bad),
      ).toBe('VALUE_INVALID');
    }
    expect(await codeOf(store.putPlayers('c1', 'master', playerRecord('u1') as never))).toBe('VALUE_INVALID');
    // A user id twice in one write is ambiguous: refused.
    const twice = [playerRecord('u1'), playerRecord('u2'), playerRecord('u1', { data: bytes(7) })];
    expect(await codeOf(store.putPlayers('c1', 'master', twice))).toBe('VALUE_INVALID');
    for (const userId of badUserIds) {
      expect(await codeOf(store.player('c1', 'master', userId as string)), String(userId)).toBe(
        'VALUE_INVALID',
      );
      expect(await codeOf(store.deletePlayer('c1', 'master', userId as string))).toBe('VALUE_INVALID');
    }
    for (const transfer of badTransfers) {
      expect(await codeOf(store.deletePlayer('c1', 'master', 'kept', { transfer: transfer as string }))).toBe(
        'VALUE_INVALID',
      );
    }
    for (const world of badWorlds) {
      expect(await codeOf(store.deletePlayer('c1', 'master', 'kept', { world: world as string }))).toBe(
        'VALUE_INVALID',
      );
    }
    expect(await codeOf(store.deletePlayer('c1', 'master', 'kept', null as never))).toBe('VALUE_INVALID');
    expect(await store.players('c1', 'master')).toEqual([kept]);
  });

  it('writes none of a batch with one invalid record in it', async () => {
    const { store } = await fresh();
    const before = [playerRecord('u1'), playerRecord('u2', { world: 'w2' })];
    await store.putPlayers('c1', 'master', before);
    const batch = [
      playerRecord('u0'),
      playerRecord('u1', { data: bytes(8), updatedAtMs: NOW + 1 }), // would replace u1
      playerRecord('u3'),
      playerRecord('u4', { world: '' }), // invalid
      playerRecord('u5'),
    ];
    expect(await codeOf(store.putPlayers('c1', 'master', batch))).toBe('VALUE_INVALID');
    expect(await store.players('c1', 'master')).toEqual(before);
    await store.putPlayers(
      'c1',
      'master',
      batch.filter((record) => record.userId !== 'u4'),
    );
    expect((await store.players('c1', 'master')).map((record) => record.userId)).toEqual([
      'u0',
      'u1',
      'u2',
      'u3',
      'u5',
    ]);
  });

  it('migrates a database at shard index version 1 to version 2, keeping what it held', async () => {
    const { database, dispose } = await open();
    disposeDatabase = dispose;
    if (database.kind === 'sqlite') {
      migrateSqlite(database.database, SHARD_INDEX_AREA, SQLITE_SHARD_INDEX_MIGRATIONS.slice(0, 1));
    } else {
      await migratePostgres(database.pool, SHARD_INDEX_AREA, POSTGRES_SHARD_INDEX_MIGRATIONS.slice(0, 1));
    }
    // What version 1 held: a shard and a save, written as its store wrote them.
    await query(
      database,
      `INSERT INTO shard_index_shards
         (cluster, shard, session_id, world_options, server_data, features, updated_at_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      ['c1', 'master', SESSION, '{"preset":"forest"}', '{}', '[]', NOW],
    );
    await query(
      database,
      'INSERT INTO shard_index_versions (cluster, shard, last_version) VALUES ($1, $2, 1)',
      ['c1', 'master'],
    );
    await query(
      database,
      `INSERT INTO shard_index_saves
         (cluster, shard, version, session_id, data, size, checksum, saved_at_ms, undone)
       VALUES ($1, $2, 1, $3, $4, 1, $5, $6, FALSE)`,
      ['c1', 'master', SESSION, Buffer.from([42]), sha256(bytes(42)), NOW],
    );
    const store = await openShardIndexStore(database);
    const history = await query<{ version: number | string; name: string }>(
      database,
      'SELECT version, name FROM shardline_migrations WHERE area = $1 ORDER BY version',
      [SHARD_INDEX_AREA],
    );
    expect(history.map(({ version, name }) => [Number(version), name])).toEqual([
      [1, 'shards, save counters and saves'],
      [2, 'player records'],
    ]);
    expect(await store.readShard('c1', 'master')).toMatchObject({ worldOptions: { preset: 'forest' } });
    expect((await loadNewestSave(store, 'c1', 'master', SESSION)).save).toMatchObject({
      version: 1,
      data: bytes(42),
    });
    expect((await store.save('c1', 'master', taken(bytes(43)))).version).toBe(2);
    await store.putPlayers('c1', 'master', [playerRecord('u1')]);
    expect(await store.players('c1', 'master')).toEqual([playerRecord('u1')]);
  });
});

describe('shard index player records on a SQLite file', () => {
  it('are still there when the file is opened again (a restart)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'shardline-shard-index-'));
    try {
      const file = join(directory, 'shardline.db');
      const records = [
        playerRecord('u1', { state: 'arriving', transfer: 't1', data: scrambled(1000) }),
        playerRecord('u2', { data: scrambled(MAX_PLAYER_RECORD_BYTES) }),
      ];
      const first = openSqlite(file);
      try {
        const store = await openShardIndexStore({ kind: 'sqlite', database: first });
        await store.putPlayers('c1', 'master', records);
        expect(await store.deletePlayer('c1', 'master', 'u1', { transfer: 't2' })).toBe(false);
      } finally {
        first.close();
      }
      const again = openSqlite(file);
      try {
        const store = await openShardIndexStore({ kind: 'sqlite', database: again });
        expect((await store.players('c1', 'master')).map(digest)).toEqual(records.map(digest));
      } finally {
        again.close();
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('newSessionId', () => {
  it('is 16 random bytes in base64url: a valid session id, different each time', () => {
    const ids = Array.from({ length: 100 }, newSessionId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(SHARD_INDEX_NAME.test(id)).toBe(true);
    }
    expect(new Set(ids).size).toBe(100);
  });
});
