import { GameClient, WebSocketClientTransport, type WebSocketConstructor } from '@shardline/client';
import {
  type ClusterEngine,
  DEFAULT_CONFIG,
  type GameServicesConfig,
  isShardlineError,
  migrateSqlite,
  openSqlite,
  readPlayerTicket,
  SERVER_MIGRATIONS,
  type SqliteDatabase,
  WORLD_CHANNELS,
} from '@shardline/server';
import Fastify from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ClusterPlacement,
  lobbiesSubject,
  pushChannel,
  servicesClusterOf,
} from '../src/cluster/services/index.js';
import {
  connectTicketsOf,
  type OnlineServices,
  openOnlineServices,
  runtimePlacement,
  serveOnlineServices,
} from '../src/runtime/online-services.js';
import { type JsonCall, jsonCaller } from './support/json-http.js';
import {
  engineKinds,
  freshCluster,
  TestRole,
  type TestShard,
  TestShards,
} from './support/services-cluster.js';
import { aead, waitFor } from './support/world-server.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One process serving the HTTP API: its own engine member, shard (duels) and online services. */
interface TestProcess {
  name: string;
  engine: ClusterEngine;
  shard: TestShard;
  services: OnlineServices;
  /** JSON calls to its `/v1` API. */
  call: JsonCall;
  /** Opens a push stream for an access token here; `next(type)` waits for the next message of a type. */
  stream(token: string): Promise<Heard>;
}

interface Heard {
  // biome-ignore lint/suspicious/noExplicitAny: pushed messages are JSON of several shapes
  heard: any[];
  // biome-ignore lint/suspicious/noExplicitAny: as above
  next(type: string, timeoutMs?: number): Promise<any>;
  close(): void;
}

/** A cluster of service processes on one engine and one database, coordinated by whoever `role` names. */
async function startCluster(
  newMember: () => Promise<ClusterEngine>,
  options: { game?: GameServicesConfig; goneAfterMs?: number } = {},
) {
  const cluster = freshCluster();
  const role = new TestRole('a');
  const shards = new TestShards();
  const database: SqliteDatabase = openSqlite(':memory:');
  cleanup.push(() => database.close());
  migrateSqlite(database, 'server', SERVER_MIGRATIONS);
  const logger = pino({ level: 'silent' });
  const start = async (name: string, creates: string[]): Promise<TestProcess> => {
    const engine = await newMember();
    cleanup.push(() => engine.close());
    const shard = await shards.start(name, { engine, cluster, creates });
    cleanup.push(() => shard.stop());
    const local = runtimePlacement(shard.handle.server, shard.handle.runtime);
    const tickets = {
      issue: connectTicketsOf(shard.handle.server),
      worlds: new ClusterPlacement({
        engine,
        cluster,
        shards,
        maxPlayersOf: (kind) => local.maxPlayersOf(kind),
      }),
    };
    const services = await openOnlineServices(DEFAULT_CONFIG, database, tickets, logger, options.game, {
      cluster: servicesClusterOf(engine, cluster, role.of(name)),
      ...(options.goneAfterMs === undefined ? {} : { goneAfterMs: options.goneAfterMs }),
    });
    cleanup.push(() => services.close());
    const http = Fastify({ logger: false });
    await serveOnlineServices(http, services, DEFAULT_CONFIG, tickets.issue);
    http.server.on(
      'upgrade',
      (request, socket, head) => void services.streams.handleUpgrade(request, socket, head),
    );
    const url = await http.listen({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => http.close());
    return {
      name,
      engine,
      shard,
      services,
      call: jsonCaller(`${url}/v1`),
      stream: (token) => openStream(url, token),
    };
  };
  return { cluster, role, shards, start };
}

async function openStream(url: string, token: string): Promise<Heard> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/v1/stream?access_token=${token}`);
  cleanup.push(() => socket.terminate());
  // biome-ignore lint/suspicious/noExplicitAny: pushed messages are JSON of several shapes
  const heard: any[] = [];
  socket.on('message', (data) => heard.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    heard,
    async next(type, timeoutMs = 5_000) {
      const startedAtMs = Date.now();
      for (;;) {
        const index = heard.findIndex((message) => message.type === type);
        if (index >= 0) return heard.splice(index, 1)[0];
        if (Date.now() - startedAtMs > timeoutMs) throw new Error(`no ${type} within ${timeoutMs} ms`);
        await sleep(10);
      }
    },
    close: () => socket.close(),
  };
}

async function signUp(process: TestProcess, username: string): Promise<{ id: string; token: string }> {
  const { body } = await process.call('POST', '/accounts/register', {
    body: { username, password: 'correct horse battery' },
  });
  return { id: body.user.id, token: body.accessToken };
}

describe.each(engineKinds)('online services across processes: %s', (_engine, engineKind) => {
  it("shares a lobby between processes: members on each hear every change; the start's tokens come from the shard hosting its world", async () => {
    const { start } = await startCluster(engineKind());
    const a = await start('a', []); // the coordinator; it creates no duels
    const b = await start('b', ['duel']);
    const ann = await signUp(b, 'ann');
    const bob = await signUp(a, 'bob');
    const annHears = await b.stream(ann.token);
    const bobHears = await a.stream(bob.token);
    const created = await b.call('POST', '/lobbies', {
      body: { maxPlayers: 2, world: 'duel' },
      token: ann.token,
    });
    expect(created.status).toBe(201);
    expect(a.services.lobbyFigures()).toMatchObject({ lobbiesOpen: 1 }); // held by the coordinator
    expect(b.services.lobbyFigures()).toMatchObject({ lobbiesOpen: 0 });
    const lobbyId = created.body.id as string;
    expect((await a.call('POST', `/lobbies/${lobbyId}/join`, { body: {}, token: bob.token })).status).toBe(
      200,
    );
    for (const hears of [annHears, bobHears]) {
      const update = await hears.next('lobby.updated');
      expect(update.lobby.members.map((member: { username: string }) => member.username)).toEqual([
        'ann',
        'bob',
      ]);
    }
    // A stable code from the coordinator passes through the forwarding process unchanged.
    const eve = await signUp(b, 'eve');
    const full = await b.call('POST', `/lobbies/${lobbyId}/join`, { body: {}, token: eve.token });
    expect({ status: full.status, code: full.body.code }).toEqual({ status: 409, code: 'LOBBY_FULL' });

    const started = await b.call('POST', `/lobbies/${lobbyId}/start`, { token: ann.token });
    expect(started.status).toBe(200);
    const { connect } = await bobHears.next('lobby.started');
    expect(connect.world).toEqual(started.body.world);
    // The world is on b, the only shard that creates duels, and b signed the tokens.
    expect(b.shard.handle.runtime.get(connect.world.id).admits(bob.id)).toBe(true);
    expect(a.shard.handle.runtime.all()).toEqual([]);
    expect(connect.serverAddresses).toEqual(b.shard.handle.server.publicAddresses);
    expect((await annHears.next('lobby.started')).connect.token).toBe(started.body.token);
    const client = new GameClient({
      transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
      token: new Uint8Array(Buffer.from(connect.token, 'base64')),
      channels: WORLD_CHANNELS,
      aead,
    });
    cleanup.push(() => client.disconnect());
    await client.connect(b.shard.handle.addresses.ws);
    const server = b.shard.handle.server;
    const session = server.sessions.map((id) => server.info(id)!).find((info) => info.clientId === bob.id)!;
    expect(readPlayerTicket(session.clientId, session.userData)).toEqual({
      userId: bob.id,
      username: 'bob',
      lobbyId,
    });
    // A member fetches a fresh token through either process: the same world.
    const again = await a.call('POST', `/lobbies/${lobbyId}/ticket`, { token: bob.token });
    expect(again.body.world).toEqual(connect.world);
  });

  it('matches tickets queued through two processes once each', async () => {
    const { start } = await startCluster(engineKind(), {
      game: { matchmaking: { matchSize: 2, world: 'duel' } },
    });
    const a = await start('a', ['duel']);
    const b = await start('b', ['duel']);
    const players = await Promise.all(
      ['ann', 'bob', 'cat', 'dan', 'eve', 'fay'].map(async (name, index) => {
        const via = index % 2 === 0 ? a : b;
        const user = await signUp(via, name);
        return { ...user, via, hears: await via.stream(user.token) };
      }),
    );
    const queued = await Promise.all(
      players.map((player) =>
        player.via.call('POST', '/matchmaking/ticket', {
          body: { skill: 1000, region: 'eu' },
          token: player.token,
        }),
      ),
    );
    expect(queued.map((answer) => answer.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const starts = await Promise.all(players.map((player) => player.hears.next('lobby.started')));
    await sleep(600); // a tick more: nobody is matched again
    for (const player of players)
      expect(player.hears.heard.filter((m) => m.type === 'lobby.started')).toEqual([]);
    // Three matches of two; every player in exactly one; the two of a match share one world.
    const byLobby = new Map<string, string[]>();
    for (const [index, started] of starts.entries()) {
      byLobby.set(started.lobbyId, [...(byLobby.get(started.lobbyId) ?? []), players[index]!.id]);
    }
    expect([...byLobby.values()].map((members) => members.length)).toEqual([2, 2, 2]);
    for (const [lobbyId, members] of byLobby) {
      const worlds = starts.filter((started) => started.lobbyId === lobbyId).map((s) => s.connect.world.id);
      expect(new Set(worlds).size).toBe(1);
      const world = worlds[0] as string;
      const hosts = [a, b].filter((process) =>
        process.shard.handle.runtime.all().some((w) => w.id === world),
      );
      expect(hosts).toHaveLength(1);
      expect(members.every((id) => hosts[0]!.shard.handle.runtime.get(world).admits(id))).toBe(true);
    }
    // Placed on the least-loaded shard each time: both shards host matches.
    expect(a.shard.handle.runtime.all().length + b.shard.handle.runtime.all().length).toBe(3);
    expect(
      Math.min(a.shard.handle.runtime.all().length, b.shard.handle.runtime.all().length),
    ).toBeGreaterThan(0);
    for (const player of players) {
      expect((await player.via.call('GET', '/matchmaking/ticket', { token: player.token })).body).toEqual({
        queued: false,
      });
    }
  });

  it('counts a stream on any process as presence: a user gone from every process leaves their lobby', async () => {
    const { start } = await startCluster(engineKind(), { goneAfterMs: 200 });
    const a = await start('a', []);
    const b = await start('b', []);
    const ann = await signUp(a, 'ann');
    const dan = await signUp(b, 'dan');
    const eve = await signUp(b, 'eve');
    const annHears = await a.stream(ann.token);
    const danOnB = await b.stream(dan.token);
    const eveOnA = await a.stream(eve.token);
    const eveOnB = await b.stream(eve.token);
    const lobbyId = (await a.call('POST', '/lobbies', { body: {}, token: ann.token })).body.id as string;
    await b.call('POST', `/lobbies/${lobbyId}/join`, { body: {}, token: dan.token });
    await b.call('POST', `/lobbies/${lobbyId}/join`, { body: {}, token: eve.token });
    const members = async () =>
      (await a.call('GET', `/lobbies/${lobbyId}`, { token: ann.token })).body.members.map(
        (member: { username: string }) => member.username,
      );
    await waitFor(() => annHears.heard.filter((m) => m.type === 'lobby.updated').length >= 2);
    annHears.heard.length = 0;
    // Dan's only stream is on b, which does not coordinate; eve keeps one on a.
    danOnB.close();
    eveOnB.close();
    const gone = await annHears.next('lobby.updated', 3_000);
    expect(gone.lobby.members.map((member: { username: string }) => member.username)).toEqual(['ann', 'eve']);
    await sleep(600);
    expect(await members()).toEqual(['ann', 'eve']);
    expect(annHears.heard).toEqual([]);
    eveOnA.close();
    await waitFor(() => annHears.heard.some((m) => m.type === 'lobby.updated'), 3_000);
    expect(await members()).toEqual(['ann']);
  });

  it('moves with the coordinator role: the new coordinator starts empty and the others forward to it', async () => {
    const { start, role } = await startCluster(engineKind());
    const a = await start('a', []);
    const b = await start('b', []);
    const ann = await signUp(a, 'ann');
    const lobbyId = (await b.call('POST', '/lobbies', { body: {}, token: ann.token })).body.id as string;
    role.move('b');
    await sleep(100); // a gives up the subject, b serves it
    expect(b.services.lobbyFigures()).toEqual({ lobbiesOpen: 0, lobbiesStarted: 0, queued: 0 });
    const lost = await a.call('GET', `/lobbies/${lobbyId}`, { token: ann.token });
    expect(lost.body.code).toBe('LOBBY_NOT_FOUND'); // lobbies are presence: a failover loses them
    const again = await a.call('POST', '/lobbies', { body: {}, token: ann.token });
    expect(again.status).toBe(201);
    expect(b.services.lobbyFigures().lobbiesOpen).toBe(1);
    expect(a.services.lobbyFigures().lobbiesOpen).toBe(0);
  });

  it('refuses requests and pushes off the engine that are not of their shape', async () => {
    const { start, cluster } = await startCluster(engineKind());
    const a = await start('a', []);
    const b = await start('b', []);
    const codeOf = (payload: unknown) =>
      b.engine
        .request(lobbiesSubject(cluster), new TextEncoder().encode(JSON.stringify(payload)), 2_000)
        .then(
          () => 'answered',
          (error: unknown) => (isShardlineError(error) ? error.code : String(error)),
        );
    expect(await codeOf('not an object')).toBe('WIRE_INVALID');
    expect(await codeOf({ op: 'constructor', args: {} })).toBe('WIRE_INVALID');
    expect(
      await codeOf({ op: 'create', args: { user: { id: 'x'.repeat(65), username: 'x' }, settings: {} } }),
    ).toBe('WIRE_INVALID');
    expect(await codeOf({ op: 'held', args: { process: 'p', userIds: Array(501).fill('u') } })).toBe(
      'WIRE_INVALID',
    );
    expect(await codeOf({ op: 'get', args: { userId: 'u', lobbyId: 'nope' } })).toBe('LOBBY_NOT_FOUND');
    expect(a.services.lobbyFigures().lobbiesOpen).toBe(0);
    // A push that is not one is dropped; the next good one is delivered.
    const ann = await signUp(a, 'ann');
    const hears = await a.stream(ann.token);
    const publish = (value: unknown) =>
      b.engine.bus.publish(pushChannel(cluster), new TextEncoder().encode(JSON.stringify(value)));
    await publish({ userIds: [ann.id], event: { kind: 'no type' } });
    await publish({ userIds: Array(65).fill(ann.id), event: { type: 'too.many' } });
    await publish({ userIds: [ann.id], event: { type: 'test.hello' } });
    expect(await hears.next('test.hello')).toEqual({ type: 'test.hello' });
    expect(hears.heard).toEqual([]);
  });
});
