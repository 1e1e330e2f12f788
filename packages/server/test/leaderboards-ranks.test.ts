import {
  type LeaderboardDefinition,
  type LeaderboardEntry,
  type LeaderboardOperator,
  type LeaderboardOrder,
  LeaderboardsService,
  type LeaderboardsStore,
  openLeaderboardsStore,
} from '@shardline/server';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serviceDatabases } from './support/service-databases.js';

const NOW = 1_800_000_000_000;

let boards = 0;
/** A fresh board id for each use, so tests (and property runs) on one store never meet. */
const board = (order: LeaderboardOrder, operator: LeaderboardOperator): LeaderboardDefinition => ({
  id: `board-${++boards}`,
  order,
  operator,
});
/** Entries as [rank, user, score, subscore], what most assertions compare. */
const ranked = (entries: readonly LeaderboardEntry[]) =>
  entries.map((entry) => [entry.rank, entry.userId, entry.score, entry.subscore]);
/** A store whose methods `overrides` replaces, the rest passed through. */
const wrap = (store: LeaderboardsStore, overrides: Partial<LeaderboardsStore>): LeaderboardsStore => ({
  submit: (...args) => store.submit(...args),
  scoresOf: (...args) => store.scoresOf(...args),
  keysInOrder: (...args) => store.keysInOrder(...args),
  deleteScore: (...args) => store.deleteScore(...args),
  close: () => store.close(),
  ...overrides,
});
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe.each(serviceDatabases)('leaderboard ranks from the rank index: %s', (_name, open) => {
  let disposeStore: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await disposeStore?.();
    disposeStore = undefined;
  });
  let now = NOW;
  const fresh = async (): Promise<LeaderboardsStore> => {
    const { database, dispose } = await open();
    disposeStore = dispose;
    now = NOW;
    return openLeaderboardsStore(database);
  };
  /** A service (a process, as far as ranks go) over `store`, ranking `defined`, on the test's clock. */
  const serve = (store: LeaderboardsStore, defined: LeaderboardDefinition[], loadPageSize = 1000) =>
    new LeaderboardsService(store, defined, () => now, { loadPageSize });
  /** Submits as the game server: `user` is its own name. */
  const submitter =
    (service: LeaderboardsService, b: LeaderboardDefinition) =>
    (user: string, score: number, subscore = 0) =>
      service.submit(b.id, { id: user, username: user }, score, { subscore }, { fromClient: false });

  it('ranks right after each update and delete, and per board', async () => {
    const store = await fresh();
    const [b, other] = [board('desc', 'best'), board('desc', 'best')];
    const service = serve(store, [b, other]);
    const submit = submitter(service, b);
    for (const [user, value] of [
      ['a', 10],
      ['b', 20],
      ['c', 30],
    ] as const)
      await submit(user, value);
    await submitter(service, other)('a', 1000);
    expect((await service.entryOf(b.id, 'a'))!.rank).toBe(3);
    expect(await submit('a', 25)).toMatchObject({ rank: 2, score: 25 });
    expect(await submit('a', 5)).toMatchObject({ rank: 2, score: 25 }); // no better: as it was
    expect(ranked(await service.top(b.id))).toEqual([
      [1, 'c', 30, 0],
      [2, 'a', 25, 0],
      [3, 'b', 20, 0],
    ]);
    expect(await service.count(b.id)).toBe(3);
    expect(await service.deleteScore(b.id, 'c')).toBe(true);
    expect(await service.deleteScore(b.id, 'c')).toBe(false);
    expect(ranked(await service.top(b.id))).toEqual([
      [1, 'a', 25, 0],
      [2, 'b', 20, 0],
    ]);
    expect(await service.entryOf(b.id, 'c')).toBeUndefined();
    expect(await service.count(other.id)).toBe(1);
  });

  /** A board of ten: u01 first (score 100) … u10 last (score 10). */
  const tenOn = async (store: LeaderboardsStore) => {
    const b = board('desc', 'best');
    const service = serve(store, [b]);
    for (let place = 1; place <= 10; place++) {
      await submitter(service, b)(`u${String(place).padStart(2, '0')}`, 110 - place * 10);
    }
    return { b, service };
  };
  const ranks = (entries: readonly LeaderboardEntry[]) => {
    for (const entry of entries) expect(entry.userId).toBe(`u${String(entry.rank).padStart(2, '0')}`);
    return entries.map((entry) => entry.rank);
  };

  it('pages the top from any offset, across ties, to past the end', async () => {
    const store = await fresh();
    const { b, service } = await tenOn(store);
    expect(ranks(await service.top(b.id, { limit: 3 }))).toEqual([1, 2, 3]);
    expect(ranks(await service.top(b.id, { limit: 3, offset: 8 }))).toEqual([9, 10]);
    expect(await service.top(b.id, { limit: 3, offset: 10 })).toEqual([]);
    const tied = board('asc', 'latest');
    service.define(tied);
    for (const user of ['e', 'd', 'c', 'b', 'a']) await submitter(service, tied)(user, 7);
    expect((await service.top(tied.id, { limit: 2, offset: 1 })).map((e) => [e.rank, e.userId])).toEqual([
      [2, 'b'],
      [3, 'c'],
    ]);
    const empty = board('desc', 'best');
    service.define(empty);
    expect(await service.top(empty.id)).toEqual([]);
  });

  it('windows around a user at the first, last and middle places, and none without a score', async () => {
    const store = await fresh();
    const { b, service } = await tenOn(store);
    const around = async (user: string, limit: number) => ranks(await service.aroundUser(b.id, user, limit));
    expect(await around('u01', 5)).toEqual([1, 2, 3, 4, 5]);
    expect(await around('u10', 5)).toEqual([6, 7, 8, 9, 10]);
    expect(await around('u05', 5)).toEqual([3, 4, 5, 6, 7]);
    expect(await around('u05', 4)).toEqual([4, 5, 6, 7]); // the extra one behind
    expect(await around('u09', 4)).toEqual([7, 8, 9, 10]);
    expect(await around('u02', 1)).toEqual([2]);
    expect(await around('u07', 100)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await service.aroundUser(b.id, 'nobody', 5)).toEqual([]);
  });

  it('ranks a set of users (a friends list) by their global places, skipping those without a score', async () => {
    const store = await fresh();
    const { b, service } = await tenOn(store);
    expect(ranks(await service.forUsers(b.id, ['u09', 'stranger', 'u02', 'u05', 'u02']))).toEqual([2, 5, 9]);
    expect(ranks(await service.forUsers(b.id, ['u10']))).toEqual([10]);
    expect(await service.forUsers(b.id, [])).toEqual([]);
    expect(await service.forUsers(b.id, ['stranger'])).toEqual([]);
  });

  it('breaks ties by subscore, then who reached the score first, then user id by bytes', async () => {
    const store = await fresh();
    for (const order of ['desc', 'asc'] as const) {
      const b = board(order, 'best');
      const service = serve(store, [b]);
      const submit = submitter(service, b);
      for (const [user, subscore, at] of [
        ['dan', 2, 5],
        ['cat', 1, 1],
        ['bob', 1, 1],
        ['amy', 1, 2],
        ['eli', 0, 0],
        ['Zed', 1, 2],
        ['é', 1, 2],
      ] as const) {
        now = NOW + at;
        await submit(user, 100, subscore);
      }
      const expected =
        order === 'desc'
          ? ['dan', 'bob', 'cat', 'Zed', 'amy', 'é', 'eli']
          : ['eli', 'bob', 'cat', 'Zed', 'amy', 'é', 'dan'];
      expect((await service.top(b.id)).map((entry) => entry.userId)).toEqual(expected);
      expect((await service.forUsers(b.id, ['amy', 'cat'])).map((e) => [e.rank, e.userId])).toEqual([
        [3, 'cat'],
        [5, 'amy'],
      ]);
    }
  });

  it('ranks any sequence of submits and deletes as an in-memory sort does, and as a fresh load does', async () => {
    const store = await fresh();
    const user = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    const step = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          user,
          score: fc.integer({ min: -5, max: 5 }),
          subscore: fc.integer({ min: -1, max: 1 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ deleted: user }) },
    );
    const definition = fc.record({
      order: fc.constantFrom<LeaderboardOrder>('desc', 'asc'),
      operator: fc.constantFrom<LeaderboardOperator>('best', 'latest', 'increment'),
    });
    await fc.assert(
      fc.asyncProperty(definition, fc.array(step, { maxLength: 25 }), fc.nat(), async (shape, steps, at) => {
        const b = board(shape.order, shape.operator);
        const service = serve(store, [b]);
        const model = new Map<string, { score: number; subscore: number; reached: number }>();
        // Lower is better on both orders once multiplied by the sign.
        const sign = shape.order === 'desc' ? -1 : 1;
        const expected = () =>
          [...model.entries()]
            .sort(
              ([userA, a], [userB, b]) =>
                sign * (a.score - b.score) ||
                sign * (a.subscore - b.subscore) ||
                a.reached - b.reached ||
                (userA < userB ? -1 : 1),
            )
            .map(([user, entry], index) => [index + 1, user, entry.score, entry.subscore]);
        for (const [index, next] of steps.entries()) {
          now = NOW + Math.floor(index / 3); // several submits share a millisecond
          if ('deleted' in next) {
            expect(await service.deleteScore(b.id, next.deleted)).toBe(model.delete(next.deleted));
            continue;
          }
          const entry = await submitter(service, b)(next.user, next.score, next.subscore);
          const current = model.get(next.user);
          const candidate =
            shape.operator === 'increment' && current
              ? { score: current.score + next.score, subscore: current.subscore + next.subscore }
              : { score: next.score, subscore: next.subscore };
          const better =
            !current ||
            sign * candidate.score < sign * current.score ||
            (candidate.score === current.score && sign * candidate.subscore < sign * current.subscore);
          if (shape.operator !== 'best' || better) {
            const same =
              current && candidate.score === current.score && candidate.subscore === current.subscore;
            model.set(next.user, { ...candidate, reached: same ? current.reached : now });
          }
          expect(ranked([entry])).toEqual(expected().filter(([, id]) => id === next.user));
        }
        const all = expected();
        expect(ranked(await service.top(b.id, { limit: 100 }))).toEqual(all);
        expect(ranked(await service.forUsers(b.id, ['a', 'c', 'f']))).toEqual(
          all.filter(([, id]) => ['a', 'c', 'f'].includes(id as string)),
        );
        const middle = all[at % Math.max(1, all.length)];
        if (middle) {
          expect(ranked(await service.aroundUser(b.id, middle[1] as string, 3))).toEqual(
            all.slice(Math.max(0, Math.min((middle[0] as number) - 2, all.length - 3))).slice(0, 3),
          );
        }
        expect(ranked(await serve(store, [b], 2).top(b.id, { limit: 100 }))).toEqual(all);
      }),
      { numRuns: 30 },
    );
  });

  it('ignores a write result that completes after a later one of the same entry', async () => {
    const store = await fresh();
    const b = board('desc', 'latest');
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let submits = 0;
    const service = serve(
      wrap(store, {
        submit: async (...args) => {
          const written = await store.submit(...args);
          if (args[1].userId === 'ann' && ++submits === 1) await held; // comes back after the next
          return written;
        },
      }),
      [b],
    );
    const submit = submitter(service, b);
    await submit('rival', 15);
    const first = submit('ann', 10);
    await vi.waitFor(() => expect(submits).toBe(1)); // written, its answer held
    expect(await submit('ann', 20)).toMatchObject({ rank: 1, score: 20 });
    release();
    expect(await first).toMatchObject({ rank: 1, score: 20 }); // ranked as the entry stands
    expect(ranked(await service.top(b.id))).toEqual([
      [1, 'ann', 20, 0],
      [2, 'rival', 15, 0],
    ]);
  });

  it('runs a delete after the writes of that user in flight, and the writes after it', async () => {
    const store = await fresh();
    const b = board('desc', 'increment');
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const calls: string[] = [];
    const service = serve(
      wrap(store, {
        submit: async (...args) => {
          const written = await store.submit(...args);
          calls.push(`submit ${args[1].score}`);
          if (args[1].score === 1) await held;
          return written;
        },
        deleteScore: async (...args) => {
          calls.push('delete');
          return store.deleteScore(...args);
        },
      }),
      [b],
    );
    const submit = submitter(service, b);
    const first = submit('ann', 1);
    await vi.waitFor(() => expect(calls).toEqual(['submit 1'])); // its write is done, its answer held
    const deleted = service.deleteScore(b.id, 'ann');
    const after = submit('ann', 5);
    await settle();
    expect(calls).toEqual(['submit 1']); // the delete waits for the held write, the next write for it
    release();
    await first;
    expect(await deleted).toBe(true);
    expect(await after).toMatchObject({ rank: 1, score: 5 });
    expect(calls).toEqual(['submit 1', 'delete', 'submit 5']);
    expect(ranked(await serve(store, [b]).top(b.id))).toEqual([[1, 'ann', 5, 0]]);
  });

  it('agrees with a fresh load after concurrent submits, deletes and overwrites of the same users', async () => {
    const store = await fresh();
    const [counts, latest] = [board('desc', 'increment'), board('asc', 'latest')];
    const service = serve(store, [counts, latest]);
    await Promise.all(
      Array.from({ length: 90 }, (_, index) => {
        const user = `user-${index % 3}`;
        if (index % 17 === 16) return service.deleteScore(counts.id, user);
        return Promise.all([
          submitter(service, counts)(user, 1 + (index % 3)),
          submitter(service, latest)(user, (index * 7919) % 100),
        ]);
      }),
    );
    for (const b of [counts, latest]) {
      expect(ranked(await service.top(b.id))).toEqual(ranked(await serve(store, [b]).top(b.id)));
    }
  });

  it('loads a board once for concurrent first reads, and again after a failed load', async () => {
    const store = await fresh();
    const { b } = await tenOn(store);
    let loads = 0;
    const service = serve(
      wrap(store, {
        keysInOrder: (...args) => {
          if (++loads === 1) return Promise.reject(new Error('database went away'));
          return store.keysInOrder(...args);
        },
      }),
      [b],
      3,
    );
    await expect(Promise.all([service.top(b.id), service.entryOf(b.id, 'u01')])).rejects.toThrow(
      'database went away',
    );
    const [top, me, around, friends, count] = await Promise.all([
      service.top(b.id, { limit: 1 }),
      service.entryOf(b.id, 'u04'),
      service.aroundUser(b.id, 'u10', 2),
      service.forUsers(b.id, ['u07']),
      service.count(b.id),
    ]);
    expect(loads).toBe(2);
    expect([ranks(top), me!.rank, ranks(around), ranks(friends), count]).toEqual([[1], 4, [9, 10], [7], 10]);
  });

  it("shows this process's writes' names and metadata at once, and other processes' after a reload", async () => {
    const store = await fresh();
    const b = board('desc', 'latest');
    const here = serve(store, [b]);
    const elsewhere = serve(store, [b]);
    const write = (service: LeaderboardsService, username: string, badge: string) =>
      service.submit(b.id, { id: 'ann', username }, 10, { metadata: { badge } }, { fromClient: false });
    const shown = async () => (await here.top(b.id)).map((entry) => [entry.username, entry.metadata]);
    await write(here, 'ann', 'bronze');
    expect(await shown()).toEqual([['ann', { badge: 'bronze' }]]);
    await write(here, 'Ann', 'silver'); // read just before: must not be served from memory
    expect(await shown()).toEqual([['Ann', { badge: 'silver' }]]);
    await write(elsewhere, 'ANN', 'gold');
    expect(await shown()).toEqual([['Ann', { badge: 'silver' }]]); // as this process last knew it
    await here.reload(b.id);
    expect(await shown()).toEqual([['ANN', { badge: 'gold' }]]);
    await here.deleteScore(b.id, 'ann');
    expect(await here.top(b.id)).toEqual([]);
  });

  it("sees another process's writes on reload, keeping this process's writes made during it", async () => {
    const store = await fresh();
    const { b, service: other } = await tenOn(store);
    let reloading: (() => Promise<void>) | undefined;
    const service = serve(
      wrap(store, {
        keysInOrder: (boardId, pageSize, onPage) =>
          store.keysInOrder(boardId, pageSize, async (page) => {
            const during = reloading;
            reloading = undefined;
            await during?.();
            await onPage(page);
          }),
      }),
      [b],
      2,
    );
    expect(ranks(await service.top(b.id, { limit: 2 }))).toEqual([1, 2]);
    await submitter(other, b)('u10', 1000); // last to first, in the other process
    await other.deleteScore(b.id, 'u05');
    expect((await service.entryOf(b.id, 'u10'))!.rank).toBe(10); // not seen yet
    expect((await service.top(b.id)).map((entry) => entry.rank)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
    reloading = async () => {
      await submitter(service, b)('u03', 2000);
      await submitter(service, b)('new', 55);
      await service.deleteScore(b.id, 'u02');
    };
    await service.reload(b.id);
    expect(reloading).toBeUndefined();
    const expected = ranked(await serve(store, [b]).top(b.id));
    expect(expected.map(([, user]) => user)).toEqual([
      'u03',
      'u10',
      'u01',
      'u04',
      'new',
      'u06',
      'u07',
      'u08',
      'u09',
    ]);
    expect(ranked(await service.top(b.id))).toEqual(expected);
  });

  it("takes in the entry of a 'best' submit that is no better, written by another process", async () => {
    const store = await fresh();
    const { b, service: other } = await tenOn(store);
    const service = serve(store, [b]);
    expect(await service.count(b.id)).toBe(10);
    await submitter(other, b)('late', 95);
    expect(await submitter(service, b)('late', 1)).toMatchObject({ rank: 2, score: 95 });
    expect(await service.count(b.id)).toBe(11);
  });
});
