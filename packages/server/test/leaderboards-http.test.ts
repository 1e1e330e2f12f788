import {
  AccessTokens,
  isShardlineError,
  LEADERBOARD_LIMITS,
  type LeaderboardDefinition,
  LeaderboardsService,
  leaderboardRoutes,
  openLeaderboardsStore,
  openSqlite,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceDatabases } from './support/service-databases.js';
import { type ServicesHttp, startServicesHttp } from './support/services-http.js';

const BOARDS: LeaderboardDefinition[] = [
  { id: 'high-score', order: 'desc', operator: 'best' },
  { id: 'race.time', order: 'asc', operator: 'best' },
  { id: 'kills', order: 'desc', operator: 'increment', authoritative: true },
];

describe.each(serviceDatabases)('the leaderboards API over HTTP: %s', (_name, open) => {
  let running:
    | { http: ServicesHttp; leaderboards: LeaderboardsService; dispose(): Promise<void> }
    | undefined;
  afterEach(async () => {
    await running?.http.close();
    await running?.dispose();
    running = undefined;
  });
  /** Serves BOARDS; `friends` maps a user id to its friends' ids (no option at all if absent). */
  const serve = async (friends?: Map<string, string[]>) => {
    const { database, dispose } = await open();
    const leaderboards = new LeaderboardsService(await openLeaderboardsStore(database), BOARDS);
    const options = friends ? { friendIdsOf: async (id: string) => friends.get(id) ?? [] } : {};
    const http = await startServicesHttp(database, (api) => leaderboardRoutes(api, leaderboards, options));
    running = { http, leaderboards, dispose };
    return running;
  };

  it('lists the boards the game defines', async () => {
    const { http } = await serve();
    expect(await http.call('GET', '/v1/leaderboards')).toMatchObject({
      status: 200,
      body: {
        leaderboards: [
          { id: 'high-score', order: 'desc', operator: 'best', authoritative: false },
          { id: 'race.time', order: 'asc', operator: 'best', authoritative: false },
          { id: 'kills', order: 'desc', operator: 'increment', authoritative: true },
        ],
      },
    });
  });

  it('takes scores and reads them back: top, around me, me, friends', async () => {
    const friends = new Map<string, string[]>();
    const { http } = await serve(friends);
    const ann = await http.signUp('ann');
    const bob = await http.signUp('bob');
    const cy = await http.signUp('cyd');
    friends.set(ann.userId, [bob.userId, 'someone-without-a-score']);
    const submit = (token: string, body: unknown) =>
      http.call('POST', '/v1/leaderboards/high-score/scores', { body, token });
    expect(await submit(ann.accessToken, { score: 100, metadata: { car: 'red' } })).toEqual({
      status: 200,
      headers: expect.anything(),
      body: {
        entry: {
          rank: 1,
          userId: ann.userId,
          username: 'ann',
          score: 100,
          subscore: 0,
          metadata: { car: 'red' },
          updatedAtMs: expect.any(Number),
        },
      },
    });
    expect((await submit(bob.accessToken, { score: 300, subscore: 2 })).body.entry).toMatchObject({
      rank: 1,
    });
    expect((await submit(cy.accessToken, { score: 200 })).body.entry).toMatchObject({ rank: 2 });
    // A worse score on a 'best' board: the entry stays as it was.
    expect((await submit(ann.accessToken, { score: 50 })).body.entry).toMatchObject({ rank: 3, score: 100 });

    const names = (answer: { body: { entries: { rank: number; username: string }[] } }) =>
      answer.body.entries.map((entry) => `${entry.rank}:${entry.username}`);
    expect(names(await http.call('GET', '/v1/leaderboards/high-score/top'))).toEqual([
      '1:bob',
      '2:cyd',
      '3:ann',
    ]);
    expect(names(await http.call('GET', '/v1/leaderboards/high-score/top?limit=1&offset=1'))).toEqual([
      '2:cyd',
    ]);
    expect(
      names(
        await http.call('GET', '/v1/leaderboards/high-score/around-me?limit=2', { token: cy.accessToken }),
      ),
    ).toEqual(['2:cyd', '3:ann']);
    expect(
      names(await http.call('GET', '/v1/leaderboards/high-score/friends', { token: ann.accessToken })),
    ).toEqual(['1:bob', '3:ann']);
    expect(await http.call('GET', '/v1/leaderboards/high-score/me', { token: cy.accessToken })).toMatchObject(
      {
        status: 200,
        body: { entry: { rank: 2, username: 'cyd', score: 200, metadata: null } },
      },
    );
    expect((await http.call('GET', '/v1/leaderboards/race.time/me', { token: cy.accessToken })).body).toEqual(
      {
        entry: null,
      },
    );
    expect(
      (await http.call('GET', '/v1/leaderboards/race.time/around-me', { token: cy.accessToken })).body,
    ).toEqual({
      entries: [],
    });
  });

  it('ranks only the caller among friends when the process has no friends service', async () => {
    const { http } = await serve();
    const ann = await http.signUp('ann');
    const bob = await http.signUp('bob');
    for (const [user, score] of [
      [ann, 5],
      [bob, 9],
    ] as const) {
      await http.call('POST', '/v1/leaderboards/high-score/scores', {
        body: { score },
        token: user.accessToken,
      });
    }
    expect(
      (await http.call('GET', '/v1/leaderboards/high-score/friends', { token: ann.accessToken })).body,
    ).toMatchObject({
      entries: [{ rank: 2, username: 'ann' }],
    });
  });

  it('refuses bad scores with a stable code and changes nothing', async () => {
    const { http } = await serve();
    const ann = await http.signUp('ann');
    const path = '/v1/leaderboards/high-score/scores';
    await http.call('POST', path, { body: { score: 10, metadata: { kept: true } }, token: ann.accessToken });
    const refused: [unknown, number, string][] = [
      [{ score: '11' }, 400, 'REQUEST_INVALID'],
      [{ score: 11.5 }, 400, 'REQUEST_INVALID'],
      [{ score: 1e300 }, 400, 'REQUEST_INVALID'],
      [{ score: 2 ** 53 }, 400, 'REQUEST_INVALID'],
      [{ score: -(2 ** 53) }, 400, 'REQUEST_INVALID'],
      ['{"score": NaN}', 400, 'REQUEST_INVALID'],
      [{ score: null }, 400, 'REQUEST_INVALID'],
      [{}, 400, 'REQUEST_INVALID'],
      [{ score: 11, subscore: 0.5 }, 400, 'REQUEST_INVALID'],
      [{ score: 11, rank: 1 }, 400, 'REQUEST_INVALID'],
      [{ score: 11, metadata: [1] }, 400, 'REQUEST_INVALID'],
      [{ score: 11, metadata: 'note' }, 400, 'REQUEST_INVALID'],
      [{ score: 11, metadata: { note: 'x'.repeat(2048) } }, 400, 'LEADERBOARD_SCORE_INVALID'],
    ];
    for (const [body, status, code] of refused) {
      expect(
        await http.call('POST', path, { body, token: ann.accessToken }),
        JSON.stringify(body),
      ).toMatchObject({
        status,
        body: { code },
      });
    }
    expect(
      await http.call('POST', '/v1/leaderboards/no-such-board/scores', {
        body: { score: 11 },
        token: ann.accessToken,
      }),
    ).toMatchObject({ status: 404, body: { code: 'LEADERBOARD_NOT_FOUND' } });
    expect(
      (await http.call('GET', '/v1/leaderboards/high-score/me', { token: ann.accessToken })).body,
    ).toMatchObject({
      entry: { score: 10, metadata: { kept: true } },
    });
    expect((await http.call('GET', '/v1/leaderboards/high-score/top')).body.entries).toHaveLength(1);
  });

  it('refuses bad reads: unknown boards 404, limits and fields outside their bounds 400', async () => {
    const { http } = await serve();
    const ann = await http.signUp('ann');
    for (const route of ['top', 'around-me', 'friends', 'me']) {
      expect(
        await http.call('GET', `/v1/leaderboards/no-such-board/${route}`, { token: ann.accessToken }),
      ).toMatchObject({
        status: 404,
        body: { code: 'LEADERBOARD_NOT_FOUND' },
      });
    }
    const badQueries = [
      'top?limit=0',
      'top?limit=1000',
      'top?limit=ten',
      'top?offset=-1',
      `top?offset=${LEADERBOARD_LIMITS.maxOffset + 1}`,
      'top?sort=score',
      'around-me?limit=0',
      'around-me?limit=101',
    ];
    for (const query of badQueries) {
      expect(
        await http.call('GET', `/v1/leaderboards/high-score/${query}`, { token: ann.accessToken }),
        query,
      ).toMatchObject({
        status: 400,
        body: { code: 'REQUEST_INVALID' },
      });
    }
    expect(await http.call('GET', `/v1/leaderboards/${'x'.repeat(65)}/top`)).toMatchObject({
      status: 400,
      body: { code: 'REQUEST_INVALID' },
    });
    expect((await http.call('GET', '/v1/leaderboards/high-score/top?limit=100&offset=0')).status).toBe(200);
  });

  it('lets only the game server write to an authoritative board', async () => {
    const { http, leaderboards } = await serve();
    const ann = await http.signUp('ann');
    expect(
      await http.call('POST', '/v1/leaderboards/kills/scores', {
        body: { score: 5 },
        token: ann.accessToken,
      }),
    ).toMatchObject({
      status: 403,
      body: { code: 'SERVICE_WRITE_FORBIDDEN' },
    });
    expect(await http.call('GET', '/v1/leaderboards/kills/top')).toMatchObject({ body: { entries: [] } });
    await leaderboards.submit('kills', { id: ann.userId, username: 'ann' }, 3, {}, { fromClient: false });
    await leaderboards.submit('kills', { id: ann.userId, username: 'ann' }, 4, {}, { fromClient: false });
    expect(
      (await http.call('GET', '/v1/leaderboards/kills/me', { token: ann.accessToken })).body,
    ).toMatchObject({
      entry: { rank: 1, score: 7 },
    });
  });

  it('answers 401 to a missing or forged token, and serves the top page to anyone', async () => {
    const { http } = await serve();
    const ann = await http.signUp('ann');
    const forged = await new AccessTokens(new Uint8Array(32).fill(9)).issue(
      { userId: ann.userId, sessionId: 'made-up' },
      Date.now(),
    );
    for (const token of [undefined, forged, `${ann.accessToken}x`]) {
      expect(
        await http.call('POST', '/v1/leaderboards/high-score/scores', {
          body: { score: 1 },
          ...(token ? { token } : {}),
        }),
      ).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_INVALID' } });
      for (const route of ['around-me', 'friends', 'me']) {
        expect(
          (await http.call('GET', `/v1/leaderboards/high-score/${route}`, token ? { token } : {})).status,
        ).toBe(401);
      }
    }
    expect(await http.call('GET', '/v1/leaderboards/high-score/top')).toMatchObject({
      status: 200,
      body: { entries: [] },
    });
  });
});

describe('the leaderboards service', () => {
  const service = async (definitions: LeaderboardDefinition[] = BOARDS) => {
    const database = openSqlite(':memory:');
    return new LeaderboardsService(
      await openLeaderboardsStore({ kind: 'sqlite', database }),
      definitions,
      () => 1000,
    );
  };
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: unknown) => (isShardlineError(error) ? error.code : String(error)),
    );

  it('refuses malformed or duplicate definitions', async () => {
    const leaderboards = await service([]);
    const bad = [
      { id: '', order: 'desc', operator: 'best' },
      { id: 'x'.repeat(65), order: 'desc', operator: 'best' },
      { id: 'has space', order: 'desc', operator: 'best' },
      { id: 'ok', order: 'up', operator: 'best' },
      { id: 'ok', order: 'asc', operator: 'max' },
      { id: 'ok', order: 'asc', operator: 'best', authoritative: 'yes' },
    ] as unknown as LeaderboardDefinition[];
    for (const definition of bad) {
      expect(() => leaderboards.define(definition), JSON.stringify(definition)).toThrow(
        expect.objectContaining({ code: 'LEADERBOARD_INVALID' }),
      );
    }
    leaderboards.define({ id: 'A-z_0.9', order: 'asc', operator: 'latest' });
    expect(() => leaderboards.define({ id: 'A-z_0.9', order: 'desc', operator: 'best' })).toThrow(
      expect.objectContaining({ code: 'LEADERBOARD_INVALID' }),
    );
    expect(leaderboards.definitions()).toEqual([
      { id: 'A-z_0.9', order: 'asc', operator: 'latest', authoritative: false },
    ]);
  });

  it('refuses scores and metadata the HTTP schema cannot catch from game-server code', async () => {
    const leaderboards = await service();
    const ann = { id: 'ann', username: 'ann' };
    const submit = (score: number, options = {}) =>
      code(leaderboards.submit('high-score', ann, score, options, { fromClient: false }));
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const score of [Number.NaN, Number.POSITIVE_INFINITY, 1.5, 2 ** 53]) {
      expect(await submit(score), String(score)).toBe('LEADERBOARD_SCORE_INVALID');
    }
    for (const metadata of [null, [1], 'text', new Date(0), { big: 1n }, cycle, { s: 'é'.repeat(512) }]) {
      expect(await submit(1, { metadata }), String(metadata)).toBe('LEADERBOARD_SCORE_INVALID');
    }
    expect(await submit(1, { subscore: 0.5 })).toBe('LEADERBOARD_SCORE_INVALID');
    expect(await leaderboards.count('high-score')).toBe(0);
    // Exactly 1 KiB of metadata is fine.
    const metadata = { s: 'x'.repeat(1024 - '{"s":""}'.length) };
    expect(await leaderboards.submit('high-score', ann, 1, { metadata }, { fromClient: true })).toMatchObject(
      {
        metadata,
        updatedAtMs: 1000,
      },
    );
    await leaderboards.submit('kills', ann, Number.MAX_SAFE_INTEGER, {}, { fromClient: false });
    expect(await code(leaderboards.submit('kills', ann, 1, {}, { fromClient: false }))).toBe(
      'LEADERBOARD_SCORE_INVALID',
    );
  });

  it('bounds reads, and removes a score', async () => {
    const leaderboards = await service();
    expect(await code(leaderboards.top('high-score', { limit: 101 }))).toBe('REQUEST_INVALID');
    expect(await code(leaderboards.top('high-score', { offset: 0.5 }))).toBe('REQUEST_INVALID');
    expect(await code(leaderboards.aroundUser('high-score', 'ann', 0))).toBe('REQUEST_INVALID');
    const many = Array.from({ length: LEADERBOARD_LIMITS.users + 1 }, (_, index) => `user-${index}`);
    expect(await code(leaderboards.forUsers('high-score', many))).toBe('REQUEST_INVALID');
    expect(await leaderboards.forUsers('high-score', [...many.slice(1), 'user-1'])).toEqual([]); // duplicates count once
    expect(await code(leaderboards.count('nope'))).toBe('LEADERBOARD_NOT_FOUND');
    await leaderboards.submit('high-score', { id: 'ann', username: 'ann' }, 5, {}, { fromClient: true });
    expect(await leaderboards.deleteScore('high-score', 'ann')).toBe(true);
    expect(await leaderboards.entryOf('high-score', 'ann')).toBeUndefined();
  });
});
