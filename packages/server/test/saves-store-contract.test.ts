import { createHash } from 'node:crypto';
import {
  isShardlineError,
  openSavesStore,
  openSqlite,
  type SavesLimits,
  SavesService,
  type SavesStore,
  type WriteRule,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceDatabases } from './support/service-databases.js';

const NOW = 1_800_000_000_000;
const ANN = 'user-ann';
const BOB = 'user-bob';

/** What a write stores: `data` with its real checksum. */
const content = (data: Uint8Array, title = 'Save', description = '', updatedAtMs = NOW) => ({
  title,
  description,
  data,
  checksum: createHash('sha256').update(data).digest('hex'),
  updatedAtMs,
});
const bytes = (...values: number[]) => Uint8Array.from(values);
const rule = (more: Partial<WriteRule> = {}): WriteRule => ({ replace: true, maxSlots: 16, ...more });

/** The code a rejected promise carries ('' if it resolved or threw something else). */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => '',
    (error: unknown) => (isShardlineError(error) ? error.code : String(error)),
  );
}

describe.each(serviceDatabases)('saves store contract: %s', (_name, open) => {
  let disposeDatabase: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await disposeDatabase?.();
    disposeDatabase = undefined;
  });
  const fresh = async (): Promise<SavesStore> => {
    const { database, dispose } = await open();
    disposeDatabase = dispose;
    return openSavesStore(database);
  };

  it('creates a slot at version 1 and reads it back with its metadata', async () => {
    const store = await fresh();
    const written = content(bytes(1, 2, 3), 'Chapter 2', 'by the lake');
    const meta = await store.write(ANN, 'slot-1', written, rule());
    expect(meta).toEqual({
      slot: 'slot-1',
      title: 'Chapter 2',
      description: 'by the lake',
      size: 3,
      checksum: written.checksum,
      version: 1,
      updatedAtMs: NOW,
    });
    expect(await store.read(ANN, 'slot-1')).toEqual({ ...meta, data: bytes(1, 2, 3) });
    expect(await store.read(ANN, 'slot-2')).toBeUndefined();
  });

  it('counts versions up on every write and replaces the content', async () => {
    const store = await fresh();
    await store.write(ANN, 'a', content(bytes(1)), rule());
    const second = await store.write(ANN, 'a', content(bytes(2, 2), 'Two', 'more', NOW + 5), rule());
    expect(second).toMatchObject({
      version: 2,
      title: 'Two',
      description: 'more',
      size: 2,
      updatedAtMs: NOW + 5,
    });
    const third = await store.write(ANN, 'a', content(bytes()), rule({ expectedVersion: 2 }));
    expect(third.version).toBe(3);
    expect(await store.read(ANN, 'a')).toEqual({ ...third, data: bytes() });
  });

  it('with replace false, writes only an empty slot', async () => {
    const store = await fresh();
    expect((await store.write(ANN, 'a', content(bytes(1)), rule({ replace: false }))).version).toBe(1);
    expect(await codeOf(store.write(ANN, 'a', content(bytes(9)), rule({ replace: false })))).toBe(
      'SAVE_SLOT_EXISTS',
    );
    // Taken is taken, whatever version the writer names.
    for (const expectedVersion of [0, 1, 2]) {
      expect(
        await codeOf(store.write(ANN, 'a', content(bytes(9)), rule({ replace: false, expectedVersion }))),
      ).toBe('SAVE_SLOT_EXISTS');
    }
    expect(
      await codeOf(store.write(ANN, 'b', content(bytes(9)), rule({ replace: false, expectedVersion: 3 }))),
    ).toBe('SAVE_VERSION_CONFLICT');
    expect(await store.read(ANN, 'a')).toMatchObject({ version: 1, data: bytes(1) });
    expect(await store.read(ANN, 'b')).toBeUndefined();
  });

  it('refuses a stale or wrong expected version and changes nothing', async () => {
    const store = await fresh();
    expect(await codeOf(store.write(ANN, 'a', content(bytes(1)), rule({ expectedVersion: 1 })))).toBe(
      'SAVE_VERSION_CONFLICT', // the slot is empty: only 0 matches
    );
    expect((await store.write(ANN, 'a', content(bytes(1)), rule({ expectedVersion: 0 }))).version).toBe(1);
    expect(await codeOf(store.write(ANN, 'a', content(bytes(2)), rule({ expectedVersion: 0 })))).toBe(
      'SAVE_VERSION_CONFLICT',
    );
    await store.write(ANN, 'a', content(bytes(2)), rule({ expectedVersion: 1 }));
    for (const stale of [1, 3]) {
      expect(await codeOf(store.write(ANN, 'a', content(bytes(3)), rule({ expectedVersion: stale })))).toBe(
        'SAVE_VERSION_CONFLICT',
      );
    }
    expect(await store.read(ANN, 'a')).toMatchObject({ version: 2, data: bytes(2) });
  });

  it('lets exactly one of two writers with the same expected version win', async () => {
    const store = await fresh();
    await store.write(ANN, 'a', content(bytes(0)), rule());
    for (const expectedVersion of [1, 2, 3]) {
      const raced = await Promise.allSettled([
        store.write(ANN, 'a', content(bytes(10 + expectedVersion)), rule({ expectedVersion })),
        store.write(ANN, 'a', content(bytes(20 + expectedVersion)), rule({ expectedVersion })),
      ]);
      const won = raced.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      const lost = raced.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      expect(won.map((meta) => meta.version)).toEqual([expectedVersion + 1]);
      expect(lost.map((error) => isShardlineError(error, 'SAVE_VERSION_CONFLICT'))).toEqual([true]);
      expect((await store.read(ANN, 'a'))!.checksum).toBe(won[0]!.checksum);
    }
    // Two writers that both expect an empty slot: one creates it.
    const created = await Promise.allSettled([
      store.write(ANN, 'b', content(bytes(1)), rule({ expectedVersion: 0 })),
      store.write(ANN, 'b', content(bytes(2)), rule({ expectedVersion: 0 })),
    ]);
    expect(created.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await store.read(ANN, 'b'))!.version).toBe(1);
  });

  it('lists metadata only, by slot name in byte order, and deletes', async () => {
    const store = await fresh();
    for (const slot of ['b', 'B', '_x', '.y', '-z', 'a1', 'a10', 'a2']) {
      await store.write(ANN, slot, content(bytes(1, 2)), rule());
    }
    const listed = await store.list(ANN);
    expect(listed.map((meta) => meta.slot)).toEqual(['-z', '.y', 'B', '_x', 'a1', 'a10', 'a2', 'b']);
    expect(listed[0]).toEqual({
      slot: '-z',
      title: 'Save',
      description: '',
      size: 2,
      checksum: content(bytes(1, 2)).checksum,
      version: 1,
      updatedAtMs: NOW,
    });
    expect(listed.some((meta) => 'data' in meta)).toBe(false);
    await store.delete(ANN, 'B');
    expect(await store.read(ANN, 'B')).toBeUndefined();
    expect(await codeOf(store.delete(ANN, 'B'))).toBe('SAVE_NOT_FOUND');
    expect((await store.list(ANN)).map((meta) => meta.slot)).not.toContain('B');
    expect(await store.list(BOB)).toEqual([]);
  });

  it('deletes only at the expected version, and a written-again slot starts at 1', async () => {
    const store = await fresh();
    await store.write(ANN, 'a', content(bytes(1)), rule());
    await store.write(ANN, 'a', content(bytes(2)), rule());
    expect(await codeOf(store.delete(ANN, 'a', 1))).toBe('SAVE_VERSION_CONFLICT');
    expect(await codeOf(store.delete(ANN, 'missing', 1))).toBe('SAVE_NOT_FOUND');
    expect((await store.read(ANN, 'a'))!.version).toBe(2);
    const raced = await Promise.allSettled([store.delete(ANN, 'a', 2), store.delete(ANN, 'a', 2)]);
    expect(raced.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await store.read(ANN, 'a')).toBeUndefined();
    expect((await store.write(ANN, 'a', content(bytes(3)), rule({ expectedVersion: 0 }))).version).toBe(1);
  });

  it('keeps each user to maxSlots, counting only their own', async () => {
    const store = await fresh();
    const limited = rule({ maxSlots: 3 });
    for (const slot of ['s1', 's2']) await store.write(ANN, slot, content(bytes(1)), limited);
    await store.write(BOB, 'other', content(bytes(1)), limited); // Bob's slot is not Ann's
    expect((await store.write(ANN, 's3', content(bytes(1)), limited)).version).toBe(1);
    // Full: existing slots still take writes, of every kind; a new one does not.
    expect((await store.write(ANN, 's1', content(bytes(3)), limited)).version).toBe(2);
    expect(
      (await store.write(ANN, 's1', content(bytes(4)), { ...limited, expectedVersion: 2 })).version,
    ).toBe(3);
    expect(await codeOf(store.write(ANN, 's9', content(bytes(1)), limited))).toBe('SAVE_SLOTS_FULL');
    expect(await codeOf(store.write(ANN, 's9', content(bytes(1)), { ...limited, replace: false }))).toBe(
      'SAVE_SLOTS_FULL',
    );
    await store.delete(ANN, 's2');
    expect((await store.write(ANN, 's9', content(bytes(1)), limited)).version).toBe(1);
    expect((await store.list(ANN)).map((meta) => meta.slot)).toEqual(['s1', 's3', 's9']);
  });

  it('holds the slot limit when new slots race for the last place', async () => {
    const store = await fresh();
    const limited = rule({ maxSlots: 2 });
    // Many rounds, each a fresh user with one place left and eight new slots racing for it.
    for (let round = 0; round < 20; round++) {
      const user = `racer-${round}`;
      await store.write(user, 'first', content(bytes(1)), limited);
      const raced = await Promise.allSettled(
        Array.from({ length: 8 }, (_, index) =>
          store.write(
            user,
            `new-${index}`,
            content(bytes(index)),
            index % 2 ? limited : { ...limited, replace: false },
          ),
        ),
      );
      expect(raced.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of raced) {
        if (result.status === 'rejected')
          expect(isShardlineError(result.reason, 'SAVE_SLOTS_FULL')).toBe(true);
      }
      expect(await store.list(user)).toHaveLength(2);
    }
  });

  it('keeps bytes exactly: empty, every byte value, and large', async () => {
    const store = await fresh();
    const everyByte = Uint8Array.from({ length: 256 }, (_, index) => index);
    const large = Uint8Array.from({ length: 256 * 1024 }, (_, index) => (index * 131 + (index >> 8)) & 255);
    for (const [slot, data] of [
      ['empty', bytes()],
      ['every-byte', everyByte],
      ['large', large],
    ] as const) {
      const meta = await store.write(ANN, slot, content(data), rule());
      expect(meta.size).toBe(data.length);
      const read = await store.read(ANN, slot);
      // Buffer.equals: a deep toEqual over 256 Ki elements takes seconds.
      expect(Buffer.from(read!.data).equals(data)).toBe(true);
      expect(read!.data).toBeInstanceOf(Uint8Array);
      expect(read!.checksum).toBe(content(data).checksum);
    }
  });

  it('stores SQL-looking and unusual text verbatim', async () => {
    const store = await fresh();
    const title = "Robert'); DROP TABLE saves;--";
    const description = '\' OR 1=1; -- " \\ $1 ? %  \n\ttabbed, emoji 🎮, accents é';
    await store.write(ANN, 'x', content(bytes(7), title, description), rule());
    expect(await store.read(ANN, 'x')).toMatchObject({ title, description, data: bytes(7) });
    expect(await store.list(ANN)).toHaveLength(1);
  });

  it("never shows or touches one user's slots for another", async () => {
    const store = await fresh();
    await store.write(ANN, 'shared-name', content(bytes(1), 'Ann'), rule());
    expect(await store.read(BOB, 'shared-name')).toBeUndefined();
    expect(await store.list(BOB)).toEqual([]);
    expect(await codeOf(store.delete(BOB, 'shared-name'))).toBe('SAVE_NOT_FOUND');
    expect(
      await codeOf(store.write(BOB, 'shared-name', content(bytes(2)), rule({ expectedVersion: 1 }))),
    ).toBe('SAVE_VERSION_CONFLICT');
    const bobs = await store.write(BOB, 'shared-name', content(bytes(2), 'Bob'), rule({ replace: false }));
    expect(bobs.version).toBe(1);
    expect(await store.read(ANN, 'shared-name')).toMatchObject({ title: 'Ann', version: 1, data: bytes(1) });
    expect(await store.read(BOB, 'shared-name')).toMatchObject({ title: 'Bob', version: 1, data: bytes(2) });
  });
});

describe('the saves service', () => {
  const service = async (limits: Partial<SavesLimits> = {}) =>
    new SavesService(
      await openSavesStore({ kind: 'sqlite', database: openSqlite(':memory:') }),
      limits,
      () => NOW,
    );

  it('keeps to its limits and clock', async () => {
    const saves = await service({ maxSaveBytes: 4, maxSlotsPerUser: 1 });
    expect(saves.limits).toEqual({ maxSaveBytes: 4, maxSlotsPerUser: 1 });
    expect(await saves.write(ANN, 'a', { title: 'Four', data: bytes(1, 2, 3, 4) })).toMatchObject({
      size: 4,
      updatedAtMs: NOW,
      description: '',
    });
    expect(await codeOf(saves.write(ANN, 'a', { title: 'Five', data: bytes(1, 2, 3, 4, 5) }))).toBe(
      'SAVE_TOO_LARGE',
    );
    expect(await codeOf(saves.write(ANN, 'b', { title: 'Two', data: bytes() }))).toBe('SAVE_SLOTS_FULL');
    expect(await saves.read(ANN, 'a')).toMatchObject({ title: 'Four', data: bytes(1, 2, 3, 4) });
  });

  it('checks names, texts, versions and checksums before writing anything', async () => {
    const saves = await service();
    const data = bytes(1, 2, 3);
    // Thunks: each runs only when its turn comes, so no rejection waits unhandled.
    const refused: [() => Promise<unknown>, string][] = [
      [() => saves.write(ANN, '', { title: 't', data }), 'SAVE_INVALID'],
      [() => saves.write(ANN, 'a b', { title: 't', data }), 'SAVE_INVALID'],
      [() => saves.write(ANN, 'x'.repeat(65), { title: 't', data }), 'SAVE_INVALID'],
      [() => saves.write(ANN, 'a', { title: 't'.repeat(129), data }), 'SAVE_INVALID'],
      [() => saves.write(ANN, 'a', { title: 'lone \ud800 surrogate', data }), 'SAVE_INVALID'],
      [() => saves.write(ANN, 'a', { title: 't', description: 'd'.repeat(1025), data }), 'SAVE_INVALID'],
      [() => saves.write(ANN, 'a', { title: 't', description: 'nul \0', data }), 'SAVE_INVALID'],
      [() => saves.write(ANN, 'a', { title: 't', data, expectedVersion: -1 }), 'SAVE_INVALID'],
      [() => saves.write(ANN, 'a', { title: 't', data, expectedVersion: 1.5 }), 'SAVE_INVALID'],
      [
        () => saves.write(ANN, 'a', { title: 't', data, checksum: content(bytes(9)).checksum }),
        'SAVE_CHECKSUM_MISMATCH',
      ],
      [() => saves.read(ANN, 'a/b'), 'SAVE_INVALID'],
      [() => saves.read(ANN, 'a'), 'SAVE_NOT_FOUND'],
      [() => saves.delete(ANN, 'a b'), 'SAVE_INVALID'],
      [() => saves.delete(ANN, 'a', Number.NaN), 'SAVE_INVALID'],
    ];
    for (const [attempt, code] of refused) expect(await codeOf(attempt())).toBe(code);
    expect(await saves.list(ANN)).toEqual([]);
    // Limits count characters (code points), not UTF-16 units; the checksum is hex in either case.
    const title = '\u{1F3AE}'.repeat(128);
    const checksum = content(data).checksum.toUpperCase();
    expect(await saves.write(ANN, 'a', { title, data, checksum })).toMatchObject({ title, version: 1 });
  });

  it('refuses limits that make no sense', async () => {
    for (const limits of [{ maxSaveBytes: -1 }, { maxSaveBytes: 1.5 }, { maxSlotsPerUser: 0 }]) {
      expect(await codeOf(service(limits)), JSON.stringify(limits)).toBe('VALUE_INVALID');
    }
  });
});
