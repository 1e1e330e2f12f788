import { ACCOUNT_FIELD_LIMITS, MAX_HTTP_BODY_BYTES, type RunningShardline } from '@shardline/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JsonCall, jsonCaller, startTestShardline } from './support/json-http.js';

let running: RunningShardline;
let api: JsonCall;
beforeAll(async () => {
  running = await startTestShardline();
  api = jsonCaller(`${running.addresses.http}/v1/accounts`);
});
afterAll(() => running.stop());

/** A request to the accounts API over real HTTP: its status and JSON body (undefined if none). */
const call = async (method: string, path: string, body?: unknown, token?: string) => {
  const { status, body: answer } = await api(method, path, { body, ...(token ? { token } : {}) });
  return { status, body: answer };
};

describe('the accounts API over HTTP', () => {
  it('registers, logs in, answers who I am, refreshes and logs out', async () => {
    const registered = await call('POST', '/register', {
      username: 'ann',
      password: 'correct horse battery',
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ user: { username: 'ann', guest: false } });
    const login = await call('POST', '/login', { username: 'ANN', password: 'correct horse battery' });
    expect(login.status).toBe(200);
    const me = await call('GET', '/me', undefined, login.body!.accessToken!);
    expect(me).toEqual({
      status: 200,
      body: { id: registered.body!.user!.id, username: 'ann', guest: false },
    });
    const refreshed = await call('POST', '/refresh', { refreshToken: login.body!.refreshToken! });
    expect(refreshed.status).toBe(200);
    expect((await call('POST', '/logout', undefined, refreshed.body!.accessToken!)).status).toBe(204);
    expect(await call('GET', '/me', undefined, refreshed.body!.accessToken!)).toMatchObject({
      status: 401,
      body: { code: 'AUTH_SESSION_ENDED' },
    });
    const guest = await call('POST', '/device', { deviceId: 'device-7d1e33a0' });
    expect(guest).toMatchObject({ status: 200, body: { user: { guest: true } } });
  });

  it('answers bad input with a stable code and changes nothing', async () => {
    const cases: [unknown, number, string][] = [
      [{ username: 'bob', password: 'correct horse battery', admin: true }, 400, 'REQUEST_INVALID'], // unknown field
      [{ username: 'bob', password: 12345678 }, 400, 'REQUEST_INVALID'], // wrong type
      [{ username: 'b'.repeat(65), password: 'correct horse battery' }, 400, 'REQUEST_INVALID'], // over its limit
      [
        { username: "bob'); DROP TABLE users;--", password: 'correct horse battery' },
        400,
        'ACCOUNT_NAME_INVALID',
      ],
      [{ username: 'bob', password: 'short' }, 400, 'ACCOUNT_PASSWORD_INVALID'],
      [{ username: 'bob', password: 'x'.repeat(129) }, 400, 'ACCOUNT_PASSWORD_INVALID'], // the service's rule
      [{ username: 'bob', password: 'x'.repeat(ACCOUNT_FIELD_LIMITS.password + 1) }, 400, 'REQUEST_INVALID'],
      ['{"username": "bob",', 400, 'REQUEST_INVALID'], // not JSON
      [{ username: 'bob', password: 'x'.repeat(MAX_HTTP_BODY_BYTES) }, 413, 'REQUEST_INVALID'], // over the body limit
    ];
    for (const [body, status, code] of cases) {
      expect(await call('POST', '/register', body), JSON.stringify(body).slice(0, 80)).toMatchObject({
        status,
        body: { code },
      });
    }
    expect(
      await call('POST', '/login', { username: 'bob', password: 'correct horse battery' }),
    ).toMatchObject({
      status: 401,
      body: { code: 'AUTH_LOGIN_FAILED' }, // no bob was made
    });
    expect(await call('GET', '/me', undefined, 'forged.token.here')).toMatchObject({
      status: 401,
      body: { code: 'AUTH_TOKEN_INVALID' },
    });
    expect(await call('GET', '/me')).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_INVALID' } });
  });
});
