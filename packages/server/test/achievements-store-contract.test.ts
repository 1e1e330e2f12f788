import { randomUUID } from 'node:crypto';
import {
  type AchievementDefinition,
  AchievementsService,
  type AchievementsStore,
  isShardlineError,
  openAchievementsStore,
  type UnlockEvent,
} from '@shardline/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { serviceDatabases } from './support/service-databases.js';

const NOW = 1_800_000_000_000;
const DEFINITIONS: AchievementDefinition[] = [
  { id: 'first-blood', title: 'First blood', description: 'Win a round' },
  { id: 'collector', title: 'Collector', target: 10 },
  { id: 'secret.cave', title: 'Spelunker', description: 'Find the cave', hidden: true },
  { id: 'server.champion', title: 'Champion', authoritative: true, target: 3 },
];

/** The error a call fails with (undefined if it succeeds). */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe.each(serviceDatabases)('achievements store contract: %s', (_name, open) => {
  let disposeDatabase: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await disposeDatabase?.();
    disposeDatabase = undefined;
  });
  const fresh = async (): Promise<AchievementsStore> => {
    const { database, dispose } = await open();
    disposeDatabase = dispose;
    return openAchievementsStore(database);
  };

  it('unlocks once: a repeat keeps the first time and reports false', async () => {
    const store = await fresh();
    const ann = randomUUID();
    expect(await store.record(ann, 'a')).toBeUndefined();
    expect(await store.unlock(ann, 'a', 5, NOW)).toBe(true);
    expect(await store.unlock(ann, 'a', 9, NOW + 10)).toBe(false);
    expect(await store.record(ann, 'a')).toEqual({ achievementId: 'a', progress: 5, unlockedAtMs: NOW });
    const raced = await Promise.all(Array.from({ length: 6 }, () => store.unlock(ann, 'b', 0, NOW)));
    expect(raced.filter(Boolean)).toHaveLength(1);
  });

  it('raises progress, never lowers it, and unlocks once at the target', async () => {
    const store = await fresh();
    const ann = randomUUID();
    expect(await store.progress(ann, 'c', 4, 10, NOW)).toEqual({
      progress: 4,
      unlockedAtMs: null,
      newlyUnlocked: false,
    });
    expect(await store.progress(ann, 'c', 2, 10, NOW)).toEqual({
      progress: 4,
      unlockedAtMs: null,
      newlyUnlocked: false,
    });
    expect(await store.progress(ann, 'c', 10, 10, NOW + 1)).toEqual({
      progress: 10,
      unlockedAtMs: NOW + 1,
      newlyUnlocked: true,
    });
    expect(await store.progress(ann, 'c', 12, 10, NOW + 2)).toEqual({
      progress: 12,
      unlockedAtMs: NOW + 1,
      newlyUnlocked: false,
    });
    expect(await store.unlock(ann, 'c', 10, NOW + 3)).toBe(false);
    expect(await store.record(ann, 'c')).toEqual({ achievementId: 'c', progress: 12, unlockedAtMs: NOW + 1 });
  });

  it('keeps the highest progress and unlocks exactly once under concurrent reports', async () => {
    const store = await fresh();
    for (let round = 0; round < 5; round += 1) {
      const ann = randomUUID();
      const values = [3, 11, 7, 10, 2, 15, 9, 10];
      const outcomes = await Promise.all(
        values.map((value) => store.progress(ann, 'c', value, 10, NOW + round)),
      );
      expect(outcomes.filter((outcome) => outcome.newlyUnlocked)).toHaveLength(1);
      expect(await store.record(ann, 'c')).toEqual({
        achievementId: 'c',
        progress: 15,
        unlockedAtMs: NOW + round,
      });
    }
  });

  it('keeps users apart and stores ids as given, SQL-looking ones included', async () => {
    const store = await fresh();
    const [ann, bob] = [randomUUID(), randomUUID()];
    const sneaky = "x'); DROP TABLE achievement_progress;--";
    await store.unlock(ann, sneaky, 0, NOW);
    await store.progress(ann, 'c', 3, 10, NOW);
    await store.progress(bob, 'c', 8, 10, NOW);
    const records = (await store.recordsOf(ann)).sort((a, b) =>
      a.achievementId.localeCompare(b.achievementId),
    );
    expect(records).toEqual([
      { achievementId: 'c', progress: 3, unlockedAtMs: null },
      { achievementId: sneaky, progress: 0, unlockedAtMs: NOW },
    ]);
    expect(await store.recordsOf(randomUUID())).toEqual([]);
  });

  describe('the service', () => {
    const service = async () => {
      const achievements = new AchievementsService(await fresh(), DEFINITIONS, () => NOW);
      const events: UnlockEvent[] = [];
      achievements.onUnlock((event) => events.push(event));
      return { achievements, events };
    };
    const game = { fromClient: false };
    const client = { fromClient: true };

    it('fires one event per new unlock, however many reports race', async () => {
      const { achievements, events } = await service();
      const ann = randomUUID();
      const unlocks = await Promise.all([1, 2, 3].map(() => achievements.unlock(ann, 'first-blood', client)));
      expect(unlocks.filter(Boolean)).toHaveLength(1);
      await Promise.all(
        [4, 12, 10, 9, 30].map((value) => achievements.progress(ann, 'collector', value, client)),
      );
      await achievements.unlock(ann, 'collector', client);
      expect(events).toEqual([
        { userId: ann, achievementId: 'first-blood', title: 'First blood', unlockedAtMs: NOW },
        { userId: ann, achievementId: 'collector', title: 'Collector', unlockedAtMs: NOW },
      ]);
    });

    it('stops calling a listener once unsubscribed, and a failing listener stops nothing', async () => {
      const { achievements, events } = await service();
      const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
      const unsubscribe = achievements.onUnlock(() => {
        throw new Error('listener broke');
      });
      const ann = randomUUID();
      expect(await achievements.unlock(ann, 'first-blood', game)).toBe(true);
      expect(quiet).toHaveBeenCalledOnce();
      unsubscribe();
      await achievements.unlock(ann, 'secret.cave', game);
      expect(quiet).toHaveBeenCalledOnce();
      quiet.mockRestore();
      expect(events.map((event) => event.achievementId)).toEqual(['first-blood', 'secret.cave']);
    });

    it('lists every definition, withholding hidden ones until unlocked', async () => {
      const { achievements } = await service();
      const ann = randomUUID();
      await achievements.progress(ann, 'collector', 4, client);
      const before = await achievements.enumerate(ann);
      expect(before).toEqual([
        {
          id: 'first-blood',
          hidden: false,
          title: 'First blood',
          description: 'Win a round',
          unlocked: false,
          unlockedAtMs: null,
          progress: 0,
          target: null,
        },
        {
          id: 'collector',
          hidden: false,
          title: 'Collector',
          unlocked: false,
          unlockedAtMs: null,
          progress: 4,
          target: 10,
        },
        { id: 'secret.cave', hidden: true, unlocked: false, unlockedAtMs: null, progress: 0, target: null },
        {
          id: 'server.champion',
          hidden: false,
          title: 'Champion',
          unlocked: false,
          unlockedAtMs: null,
          progress: 0,
          target: 3,
        },
      ]);
      await achievements.unlock(ann, 'secret.cave', game);
      expect((await achievements.enumerate(ann))[2]).toEqual({
        id: 'secret.cave',
        hidden: false,
        title: 'Spelunker',
        description: 'Find the cave',
        unlocked: true,
        unlockedAtMs: NOW,
        progress: 0,
        target: null,
      });
      expect(await achievements.have(ann, 'secret.cave')).toBe(true);
      expect(await achievements.have(ann, 'collector')).toBe(false);
    });

    it('refuses bad writes with a stable code and changes nothing', async () => {
      const { achievements, events } = await service();
      const ann = randomUUID();
      await achievements.progress(ann, 'collector', 5, client);
      const cases: [Promise<unknown>, string][] = [
        [achievements.unlock(ann, 'nope', game), 'ACHIEVEMENT_NOT_FOUND'],
        [achievements.progress(ann, 'nope', 1, game), 'ACHIEVEMENT_NOT_FOUND'],
        [achievements.have(ann, 'nope'), 'ACHIEVEMENT_NOT_FOUND'],
        [achievements.unlock(ann, 'server.champion', client), 'SERVICE_WRITE_FORBIDDEN'],
        [achievements.progress(ann, 'server.champion', 3, client), 'SERVICE_WRITE_FORBIDDEN'],
        [achievements.progress(ann, 'first-blood', 1, game), 'ACHIEVEMENT_PROGRESS_INVALID'],
        ...[
          -1,
          1.5,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          Number.MAX_SAFE_INTEGER + 1,
          '7' as unknown as number,
        ].map((value): [Promise<unknown>, string] => [
          achievements.progress(ann, 'collector', value, client),
          'ACHIEVEMENT_PROGRESS_INVALID',
        ]),
      ];
      for (const [attempt, code] of cases) expect(await failure(attempt)).toMatchObject({ code });
      expect(events).toEqual([]);
      const states = await achievements.enumerate(ann);
      expect(states.map((state) => [state.id, state.unlocked, state.progress])).toEqual([
        ['first-blood', false, 0],
        ['collector', false, 5],
        ['secret.cave', false, 0],
        ['server.champion', false, 0],
      ]);
      expect(await achievements.progress(ann, 'server.champion', 3, game)).toMatchObject({
        newlyUnlocked: true,
      });
    });

    it('refuses malformed or duplicate definitions with ACHIEVEMENT_INVALID', async () => {
      const store = await fresh();
      const bad: unknown[] = [
        { id: '', title: 'Empty id' },
        { id: 'a'.repeat(65), title: 'Long id' },
        { id: 'has space', title: 'Bad id' },
        { id: "x'; DROP TABLE achievement_progress;--", title: 'SQL id' },
        { id: 'ok', title: '' },
        { id: 'ok', title: 't'.repeat(129) },
        { id: 'ok', title: 'T', description: 'd'.repeat(1025) },
        { id: 'ok', title: 'T', target: 0 },
        { id: 'ok', title: 'T', target: 2.5 },
        { id: 'ok', title: 'T', target: '3' },
        { id: 'ok', title: 'T', hidden: 'yes' },
        { id: 'ok', title: 'T', authoritative: 1 },
        { id: 'ok', title: 'T', secret: true },
        null,
      ];
      for (const definition of bad) {
        const error = failure(
          Promise.resolve().then(() => new AchievementsService(store, [definition as AchievementDefinition])),
        );
        expect(isShardlineError(await error, 'ACHIEVEMENT_INVALID'), JSON.stringify(definition)).toBe(true);
      }
      const twice = [
        { id: 'a.b-c_9', title: 'A' },
        { id: 'a.b-c_9', title: 'B' },
      ];
      expect(
        isShardlineError(
          await failure(Promise.resolve().then(() => new AchievementsService(store, twice))),
          'ACHIEVEMENT_INVALID',
        ),
      ).toBe(true);
      expect(
        new AchievementsService(store, [
          twice[0]!,
          { id: 'x'.repeat(64), title: 't'.repeat(128), target: 1 },
        ]),
      ).toBeInstanceOf(AchievementsService);
    });
  });
});
