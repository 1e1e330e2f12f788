import * as nodeCrypto from 'node:crypto';
import { GameClient, WebSocketClientTransport, type WebSocketConstructor } from '@shardline/client';
import {
  aeadFromNodeCrypto,
  loadConfig,
  parseConfig,
  type RunningShardline,
  readPlayerTicket,
  type ShardlineConfig,
  starterGame,
  starterWorld,
  WORLD_CHANNELS,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { jsonCaller, startTestShardline } from './support/json-http.js';
import { TEST_POSTGRES_URL, throwawayPostgres } from './support/postgres.js';

const running: RunningShardline[] = [];
const clients: GameClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

async function start(config: Partial<ShardlineConfig> = {}): Promise<RunningShardline> {
  const server = await startTestShardline(config);
  running.push(server);
  return server;
}

/** A JSON request to a running server's HTTP port: status, body, headers. */
const call = (
  server: RunningShardline,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
) => jsonCaller(server.addresses.http)(method, path, options);

const credentials = (username: string) => ({ username, password: 'correct horse battery' });

describe('the online services in shardline start', () => {
  it('gives a signed-in user a seat in a world whose token opens a session as that user', async () => {
    const server = await start();
    const signedIn = await call(server, 'POST', '/v1/accounts/register', { body: credentials('ann') });
    expect(signedIn.status).toBe(201);
    const seat = await call(server, 'POST', '/v1/worlds/join', {
      body: { kind: starterWorld.name, fingerprints: starterWorld.fingerprints },
      token: signedIn.body.accessToken,
    });
    expect(seat.status).toBe(200);
    const { token, serverAddresses, world } = seat.body as {
      token: string;
      serverAddresses: string[];
      world: { id: string; kind: string };
    };
    expect(serverAddresses).toEqual([server.addresses.udp, server.addresses.ws]);
    expect(world.kind).toBe('starter');
    const client = new GameClient({
      transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
      token: new Uint8Array(Buffer.from(token, 'base64')),
      channels: WORLD_CHANNELS,
      aead: aeadFromNodeCrypto(nodeCrypto),
    });
    clients.push(client);
    await client.connect(server.addresses.ws);
    const session = server.server.info(server.server.sessions[0]!)!;
    expect(session.world).toBe(world.id);
    expect(readPlayerTicket(session.clientId, session.userData)).toEqual({
      userId: signedIn.body.user.id,
      username: 'ann',
    });
    // Seats are for signed-in users only; a client built from another declaration is told what differs.
    expect(
      (
        await call(server, 'POST', '/v1/worlds/join', {
          body: { kind: 'starter', fingerprints: starterWorld.fingerprints },
        })
      ).body.code,
    ).toBe('AUTH_TOKEN_INVALID');
    const other = await call(server, 'POST', '/v1/worlds/join', {
      body: { kind: 'starter', fingerprints: { ...starterWorld.fingerprints, rates: '0123456789abcdef' } },
      token: signedIn.body.accessToken,
    });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 'PROTOCOL_MISMATCH' });
    expect(other.body.message).toMatch(/differs from the server's in: tick and send rates/);
    // The public listing needs no sign-in.
    const listed = await call(server, 'GET', '/v1/worlds?kind=starter');
    expect(listed.body.worlds).toEqual([
      expect.objectContaining({ id: world.id, kind: 'starter', players: 0, maxPlayers: 64 }),
    ]);
    // A connect token naming no world (sign-in's, for servers without worlds) is still handed out.
    const fresh = await call(server, 'POST', '/v1/accounts/connect-token', {
      token: signedIn.body.accessToken,
    });
    expect(fresh.status).toBe(200);
    expect((await call(server, 'POST', '/v1/accounts/connect-token')).body.code).toBe('AUTH_TOKEN_INVALID');
  });

  it("refuses to start when the game's matchmaking names a world kind it does not serve", async () => {
    await expect(
      startTestShardline(
        {},
        { ...starterGame, services: { matchmaking: { worldsByMode: { duel: 'arena' } } } },
      ),
    ).rejects.toThrow(/WORLD_KIND_UNKNOWN: no world kind "arena" here/);
  });

  it("refuses to start when the game's matches are larger than the kind they play in seats", async () => {
    const seats = starterGame.worlds[0]!.kind.maxPlayers;
    await expect(
      startTestShardline(
        {},
        { ...starterGame, services: { matchmaking: { matchSize: seats + 1, world: 'starter' } } },
      ),
    ).rejects.toThrow(
      `VALUE_INVALID: matchmaking forms matches of ${seats + 1} players, but world kind starter seats ${seats}`,
    );
  });

  it('serves the OpenAPI document at /docs', async () => {
    const server = await start();
    const document = await call(server, 'GET', '/docs/json');
    expect(document.status).toBe(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining(['/v1/accounts/login', '/v1/accounts/me', '/v1/accounts/connect-token']),
    );
    expect(document.body.paths['/v1/accounts/login'].post.requestBody).toBeDefined();
    const page = await fetch(`${server.addresses.http}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger/i);
  });

  it('limits requests per signed-in user, and other users are not held up', async () => {
    const server = await start({ rateLimits: { perIpPerMinute: 1000, perUserPerMinute: 3 } });
    const ann = (await call(server, 'POST', '/v1/accounts/register', { body: credentials('ann') })).body;
    const bob = (await call(server, 'POST', '/v1/accounts/register', { body: credentials('bob') })).body;
    for (let i = 0; i < 3; i++) {
      expect((await call(server, 'GET', '/v1/accounts/me', { token: ann.accessToken })).status).toBe(200);
    }
    const limited = await call(server, 'GET', '/v1/accounts/me', { token: ann.accessToken });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(server, 'GET', '/v1/accounts/me', { token: bob.accessToken })).status).toBe(200);
  });

  it('limits requests per client address, signed in or not', async () => {
    const server = await start({ rateLimits: { perIpPerMinute: 4, perUserPerMinute: 1000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await call(server, 'POST', '/v1/accounts/login', { body: credentials('nobody') })).status,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    // The game's own pages are not the services API: not limited.
    expect((await call(server, 'GET', '/healthz')).status).toBe(200);
  });

  it('keeps accounts in Postgres when configured: two processes share users and sessions', async () => {
    const throwaway = await throwawayPostgres();
    try {
      const postgres = { postgresUrl: TEST_POSTGRES_URL, postgresSchema: throwaway.schema };
      const first = await start(postgres);
      const second = await start(postgres);
      const registered = await call(first, 'POST', '/v1/accounts/register', { body: credentials('ann') });
      const me = await call(second, 'GET', '/v1/accounts/me', { token: registered.body.accessToken });
      expect(me.body).toEqual({ id: registered.body.user.id, username: 'ann', guest: false });
      expect((await call(second, 'POST', '/v1/accounts/login', { body: credentials('ANN') })).status).toBe(
        200,
      );
      const { rows } = await throwaway.pool.query('SELECT count(*) AS n FROM users');
      expect(Number(rows[0].n)).toBe(1);
    } finally {
      await Promise.all(running.splice(0).map((server) => server.stop()));
      await throwaway.drop();
    }
  });
});

describe('the services settings', () => {
  it('reads the Postgres URL, schema and rate limits from the file and the environment', () => {
    const config = parseConfig({ postgresSchema: 'game_one', rateLimits: { perUserPerMinute: 30 } });
    expect(config.postgresSchema).toBe('game_one');
    expect(config.rateLimits).toEqual({ perIpPerMinute: 3000, perUserPerMinute: 30 });
    expect(loadConfig(undefined, { SHARDLINE_POSTGRES_URL: TEST_POSTGRES_URL }).postgresUrl).toBe(
      TEST_POSTGRES_URL,
    );
  });

  it.each([
    [{ postgresUrl: 'mysql://root@localhost/db' }, 'postgresUrl'],
    [{ postgresSchema: 'Drop Table' }, 'postgresSchema'],
    [{ rateLimits: { perUser: 5 } }, 'rateLimits.perUser'],
    [{ rateLimits: { perIpPerMinute: 0 } }, 'rateLimits.perIpPerMinute'],
    [{ rateLimits: 5 }, 'rateLimits'],
  ])('refuses %j, naming %s', (raw, key) => {
    expect(() => parseConfig(raw)).toThrowError(`config: ${key} `);
  });
});
