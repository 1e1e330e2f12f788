import {
  ACHIEVEMENT_ID_LIMIT,
  type AchievementDefinition,
  AchievementsService,
  achievementRoutes,
  openAchievementsStore,
  type UnlockEvent,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceDatabases } from './support/service-databases.js';
import { startServicesHttp } from './support/services-http.js';

const DEFINITIONS: AchievementDefinition[] = [
  { id: 'first-blood', title: 'First blood' },
  { id: 'collector', title: 'Collector', target: 10 },
  { id: 'secret.cave', title: 'Spelunker', hidden: true },
  { id: 'server.champion', title: 'Champion', authoritative: true },
];

describe.each(serviceDatabases)('the achievements API over HTTP: %s', (_name, open) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  /** The API with the achievements routes, two signed-up users, and the unlock events seen. */
  async function start() {
    const { database, dispose } = await open();
    const achievements = new AchievementsService(await openAchievementsStore(database), DEFINITIONS);
    const events: UnlockEvent[] = [];
    achievements.onUnlock((event) => events.push(event));
    const http = await startServicesHttp(database, (api) => achievementRoutes(api, achievements));
    cleanup = async () => {
      await http.close();
      await dispose();
    };
    const [ann, bob] = [await http.signUp('ann'), await http.signUp('bob')];
    const mine = async (user: { accessToken: string }) =>
      (await http.call('GET', '/v1/achievements', { token: user.accessToken })).body.achievements;
    return { http, achievements, events, ann, bob, mine };
  }

  it('unlocks once, reports progress, and lists them for the signed-in user only', async () => {
    const { http, achievements, events, ann, bob, mine } = await start();
    const unlock = (id: string) =>
      http.call('POST', `/v1/achievements/${id}/unlock`, { token: ann.accessToken });
    expect(await unlock('first-blood')).toMatchObject({ status: 200, body: { newlyUnlocked: true } });
    expect(await unlock('first-blood')).toMatchObject({ status: 200, body: { newlyUnlocked: false } });
    const progress = (value: number) =>
      http.call('POST', '/v1/achievements/collector/progress', { body: { value }, token: ann.accessToken });
    expect((await progress(6)).body).toEqual({
      progress: 6,
      unlocked: false,
      unlockedAtMs: null,
      newlyUnlocked: false,
    });
    expect((await progress(3)).body).toMatchObject({ progress: 6, unlocked: false });
    expect((await progress(10)).body).toMatchObject({ progress: 10, unlocked: true, newlyUnlocked: true });
    expect(events.map((event) => [event.userId, event.achievementId, event.title])).toEqual([
      [ann.userId, 'first-blood', 'First blood'],
      [ann.userId, 'collector', 'Collector'],
    ]);
    const list = await mine(ann);
    expect(list.map((state: { id: string; unlocked: boolean }) => [state.id, state.unlocked])).toEqual([
      ['first-blood', true],
      ['collector', true],
      ['secret.cave', false],
      ['server.champion', false],
    ]);
    expect(list[2]).toEqual({
      id: 'secret.cave',
      hidden: true,
      unlocked: false,
      unlockedAtMs: null,
      progress: 0,
      target: null,
    });
    expect((await mine(bob)).some((state: { unlocked: boolean }) => state.unlocked)).toBe(false);
    expect(await achievements.have(ann.userId, 'collector')).toBe(true);
  });

  it('answers bad input with a stable code and changes nothing', async () => {
    const { http, events, ann, mine } = await start();
    const post = (path: string, body?: unknown, token: string | undefined = ann.accessToken) =>
      http.call('POST', `/v1/achievements/${path}`, { body, token });
    const cases: [() => ReturnType<typeof post>, number, string][] = [
      [() => post('server.champion/unlock'), 403, 'SERVICE_WRITE_FORBIDDEN'],
      [() => post('nope/unlock'), 404, 'ACHIEVEMENT_NOT_FOUND'],
      [
        () => post(`${encodeURIComponent("x'); DROP TABLE achievement_progress;--")}/unlock`),
        404,
        'ACHIEVEMENT_NOT_FOUND',
      ],
      [() => post(`${'a'.repeat(65)}/unlock`), 404, 'ACHIEVEMENT_NOT_FOUND'],
      [() => post(`${'a'.repeat(ACHIEVEMENT_ID_LIMIT + 1)}/unlock`), 400, 'REQUEST_INVALID'],
      [() => post('first-blood/progress', { value: 1 }), 400, 'ACHIEVEMENT_PROGRESS_INVALID'],
      [() => post('collector/progress', { value: -1 }), 400, 'ACHIEVEMENT_PROGRESS_INVALID'],
      [() => post('collector/progress', { value: 10.5 }), 400, 'ACHIEVEMENT_PROGRESS_INVALID'],
      [() => post('collector/progress', { value: 2 ** 60 }), 400, 'ACHIEVEMENT_PROGRESS_INVALID'],
      [() => post('collector/progress', { value: '10' }), 400, 'REQUEST_INVALID'],
      [() => post('collector/progress', { value: 10, unlock: true }), 400, 'REQUEST_INVALID'],
      [() => post('collector/progress', {}), 400, 'REQUEST_INVALID'],
      [() => post('collector/progress', '{"value": 10'), 400, 'REQUEST_INVALID'],
      [() => post('collector/progress', { value: 10 }, 'forged.token.here'), 401, 'AUTH_TOKEN_INVALID'],
      [() => post('first-blood/unlock', undefined, ''), 401, 'AUTH_TOKEN_INVALID'],
      [() => http.call('GET', '/v1/achievements'), 401, 'AUTH_TOKEN_INVALID'],
    ];
    for (const [answer, status, code] of cases)
      expect(await answer()).toMatchObject({ status, body: { code } });
    expect(events).toEqual([]);
    const unchanged = await mine(ann);
    expect(
      unchanged.map((state: { unlocked: boolean; progress: number }) => [state.unlocked, state.progress]),
    ).toEqual([
      [false, 0],
      [false, 0],
      [false, 0],
      [false, 0],
    ]);
  });
});
