import * as nodeCrypto from 'node:crypto';
import { GameClient, WebSocketClientTransport, type WebSocketConstructor } from '@shardline/client';
import {
  aeadFromNodeCrypto,
  type RunningShardline,
  readPlayerTicket,
  type ShardlineGame,
  starterGame,
  WORLD_CHANNELS,
} from '@shardline/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type JsonCall, jsonCaller, startTestShardline } from './support/json-http.js';

let running: RunningShardline;
const game: ShardlineGame = { ...starterGame, services: { matchmaking: { matchSize: 2, world: 'starter' } } };
let call: JsonCall;
beforeAll(async () => {
  running = await startTestShardline({}, game);
  call = jsonCaller(`${running.addresses.http}/v1`);
});
const open: { close(): void }[] = [];
afterAll(async () => {
  for (const thing of open) thing.close();
  await running.stop();
});

async function signUp(username: string): Promise<{ id: string; token: string }> {
  const { body } = await call('POST', '/accounts/register', {
    body: { username, password: 'correct horse battery' },
  });
  return { id: body.user.id, token: body.accessToken };
}

/** A user's push stream, collecting what it hears; `next(type)` waits for the next message of a type. */
async function stream(token: string) {
  const socket = new WebSocket(
    `${running.addresses.http.replace('http', 'ws')}/v1/stream?access_token=${token}`,
  );
  open.push(socket);
  // biome-ignore lint/suspicious/noExplicitAny: pushed messages are JSON of several shapes
  const heard: any[] = [];
  socket.on('message', (data) => heard.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    heard,
    async next(type: string, timeoutMs = 5_000) {
      const started = Date.now();
      for (;;) {
        const index = heard.findIndex((message) => message.type === type);
        if (index >= 0) return heard.splice(index, 1)[0];
        if (Date.now() - started > timeoutMs) throw new Error(`no ${type} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}

describe('lobbies over HTTP with live updates', () => {
  it('creates, joins with live updates, and starts a private world: every member connects to it with its token', async () => {
    const ann = await signUp('ann');
    const bob = await signUp('bob');
    const annHears = await stream(ann.token);
    const bobHears = await stream(bob.token);
    const created = await call('POST', '/lobbies', {
      body: { maxPlayers: 4, access: 'public', attributes: { map: 'docks', skill: 1200 }, world: 'starter' },
      token: ann.token,
    });
    expect(created.status).toBe(201);
    expect(created.body.world).toBe('starter');
    const lobbyId = created.body.id as string;
    const found = await call('POST', '/lobbies/search', {
      body: { equals: { map: 'docks' }, near: { key: 'skill', value: 1250 } },
      token: bob.token,
    });
    expect(found.body.lobbies.map((lobby: { id: string }) => lobby.id)).toEqual([lobbyId]);
    expect((await call('POST', `/lobbies/${lobbyId}/join`, { body: {}, token: bob.token })).status).toBe(200);
    // The dashboard and /metrics count the lobby and both push streams.
    const stats = (await (await fetch(`${running.addresses.http}/api/stats`)).json()) as {
      services: unknown;
    };
    expect(stats.services).toMatchObject({ lobbiesOpen: 1, pushStreams: 2 });
    const metrics = await (await fetch(`${running.addresses.http}/metrics`)).text();
    expect(metrics).toMatch(/^shardline_lobbies_open 1$/m);
    const update = await annHears.next('lobby.updated');
    expect(update.lobby.members.map((m: { username: string }) => m.username)).toEqual(['ann', 'bob']);

    const started = await call('POST', `/lobbies/${lobbyId}/start`, { token: ann.token });
    expect(started.status).toBe(200);
    const { connect } = await bobHears.next('lobby.started');
    // The start made a starter world only the lobby's members may join, and named it in each token.
    expect(connect.world.kind).toBe('starter');
    expect(started.body.world).toEqual(connect.world);
    const instance = running.worlds.get(connect.world.id);
    expect(instance.visibility).toBe('restricted');
    expect(instance.admits(ann.id) && instance.admits(bob.id) && !instance.admits('stranger')).toBe(true);
    const client = new GameClient({
      transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
      token: new Uint8Array(Buffer.from(connect.token, 'base64')),
      channels: WORLD_CHANNELS,
      aead: aeadFromNodeCrypto(nodeCrypto),
    });
    open.push({ close: () => client.disconnect() });
    await client.connect(running.addresses.ws);
    const session = running.server.sessions
      .map((id) => running.server.info(id)!)
      .find((info) => info.clientId === bob.id)!;
    expect(readPlayerTicket(session.clientId, session.userData)).toEqual({
      userId: bob.id,
      username: 'bob',
      lobbyId,
    });
  });

  it('matches two queued players and pushes each a started lobby with a token', async () => {
    const cat = await signUp('cat');
    const dan = await signUp('dan');
    const catHears = await stream(cat.token);
    const danHears = await stream(dan.token);
    expect(
      (await call('POST', '/matchmaking/ticket', { body: { skill: 1000, region: 'eu' }, token: cat.token }))
        .status,
    ).toBe(201);
    expect((await call('GET', '/matchmaking/ticket', { token: cat.token })).body).toMatchObject({
      queued: true,
      ticket: { skill: 1000 },
    });
    await call('POST', '/matchmaking/ticket', { body: { skill: 1050, region: 'eu' }, token: dan.token });
    const [catStart, danStart] = await Promise.all([
      catHears.next('lobby.started'),
      danHears.next('lobby.started'),
    ]);
    expect(catStart.lobbyId).toBe(danStart.lobbyId);
    expect(catStart.connect.token).not.toBe(danStart.connect.token);
    // The match plays in a private world of the matchmaker's kind, the same for both.
    expect(catStart.connect.world).toEqual(danStart.connect.world);
    expect(running.worlds.get(catStart.connect.world.id).kind.name).toBe('starter');
    expect((await call('GET', '/matchmaking/ticket', { token: cat.token })).body).toEqual({ queued: false });
    expect((await call('DELETE', '/matchmaking/ticket', { token: cat.token })).body.code).toBe(
      'MATCHMAKING_NOT_QUEUED',
    );
  });

  it('answers bad requests with stable codes and changes nothing', async () => {
    const eve = await signUp('eve');
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/lobbies', { maxPlayers: 100 }, 400, 'REQUEST_INVALID'],
      ['POST', '/lobbies', { maxPlayers: 4, owner: 'me' }, 400, 'REQUEST_INVALID'],
      ['POST', '/lobbies', { attributes: { "map'; DROP TABLE users; --": 1 } }, 400, 'LOBBY_INVALID'],
      ['POST', '/lobbies', { access: 'everyone' }, 400, 'REQUEST_INVALID'],
      ['POST', '/lobbies', { world: 'chess' }, 404, 'WORLD_KIND_UNKNOWN'],
      ['POST', '/lobbies/search', { limit: 1000 }, 400, 'REQUEST_INVALID'],
      ['POST', '/lobbies/no-such-lobby/join', {}, 404, 'LOBBY_NOT_FOUND'],
      ['POST', '/matchmaking/ticket', { skill: 'high', region: 'eu' }, 400, 'REQUEST_INVALID'],
      ['POST', '/matchmaking/ticket', { skill: 10, region: 'eu west' }, 400, 'MATCHMAKING_INVALID'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await call(method, path, { body, token: eve.token });
      expect({ path, sent: body, status: answer.status, code: answer.body.code }).toEqual({
        path,
        sent: body,
        status,
        code,
      });
    }
    expect((await call('POST', '/lobbies/search', { body: {}, token: eve.token })).body.lobbies).toEqual([]);
    expect((await call('GET', '/matchmaking/ticket', { token: eve.token })).body).toEqual({ queued: false });
    expect((await call('POST', '/lobbies', { body: {}, token: 'forged.jwt.token' })).status).toBe(401);
  });

  it('refuses a push stream without a valid access token', async () => {
    const socket = new WebSocket(
      `${running.addresses.http.replace('http', 'ws')}/v1/stream?access_token=forged`,
    );
    const status = await new Promise<number | undefined>((resolve) => {
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode));
      socket.once('open', () => resolve(undefined));
    });
    expect(status).toBe(401);
  });
});
