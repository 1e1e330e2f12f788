import {
  isShardlineError,
  type LeaderboardDefinition,
  type LeaderboardOperator,
  type LeaderboardOrder,
  type LeaderboardsStore,
  openLeaderboardsStore,
  type ScoreSubmission,
  type StoredKey,
  type StoredScore,
} from '@shardline/server';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceDatabases } from './support/service-databases.js';

const NOW = 1_800_000_000_000;
const MAX = Number.MAX_SAFE_INTEGER;

let boards = 0;
/** A fresh board id for each use, so tests (and property runs) on one store never meet. */
const board = (order: LeaderboardOrder, operator: LeaderboardOperator): LeaderboardDefinition => ({
  id: `board-${++boards}`,
  order,
  operator,
});
const score = (
  userId: string,
  value: number,
  extra: Partial<Omit<ScoreSubmission, 'userId' | 'score'>> = {},
): ScoreSubmission => ({
  userId,
  username: `name of ${userId}`,
  score: value,
  subscore: 0,
  metadata: null,
  ...extra,
});
/** Keys hold scores negated on a 'desc' board: back to [user, score, subscore]. */
const shown = (b: LeaderboardDefinition, { userId, key }: StoredKey) => {
  const sign = b.order === 'desc' ? -1 : 1;
  return [userId, sign * key.scoreKey || 0, sign * key.subscoreKey || 0];
};

describe.each(serviceDatabases)('leaderboards store contract: %s', (name, open) => {
  let disposeStore: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await disposeStore?.();
    disposeStore = undefined;
  });
  const fresh = async (): Promise<LeaderboardsStore> => {
    const { database, dispose } = await open();
    disposeStore = dispose;
    return openLeaderboardsStore(database);
  };
  /** Every key of the board in rank order, read in pages of `pageSize`; the page lengths too. */
  const allKeys = async (store: LeaderboardsStore, b: LeaderboardDefinition, pageSize = 1000) => {
    const keys: StoredKey[] = [];
    const pages: number[] = [];
    await store.keysInOrder(b.id, pageSize, async (page) => {
      keys.push(...page);
      pages.push(page.length);
    });
    return { keys, pages, shown: keys.map((key) => shown(b, key)) };
  };
  const rowOf = async (store: LeaderboardsStore, b: LeaderboardDefinition, userId: string) =>
    (await store.scoresOf(b.id, [userId]))[0];

  it("'best' keeps the better score by the board's order, subscore breaking equal scores", async () => {
    const store = await fresh();
    const high = board('desc', 'best');
    const low = board('asc', 'best');
    for (const b of [high, low]) {
      expect(await store.submit(b, score('ann', 50, { metadata: '{"run":1}' }), NOW)).toBeDefined();
      expect(await store.submit(b, score('ann', 50), NOW + 1)).toBeUndefined(); // equal: the first stays
    }
    expect(await store.submit(high, score('ann', 40, { username: 'renamed' }), NOW + 2)).toBeUndefined();
    expect(
      await store.submit(high, score('ann', 50, { subscore: 3, metadata: '{"run":2}' }), NOW + 3),
    ).toBeDefined();
    const written = await store.submit(high, score('ann', 70), NOW + 4);
    expect(await store.submit(low, score('ann', 60), NOW + 2)).toBeUndefined();
    expect(
      await store.submit(low, score('ann', 50, { subscore: -1, metadata: '{"run":2}' }), NOW + 3),
    ).toBeDefined();
    expect(await store.submit(low, score('ann', 50, { subscore: 4 }), NOW + 4)).toBeUndefined();
    const expected: StoredScore = {
      userId: 'ann',
      key: { scoreKey: -70, subscoreKey: 0, reachedAtMs: NOW + 4 },
      revision: 3,
      username: 'name of ann',
      metadata: null, // a write that changes the entry replaces its metadata
      updatedAtMs: NOW + 4,
    };
    expect(written).toEqual(expected); // the entry as written
    expect(await rowOf(store, high, 'ann')).toEqual(expected);
    expect(await rowOf(store, low, 'ann')).toMatchObject({
      key: { scoreKey: 50, subscoreKey: -1, reachedAtMs: NOW + 3 },
      metadata: '{"run":2}',
      revision: 2,
    });
  });

  it("'latest' overwrites either way; resubmitting the same score keeps when it was first reached", async () => {
    const store = await fresh();
    for (const order of ['desc', 'asc'] as const) {
      const b = board(order, 'latest');
      await store.submit(b, score('ann', 10), NOW);
      await store.submit(b, score('bob', 10), NOW + 1);
      await store.submit(b, score('ann', 99), NOW + 2);
      await store.submit(b, score('ann', 10, { username: 'Ann II' }), NOW + 3);
      // Ann reached 10 again after Bob did: he is now ahead on the tie.
      expect((await allKeys(store, b)).shown).toEqual([
        ['bob', 10, 0],
        ['ann', 10, 0],
      ]);
      await store.submit(b, score('bob', 10, { metadata: '{"again":true}' }), NOW + 4);
      expect((await allKeys(store, b)).shown[0]).toEqual(['bob', 10, 0]);
      expect(await rowOf(store, b, 'bob')).toMatchObject({
        key: { reachedAtMs: NOW + 1 },
        metadata: '{"again":true}',
        updatedAtMs: NOW + 4,
        revision: 2,
      });
      expect(await rowOf(store, b, 'ann')).toMatchObject({ username: 'Ann II', revision: 3 });
    }
  });

  it("'increment' adds score and subscore on both orders, and refuses to leave the safe range", async () => {
    const store = await fresh();
    for (const order of ['desc', 'asc'] as const) {
      const b = board(order, 'increment');
      await store.submit(b, score('ann', 5, { subscore: 1 }), NOW);
      await store.submit(b, score('ann', -8, { subscore: 2 }), NOW + 1);
      await store.submit(b, score('bob', MAX - 1), NOW);
      await store.submit(b, score('bob', 1), NOW + 1);
      const past = await store.submit(b, score('bob', 1), NOW + 2).catch((error: unknown) => error);
      expect(isShardlineError(past, 'LEADERBOARD_SCORE_INVALID')).toBe(true);
      await store.submit(b, score('eve', -MAX, { subscore: -MAX }), NOW);
      const below = await store
        .submit(b, score('eve', 0, { subscore: -1 }), NOW + 1)
        .catch((e: unknown) => e);
      expect(isShardlineError(below, 'LEADERBOARD_SCORE_INVALID')).toBe(true);
      expect((await rowOf(store, b, 'bob'))!.revision).toBe(2); // the refused write changed nothing
      const ranked = [
        ['bob', MAX, 0],
        ['ann', -3, 3],
        ['eve', -MAX, -MAX],
      ];
      expect((await allKeys(store, b)).shown).toEqual(order === 'desc' ? ranked : ranked.reverse());
    }
  });

  it('orders ties stably: subscore by the order, then who reached the score first, then user id', async () => {
    const store = await fresh();
    for (const order of ['desc', 'asc'] as const) {
      const b = board(order, 'best');
      await store.submit(b, score('dan', 100, { subscore: 2 }), NOW + 5);
      await store.submit(b, score('cat', 100, { subscore: 1 }), NOW + 1);
      await store.submit(b, score('bob', 100, { subscore: 1 }), NOW + 1);
      await store.submit(b, score('amy', 100, { subscore: 1 }), NOW + 2);
      await store.submit(b, score('eli', 100, { subscore: 0 }), NOW);
      // Ids compare by bytes: 'Zed' before 'amy', 'é' after 'z'.
      for (const user of ['é', 'z', 'Zed']) await store.submit(b, score(user, 1), NOW);
      const sameScore =
        order === 'desc' ? ['dan', 'bob', 'cat', 'amy', 'eli'] : ['eli', 'bob', 'cat', 'amy', 'dan'];
      const ones = ['Zed', 'z', 'é'];
      expect((await allKeys(store, b)).keys.map((key) => key.userId)).toEqual(
        order === 'desc' ? [...sameScore, ...ones] : [...ones, ...sameScore],
      );
    }
  });

  it('keeps boards apart, and deletes an entry', async () => {
    const store = await fresh();
    const b = board('desc', 'best');
    const other = board('desc', 'best');
    for (const [user, value] of [
      ['a', 10],
      ['b', 20],
      ['c', 30],
    ] as const)
      await store.submit(b, score(user, value), NOW);
    await store.submit(other, score('a', 1000), NOW);
    expect(await store.deleteScore(b.id, 'c')).toBe(true);
    expect(await store.deleteScore(b.id, 'c')).toBe(false);
    expect(await store.deleteScore('no-such-board', 'a')).toBe(false);
    expect((await allKeys(store, b)).shown).toEqual([
      ['b', 20, 0],
      ['a', 10, 0],
    ]);
    expect(await store.scoresOf(b.id, ['c', 'a', 'nobody'])).toMatchObject([{ userId: 'a' }]);
    expect((await allKeys(store, other)).shown).toEqual([['a', 1000, 0]]);
    // Created again, an entry counts its revisions from 1 again.
    expect(await store.submit(b, score('c', 5), NOW + 1)).toMatchObject({ revision: 1 });
  });

  it('reads a board in rank order in pages of any size', async () => {
    const store = await fresh();
    const b = board('asc', 'latest');
    for (let user = 0; user < 10; user++) await store.submit(b, score(`u${user}`, user % 4), NOW + user);
    const whole = await allKeys(store, b);
    expect(whole.pages).toEqual([10]);
    for (const [pageSize, pages] of [
      [1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
      [3, [3, 3, 3, 1]],
      [5, [5, 5]],
    ] as const) {
      const paged = await allKeys(store, b, pageSize);
      expect(paged.pages).toEqual(pages);
      expect(paged.keys).toEqual(whole.keys);
    }
    expect(whole.keys[0]).toEqual({
      userId: 'u0',
      key: { scoreKey: 0, subscoreKey: 0, reachedAtMs: NOW },
      revision: 1,
    });
    expect((await allKeys(store, board('desc', 'best'))).pages).toEqual([]);
  });

  it('reads the pages of a board from one moment on Postgres, whatever lands between them', async () => {
    const store = await fresh();
    const b = board('desc', 'latest');
    for (let user = 0; user < 6; user++) await store.submit(b, score(`u${user}`, 100 - user), NOW);
    const before = (await allKeys(store, b)).shown;
    const read: StoredKey[] = [];
    await store.keysInOrder(b.id, 2, async (page) => {
      if (read.length === 0) {
        await store.submit(b, score('u5', 1000), NOW + 1); // last to first: behind the first page
        await store.submit(b, score('u1', 0), NOW + 1); // first page to last
        await store.deleteScore(b.id, 'u3');
      }
      read.push(...page);
    });
    if (name === 'Postgres') expect(read.map((key) => shown(b, key))).toEqual(before);
    // SQLite reads each page when asked: u1 is met twice, at each of its revisions, and u5 never.
    else
      expect(read.map((key) => [key.userId, key.revision])).toEqual([
        ['u0', 1],
        ['u1', 1],
        ['u2', 1],
        ['u4', 1],
        ['u1', 2],
      ]);
  });

  it('loses no increment to concurrent submits, and gives each write of an entry its own revision', async () => {
    const store = await fresh();
    const b = board('desc', 'increment');
    const written = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        store.submit(b, score(`user-${index % 3}`, 1 + (index % 3)), NOW),
      ),
    );
    // Each user got 20 submits: user-0 of 1, user-1 of 2, user-2 of 3.
    expect((await allKeys(store, b)).shown).toEqual([
      ['user-2', 60, 0],
      ['user-1', 40, 0],
      ['user-0', 20, 0],
    ]);
    for (const user of ['user-0', 'user-1', 'user-2']) {
      const revisions = written.filter((entry) => entry?.userId === user).map((entry) => entry!.revision);
      expect(revisions.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
      // Whichever write came last (revision 20) answered the final score.
      const last = written.find((entry) => entry?.userId === user && entry.revision === 20)!;
      expect(last.key).toEqual((await rowOf(store, b, user))!.key);
    }
  });

  it('stores SQL-looking names, metadata and ids verbatim', async () => {
    const store = await fresh();
    const b = board('desc', 'best');
    const sneaky = "Robert'); DROP TABLE leaderboard_scores;--";
    const metadata = JSON.stringify({ note: "'; DELETE FROM leaderboard_scores WHERE '1'='1", emoji: '🏁' });
    await store.submit(b, score(sneaky, 1, { username: sneaky, metadata }), NOW);
    expect(await store.scoresOf(b.id, [sneaky, "' OR '1'='1"])).toMatchObject([
      { userId: sneaky, username: sneaky, metadata },
    ]);
    expect((await allKeys(store, b)).keys).toHaveLength(1);
  });

  it('keeps any sequence of submits in the order an in-memory sort does', async () => {
    const store = await fresh();
    const submit = fc.record({
      user: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      score: fc.integer({ min: -5, max: 5 }),
      subscore: fc.integer({ min: -1, max: 1 }),
    });
    const definition = fc.record({
      order: fc.constantFrom<LeaderboardOrder>('desc', 'asc'),
      operator: fc.constantFrom<LeaderboardOperator>('best', 'latest', 'increment'),
    });
    await fc.assert(
      fc.asyncProperty(definition, fc.array(submit, { maxLength: 25 }), async (shape, submits) => {
        const b = board(shape.order, shape.operator);
        const model = new Map<string, { score: number; subscore: number; reached: number }>();
        // Stored as keys: negated on a 'desc' board, so lower is better on both.
        const sign = shape.order === 'desc' ? -1 : 1;
        for (const [index, next] of submits.entries()) {
          const nowMs = NOW + Math.floor(index / 3); // several submits share a millisecond
          await store.submit(b, score(next.user, next.score, { subscore: next.subscore }), nowMs);
          const current = model.get(next.user);
          const add = shape.operator === 'increment' && current;
          const candidate = add
            ? { score: current.score + next.score, subscore: current.subscore + next.subscore }
            : { score: next.score, subscore: next.subscore };
          const better =
            !current ||
            sign * candidate.score < sign * current.score ||
            (candidate.score === current.score && sign * candidate.subscore < sign * current.subscore);
          if (shape.operator === 'best' && !better) continue;
          const same =
            current && candidate.score === current.score && candidate.subscore === current.subscore;
          model.set(next.user, { ...candidate, reached: same ? current.reached : nowMs });
        }
        const expected = [...model.entries()]
          .sort(
            ([userA, a], [userB, b]) =>
              sign * (a.score - b.score) ||
              sign * (a.subscore - b.subscore) ||
              a.reached - b.reached ||
              (userA < userB ? -1 : 1),
          )
          .map(([user, entry]) => [user, entry.score, entry.subscore, entry.reached]);
        const { keys } = await allKeys(store, b, 2);
        expect(keys.map((key) => [...shown(b, key), key.key.reachedAtMs])).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });
});
