import { randomUUID } from 'node:crypto';
import {
  FRIEND_LIMITS,
  type FriendLimits,
  FriendsService,
  type FriendsStore,
  friendRoutes,
  openAccountsStore,
  openFriendsStore,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceDatabases } from './support/service-databases.js';
import { type ServicesHttp, startServicesHttp } from './support/services-http.js';

describe.each(serviceDatabases)('the friends API over HTTP: %s', (_name, open) => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  /** The API with the friends routes, and three signed-up users. */
  async function start(limits: FriendLimits = FRIEND_LIMITS) {
    const { database, dispose } = await open();
    const store: FriendsStore = await openFriendsStore(database);
    const friends = new FriendsService(store, await openAccountsStore(database), limits);
    const http: ServicesHttp = await startServicesHttp(database, (api) => friendRoutes(api, friends));
    cleanup = async () => {
      await http.close();
      await dispose();
    };
    const [ann, bob, cat] = [await http.signUp('ann'), await http.signUp('bob'), await http.signUp('cat')];
    const listOf = async (user: { accessToken: string }) =>
      (await http.call('GET', '/v1/friends', { token: user.accessToken })).body;
    return { http, friends, store, ann, bob, cat, listOf };
  }
  const empty = { friends: [], incoming: [], outgoing: [] };

  it('requests by name, accepts, lists both sides with names, and unfriends from either side', async () => {
    const { http, friends, ann, bob, listOf } = await start();
    const sent = await http.call('POST', '/v1/friends/requests', {
      body: { username: 'BOB' },
      token: ann.accessToken,
    });
    expect(sent).toMatchObject({
      status: 200,
      body: { userId: bob.userId, username: 'bob', state: 'requested' },
    });
    expect(await listOf(ann)).toEqual({
      ...empty,
      outgoing: [{ userId: bob.userId, username: 'bob', sinceMs: expect.any(Number) }],
    });
    expect(await listOf(bob)).toMatchObject({
      friends: [],
      incoming: [{ userId: ann.userId, username: 'ann' }],
    });
    const accept = `/v1/friends/requests/${ann.userId}/accept`;
    expect((await http.call('POST', accept, { token: bob.accessToken })).status).toBe(204);
    expect((await http.call('POST', accept, { token: bob.accessToken })).status).toBe(204); // a retry
    expect(await listOf(ann)).toMatchObject({
      friends: [{ userId: bob.userId, username: 'bob' }],
      incoming: [],
    });
    expect(await friends.areFriends(ann.userId, bob.userId)).toBe(true);
    expect(await friends.friendIdsOf(bob.userId)).toEqual([ann.userId]);
    for (let i = 0; i < 2; i += 1) {
      expect(
        (await http.call('DELETE', `/v1/friends/${ann.userId}`, { token: bob.accessToken })).status,
      ).toBe(204);
    }
    expect(await friends.areFriends(ann.userId, bob.userId)).toBe(false);
    expect(await listOf(ann)).toEqual(empty);
  });

  it('makes friends at once when both ask, and a repeated request changes nothing', async () => {
    const { http, ann, cat, listOf } = await start();
    await http.call('POST', '/v1/friends/requests', { body: { username: 'ann' }, token: cat.accessToken });
    const back = await http.call('POST', '/v1/friends/requests', {
      body: { username: 'cat' },
      token: ann.accessToken,
    });
    expect(back.body).toEqual({ userId: cat.userId, username: 'cat', state: 'friends' });
    const again = await http.call('POST', '/v1/friends/requests', {
      body: { username: 'ann' },
      token: cat.accessToken,
    });
    expect(again.body.state).toBe('friends');
    expect(await listOf(cat)).toMatchObject({ friends: [{ username: 'ann' }], incoming: [], outgoing: [] });
  });

  it('declines an incoming request and cancels an outgoing one', async () => {
    const { http, ann, bob, listOf } = await start();
    const ask = () =>
      http.call('POST', '/v1/friends/requests', { body: { username: 'bob' }, token: ann.accessToken });
    await ask();
    expect(
      (await http.call('DELETE', `/v1/friends/requests/${ann.userId}`, { token: bob.accessToken })).status,
    ).toBe(204);
    expect(
      await http.call('DELETE', `/v1/friends/requests/${ann.userId}`, { token: bob.accessToken }),
    ).toMatchObject({
      status: 404,
      body: { code: 'FRIEND_REQUEST_NOT_FOUND' },
    });
    await ask();
    expect(
      (await http.call('DELETE', `/v1/friends/requests/${bob.userId}`, { token: ann.accessToken })).status,
    ).toBe(204);
    expect(await listOf(ann)).toEqual(empty);
    expect(await listOf(bob)).toEqual(empty);
  });

  it('answers bad input with a stable code and changes nothing', async () => {
    const { http, ann, bob, listOf } = await start();
    const request = (body: unknown, token: string | undefined = ann.accessToken) =>
      http.call('POST', '/v1/friends/requests', { body, token });
    const cases: [() => Promise<{ status: number; body: { code: string } }>, number, string][] = [
      [() => request({ username: 'ann' }), 400, 'FRIEND_SELF'],
      [() => request({ username: 'ANN' }), 400, 'FRIEND_SELF'],
      [() => request({ username: 'nobody' }), 404, 'FRIEND_USER_NOT_FOUND'],
      [() => request({ username: "bob'); DROP TABLE friend_pairs;--" }), 404, 'FRIEND_USER_NOT_FOUND'],
      [() => request({ username: 42 }), 400, 'REQUEST_INVALID'],
      [() => request({ username: 'bob', admin: true }), 400, 'REQUEST_INVALID'],
      [() => request({}), 400, 'REQUEST_INVALID'],
      [() => request({ username: 'b'.repeat(65) }), 400, 'REQUEST_INVALID'],
      [() => request('{"username": "bob",'), 400, 'REQUEST_INVALID'],
      [() => request({ username: 'bob' }, 'forged.token.here'), 401, 'AUTH_TOKEN_INVALID'],
      [() => request({ username: 'bob' }, ''), 401, 'AUTH_TOKEN_INVALID'],
      [() => http.call('GET', '/v1/friends'), 401, 'AUTH_TOKEN_INVALID'],
      [
        () => http.call('POST', `/v1/friends/requests/${bob.userId}/accept`, { token: ann.accessToken }),
        404,
        'FRIEND_REQUEST_NOT_FOUND',
      ],
      [
        () => http.call('POST', `/v1/friends/requests/${randomUUID()}/accept`, { token: ann.accessToken }),
        404,
        'FRIEND_REQUEST_NOT_FOUND',
      ],
      [
        () => http.call('POST', `/v1/friends/requests/${'x'.repeat(65)}/accept`, { token: ann.accessToken }),
        400,
        'REQUEST_INVALID',
      ],
      [
        () => http.call('POST', `/v1/friends/requests/${ann.userId}/accept`, { token: ann.accessToken }),
        404,
        'FRIEND_REQUEST_NOT_FOUND',
      ],
      [
        () =>
          http.call('DELETE', `/v1/friends/requests/${encodeURIComponent("1' OR '1'='1")}`, {
            token: ann.accessToken,
          }),
        404,
        'FRIEND_REQUEST_NOT_FOUND',
      ],
      [
        () => http.call('DELETE', `/v1/friends/${bob.userId}`, { token: 'forged.token.here' }),
        401,
        'AUTH_TOKEN_INVALID',
      ],
    ];
    for (const [answer, status, code] of cases)
      expect(await answer()).toMatchObject({ status, body: { code } });
    expect(await listOf(ann)).toEqual(empty);
    expect(await listOf(bob)).toEqual(empty);
  });

  it('refuses past a limit with FRIEND_LIMIT_REACHED and changes nothing', async () => {
    const { http, ann, bob, cat, listOf } = await start({
      friends: 1,
      outgoingRequests: 1,
      incomingRequests: 5,
    });
    const ask = (from: { accessToken: string }, username: string) =>
      http.call('POST', '/v1/friends/requests', { body: { username }, token: from.accessToken });
    await ask(ann, 'bob');
    expect(await ask(ann, 'cat')).toMatchObject({
      status: 409,
      body: { code: 'FRIEND_LIMIT_REACHED', message: expect.stringMatching(/requests are waiting/) },
    });
    await http.call('POST', `/v1/friends/requests/${ann.userId}/accept`, { token: bob.accessToken });
    await ask(cat, 'ann');
    expect(
      await http.call('POST', `/v1/friends/requests/${cat.userId}/accept`, { token: ann.accessToken }),
    ).toMatchObject({
      status: 409,
      body: { code: 'FRIEND_LIMIT_REACHED', message: expect.stringMatching(/most friends/) },
    });
    expect(await listOf(ann)).toMatchObject({
      friends: [{ username: 'bob' }],
      incoming: [{ username: 'cat' }],
      outgoing: [],
    });
  });

  it('leaves users the accounts store no longer knows out of lists', async () => {
    const { store, ann, listOf } = await start();
    await store.request(randomUUID(), ann.userId, Date.now(), FRIEND_LIMITS);
    expect(await listOf(ann)).toEqual(empty);
  });
});
