import { createHash } from 'node:crypto';
import {
  AccessTokens,
  AccountsService,
  accountRoutes,
  DEFAULT_SAVES_LIMITS,
  MAX_HTTP_BODY_BYTES,
  openAccountsStore,
  openSavesStore,
  openSqlite,
  SAVE_TEXT_LIMITS,
  SavesService,
  saveBodyLimit,
  saveRoutes,
  serveServiceApi,
} from '@shardline/server';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceDatabases } from './support/service-databases.js';
import { type ServicesHttp, startServicesHttp } from './support/services-http.js';

const CAP = DEFAULT_SAVES_LIMITS.maxSaveBytes;
const base64 = (data: Uint8Array) => Buffer.from(data).toString('base64');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
const pattern = (length: number, seed = 0) =>
  Uint8Array.from({ length }, (_, index) => (index * 7 + seed + (index >> 8)) & 255);

describe.each(serviceDatabases)('the saves API over HTTP: %s', (_name, open) => {
  let http: ServicesHttp;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const opened = await open();
    dispose = opened.dispose;
    const saves = new SavesService(await openSavesStore(opened.database));
    http = await startServicesHttp(opened.database, (api) => saveRoutes(api, saves));
  });
  afterAll(async () => {
    await http.close();
    await dispose();
  });
  /** A new user's access token: each test has its own users, so none sees another's slots. */
  const user = async (name: string) => (await http.signUp(name)).accessToken;
  const put = (token: string, slot: string, body: unknown) =>
    http.call('PUT', `/v1/saves/${slot}`, { body, token });
  const get = (token: string, slot: string) => http.call('GET', `/v1/saves/${slot}`, { token });
  const remove = (token: string, slotAndQuery: string) =>
    http.call('DELETE', `/v1/saves/${slotAndQuery}`, { token });
  const list = async (token: string) => {
    const { status, body } = await http.call('GET', '/v1/saves', { token });
    return { status, body };
  };

  it('writes, reads, lists, versions and deletes a slot', async () => {
    const ann = await user('ann');
    const data = pattern(1000);
    const created = await put(ann, 'campaign', {
      title: 'Act I',
      data: base64(data),
      checksum: sha256(data),
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      slot: 'campaign',
      title: 'Act I',
      description: '',
      size: 1000,
      checksum: sha256(data),
      version: 1,
      updatedAtMs: expect.any(Number),
    });
    expect(await get(ann, 'campaign')).toMatchObject({
      status: 200,
      body: { ...created.body, data: base64(data) },
    });

    const next = pattern(10, 3);
    const updated = await put(ann, 'campaign', {
      title: 'Act II',
      description: 'at the gates',
      data: base64(next),
      checksum: sha256(next).toUpperCase(), // hex in either case
      expectedVersion: 1,
    });
    expect(updated).toMatchObject({ status: 200, body: { version: 2, title: 'Act II', size: 10 } });
    expect(await put(ann, 'campaign', { title: 'stale', data: '', expectedVersion: 1 })).toMatchObject({
      status: 409,
      body: { code: 'SAVE_VERSION_CONFLICT' },
    });
    expect(await put(ann, 'campaign', { title: 'new only', data: '', replace: false })).toMatchObject({
      status: 409,
      body: { code: 'SAVE_SLOT_EXISTS' },
    });
    const another = await put(ann, 'another', { title: 'Other', data: '', expectedVersion: 0 });
    expect(another.status).toBe(201);
    expect(await list(ann)).toEqual({ status: 200, body: { saves: [another.body, updated.body] } });

    expect(await remove(ann, 'campaign?expectedVersion=1')).toMatchObject({
      status: 409,
      body: { code: 'SAVE_VERSION_CONFLICT' },
    });
    expect((await get(ann, 'campaign')).body.data).toBe(base64(next));
    expect((await remove(ann, 'campaign?expectedVersion=2')).status).toBe(204);
    expect(await get(ann, 'campaign')).toMatchObject({ status: 404, body: { code: 'SAVE_NOT_FOUND' } });
    expect(await remove(ann, 'campaign')).toMatchObject({ status: 404, body: { code: 'SAVE_NOT_FOUND' } });
    expect((await remove(ann, 'another')).status).toBe(204);
    expect(await list(ann)).toEqual({ status: 200, body: { saves: [] } });
  });

  it('keeps each user to their own slots', async () => {
    const [ann, bob] = [await user('ann2'), await user('bob2')];
    expect((await put(ann, 'mine', { title: 'Ann', data: base64(pattern(5)) })).status).toBe(201);
    expect(await get(bob, 'mine')).toMatchObject({ status: 404, body: { code: 'SAVE_NOT_FOUND' } });
    expect(await list(bob)).toEqual({ status: 200, body: { saves: [] } });
    expect((await remove(bob, 'mine')).status).toBe(404);
    expect((await put(bob, 'mine', { title: 'Bob', data: '' })).status).toBe(201); // Bob's own slot
    expect((await get(ann, 'mine')).body).toMatchObject({
      title: 'Ann',
      version: 1,
      data: base64(pattern(5)),
    });
    expect((await remove(ann, 'mine')).status).toBe(204);
    expect((await get(bob, 'mine')).body).toMatchObject({ title: 'Bob', version: 1 });
  });

  it('takes data up to the cap and refuses more with 413 SAVE_TOO_LARGE, writing nothing', async () => {
    const ann = await user('ann3');
    const full = pattern(CAP, 9);
    expect(await put(ann, 'big', { title: 'Full', data: base64(full) })).toMatchObject({
      status: 201,
      body: { size: CAP, checksum: sha256(full) },
    });
    expect((await get(ann, 'big')).body.data).toBe(base64(full));
    // Just over the cap (the service's check), and past the route's body limit (fastify's).
    for (const size of [CAP + 1, CAP + 3000, saveBodyLimit(CAP)]) {
      expect(
        await put(ann, 'big', { title: 'Over', data: base64(pattern(size)) }),
        `${size} B`,
      ).toMatchObject({
        status: 413,
        body: { code: 'SAVE_TOO_LARGE' },
      });
      expect(await put(ann, 'other', { title: 'Over', data: base64(pattern(size)) })).toMatchObject({
        status: 413,
      });
    }
    expect((await get(ann, 'big')).body).toMatchObject({ title: 'Full', version: 1, data: base64(full) });
    expect((await list(ann)).body.saves).toHaveLength(1);
  });

  it('refuses a new slot past the limit with SAVE_SLOTS_FULL', async () => {
    const cat = await user('cat');
    const slots = Array.from({ length: DEFAULT_SAVES_LIMITS.maxSlotsPerUser }, (_, index) => `full-${index}`);
    for (const slot of slots) expect((await put(cat, slot, { title: slot, data: '' })).status).toBe(201);
    expect(await put(cat, 'one-more', { title: 'x', data: '' })).toMatchObject({
      status: 409,
      body: { code: 'SAVE_SLOTS_FULL' },
    });
    expect((await put(cat, 'full-0', { title: 'still writable', data: '' })).status).toBe(200);
    expect(await get(cat, 'one-more')).toMatchObject({ status: 404 });
    expect((await remove(cat, 'full-3')).status).toBe(204);
    expect((await put(cat, 'one-more', { title: 'x', data: '' })).status).toBe(201);
  });

  it('answers bad input with a stable code and changes nothing', async () => {
    const ann = await user('ann4');
    const kept = pattern(16, 1);
    expect((await put(ann, 'kept', { title: 'Kept', data: base64(kept) })).status).toBe(201);
    const before = await list(ann);
    const good = { title: 'Bad', data: base64(kept) };
    const bodies: [unknown, number, string][] = [
      [{ ...good, admin: true }, 400, 'REQUEST_INVALID'], // unknown field
      [{ ...good, title: 42 }, 400, 'REQUEST_INVALID'], // wrong types
      [{ ...good, data: [1, 2] }, 400, 'REQUEST_INVALID'],
      [{ ...good, replace: 'yes' }, 400, 'REQUEST_INVALID'],
      [{ ...good, expectedVersion: -1 }, 400, 'REQUEST_INVALID'],
      [{ ...good, expectedVersion: 1.5 }, 400, 'REQUEST_INVALID'],
      [{ data: good.data }, 400, 'REQUEST_INVALID'], // no title
      ['{"title": "Bad",', 400, 'REQUEST_INVALID'], // not JSON
      [{ ...good, data: 'not base64!' }, 400, 'REQUEST_INVALID'],
      [{ ...good, data: 'AQ' }, 400, 'REQUEST_INVALID'], // unpadded
      [{ ...good, data: '-_8=' }, 400, 'REQUEST_INVALID'], // URL alphabet
      [{ ...good, data: ` ${good.data}` }, 400, 'REQUEST_INVALID'],
      [{ ...good, title: 't'.repeat(SAVE_TEXT_LIMITS.title + 1) }, 400, 'SAVE_INVALID'], // the service's rule
      [{ ...good, title: 't'.repeat(2 * SAVE_TEXT_LIMITS.title + 1) }, 400, 'REQUEST_INVALID'], // outer bound
      [{ ...good, description: 'd'.repeat(SAVE_TEXT_LIMITS.description + 1) }, 400, 'SAVE_INVALID'],
      [{ ...good, title: 'nul \u0000 inside' }, 400, 'SAVE_INVALID'],
      [{ ...good, checksum: sha256(pattern(16, 2)) }, 400, 'SAVE_CHECKSUM_MISMATCH'],
      [{ ...good, checksum: 'not-a-checksum' }, 400, 'SAVE_CHECKSUM_MISMATCH'],
    ];
    for (const slot of ['kept', 'probe']) {
      for (const [body, status, code] of bodies) {
        expect(await put(ann, slot, body), `${slot} ${JSON.stringify(body).slice(0, 80)}`).toMatchObject({
          status,
          body: { code },
        });
      }
    }
    // Spaces, too long (65 and 100: fastify's router refuses params past 100), not ASCII, a slash.
    for (const slot of ['a%20b', 'x'.repeat(65), 'x'.repeat(100), '%C3%A9t%C3%A9', 'a%2Fb']) {
      expect(await put(ann, slot, good), slot).toMatchObject({ status: 400, body: { code: 'SAVE_INVALID' } });
      expect(await get(ann, slot), slot).toMatchObject({ status: 400, body: { code: 'SAVE_INVALID' } });
      expect(await remove(ann, slot), slot).toMatchObject({ status: 400, body: { code: 'SAVE_INVALID' } });
    }
    for (const query of ['expectedVersion=abc', 'expectedVersion=-1', 'force=1']) {
      expect(await remove(ann, `kept?${query}`), query).toMatchObject({
        status: 400,
        body: { code: 'REQUEST_INVALID' },
      });
    }
    for (const token of [undefined, 'forged.token.here', `${ann}x`]) {
      const auth = token ? { token } : {};
      const answers = await Promise.all([
        http.call('GET', '/v1/saves', auth),
        http.call('GET', '/v1/saves/kept', auth),
        http.call('PUT', '/v1/saves/kept', { body: good, ...auth }),
        http.call('DELETE', '/v1/saves/kept', auth),
        // The token is checked before the body is read: an oversized or malformed body still gets 401.
        http.call('PUT', '/v1/saves/kept', { body: { ...good, data: 'A'.repeat(600_000) }, ...auth }),
        http.call('PUT', '/v1/saves/kept', { body: '{"title": ', ...auth }),
      ]);
      for (const answer of answers) {
        expect(answer).toMatchObject({ status: 401, body: { code: 'AUTH_TOKEN_INVALID' } });
      }
    }
    expect(await list(ann)).toEqual(before);
    expect((await get(ann, 'kept')).body).toMatchObject({ title: 'Kept', version: 1, data: base64(kept) });
    expect(await get(ann, 'probe')).toMatchObject({ status: 404, body: { code: 'SAVE_NOT_FOUND' } });
  });
});

describe('the saves API under the real server body limit', () => {
  it('takes a full-size save while other routes keep the 64 KiB limit', async () => {
    const database = openSqlite(':memory:');
    const accounts = new AccountsService(
      await openAccountsStore({ kind: 'sqlite', database }),
      new AccessTokens(new Uint8Array(32).fill(7)),
    );
    const saves = new SavesService(await openSavesStore({ kind: 'sqlite', database }));
    const server = Fastify({ logger: false, bodyLimit: MAX_HTTP_BODY_BYTES });
    await serveServiceApi(server, {
      accounts,
      addRoutes: async (api) => {
        await accountRoutes(api, accounts);
        await saveRoutes(api, saves);
      },
    });
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    const post = (method: string, path: string, body: unknown, token?: string) =>
      fetch(`${url}/v1${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    try {
      const tooLarge = await post('POST', '/accounts/register', {
        username: 'ann',
        password: 'x'.repeat(CAP),
      });
      expect(tooLarge.status).toBe(413);
      expect(await tooLarge.json()).toMatchObject({ code: 'REQUEST_INVALID' });
      const registered = await post('POST', '/accounts/register', {
        username: 'ann',
        password: 'correct horse battery',
      });
      const { accessToken, user } = (await registered.json()) as {
        accessToken: string;
        user: { id: string };
      };
      const data = pattern(CAP, 5);
      const title = '\u{1F3AE}'.repeat(SAVE_TEXT_LIMITS.title); // the longest title, each character 4 bytes
      const written = await post('PUT', '/saves/full', { title, data: base64(data) }, accessToken);
      expect(written.status).toBe(201);
      expect(await saves.read(user.id, 'full')).toMatchObject({ title, size: CAP, checksum: sha256(data) });
    } finally {
      await server.close();
      database.close();
    }
  });
});
