import { createHash } from 'node:crypto';
import { isShardlineError, type ServiceDatabase } from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_KEEP_SAVES,
  loadNewestSave,
  MAX_SHARD_SAVE_BYTES,
  newSessionId,
  openShardIndexStore,
  SHARD_INDEX_NAME,
  type ShardIndexStore,
  type ShardRecord,
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
