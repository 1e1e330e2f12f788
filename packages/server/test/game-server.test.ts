import * as nodeCrypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClientTransport,
  GameClient,
  WebSocketClientTransport,
  type WebSocketConstructor,
} from '@shardline/client';
import { TcpClientTransport, UdpClientTransport } from '@shardline/client/node';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  ConditionedClientTransport,
  ConditionedServerTransport,
  type DisconnectReason,
  GameServer,
  issueConnectToken,
  JsonLinesPacketLog,
  MemoryNetwork,
  parsePacketLogLine,
  readPacketLog,
  ShardlineError,
  TcpServerTransport,
  UdpServerTransport,
  WebSocketServerTransport,
} from '@shardline/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { IDLE_WAKE_MS } from '../src/game-server.js';

const aead = aeadFromNodeCrypto(nodeCrypto);
const channels: ChannelConfig[] = [{ kind: 'reliable-ordered' }, { kind: 'unreliable-sequenced' }];

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

let server: GameServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function startServer(maxClients = 8) {
  const game = new GameServer({
    protocolId: 7,
    privateKey: new Uint8Array(32).fill(3),
    aead,
    transports: [new UdpServerTransport(), new WebSocketServerTransport(), new TcpServerTransport()],
    channels,
    maxClients,
  });
  server = game;
  const addresses = await game.start();
  const events: string[] = [];
  game.onConnect = ({ session, clientId }) => events.push(`connect ${clientId} ${session.split(':')[0]}`);
  game.onMessage = (session, channel, bytes) => {
    game.send(session, channel, Uint8Array.of(...bytes, 0xff)); // echo with a marker
  };
  game.onDisconnect = (_session, reason) => events.push(`disconnect ${reason}`);
  return { game, addresses, events };
}

const clientTransports: [string, () => ClientTransport, boolean][] = [
  ['udp', () => new UdpClientTransport(), true],
  [
    'websocket',
    () => new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
    false,
  ],
  ['tcp', () => new TcpClientTransport(), false],
];

describe.each(clientTransports)('game server and client over %s', (kind, transport, needsAead) => {
  it('connects with a token, echoes reliable messages, and reports kicks', async () => {
    const { game, addresses, events } = await startServer();
    const address = addresses.find((a) => a.startsWith(kind === 'websocket' ? 'ws' : kind))!;
    const client = new GameClient({
      transport: transport(),
      token: game.issueToken({ clientId: `player-${kind}`, expiresInMs: 10_000 }),
      channels,
      ...(needsAead ? { aead } : {}),
    });
    await client.connect(address);
    expect(client.state).toBe('connected');
    await waitFor(() => events.length === 1);
    expect(events[0]).toBe(`connect player-${kind} ${kind === 'websocket' ? 'ws' : kind}`);

    const echoes: number[][] = [];
    client.onMessage = (_channel, bytes) => echoes.push([...bytes]);
    for (let i = 0; i < 20; i++) client.send(0, Uint8Array.of(i));
    await waitFor(() => echoes.length === 20);
    expect(echoes).toEqual(Array.from({ length: 20 }, (_, i) => [i, 0xff]));
    // Enough small messages at once to fill packets to the brim: wrapped, they must still fit the transport.
    for (let i = 0; i < 300; i++) client.send(0, new Uint8Array(60).fill(i & 0x7f));
    await waitFor(() => echoes.length === 320);
    expect(client.stats()!.rttMs).toBeGreaterThanOrEqual(0);

    const reasons: DisconnectReason[] = [];
    client.onDisconnect = (reason) => reasons.push(reason);
    const [session] = game.sessions;
    expect(game.sessions.length).toBe(1);
    game.kick(session!);
    await waitFor(() => reasons.length === 1);
    expect(reasons).toEqual(['kicked']);
    expect(events.at(-1)).toBe('disconnect kicked');
  });

  it('tells the server when the client leaves, and clients when the server stops', async () => {
    const { game, addresses, events } = await startServer();
    const address = addresses.find((a) => a.startsWith(kind === 'websocket' ? 'ws' : kind))!;
    const connect = async (id: string) => {
      const client = new GameClient({
        transport: transport(),
        token: game.issueToken({ clientId: id, expiresInMs: 10_000 }),
        channels,
        ...(needsAead ? { aead } : {}),
      });
      await client.connect(address);
      return client;
    };
    const leaver = await connect('leaver');
    const stayer = await connect('stayer');
    leaver.disconnect();
    await waitFor(() => events.includes('disconnect closed-by-client'));
    const reasons: DisconnectReason[] = [];
    stayer.onDisconnect = (reason) => reasons.push(reason);
    await game.stop();
    server = undefined;
    await waitFor(() => reasons.length === 1);
    expect(reasons).toEqual(['server-shutting-down']);
  });

  it('fails to connect with CONNECT_FAILED and the reason', async () => {
    const { game, addresses } = await startServer(1);
    const address = addresses.find((a) => a.startsWith(kind === 'websocket' ? 'ws' : kind))!;
    const make = (token: Uint8Array) =>
      new GameClient({ transport: transport(), token, channels, ...(needsAead ? { aead } : {}) });
    const first = make(game.issueToken({ clientId: 'first', expiresInMs: 10_000 }));
    await first.connect(address);
    const error = await make(game.issueToken({ clientId: 'second', expiresInMs: 10_000 }))
      .connect(address)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShardlineError);
    expect((error as ShardlineError).code).toBe('CONNECT_FAILED');
    expect((error as ShardlineError).details).toEqual({ reason: 'server-full' });
    first.disconnect();
  });
});

describe('a connect with a time limit', () => {
  it('gives up on a server that accepts the socket and never answers, opening included (CONNECT_FAILED, timeout)', async () => {
    const silent = createServer(() => {}); // takes every TCP connection, never says a word
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const token = issueConnectToken(
      { clientId: 'patient', serverAddresses: [`ws://127.0.0.1:${port}/`], expiresInMs: 60_000 },
      { protocolId: 7, privateKey: new Uint8Array(32).fill(3), aead },
      Date.now(),
    );
    const client = new GameClient({
      transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
      token,
      channels,
    });
    const startedMs = Date.now();
    const error = await client
      .connect(`ws://127.0.0.1:${port}/`, { timeoutMs: 300 })
      .catch((e: unknown) => e);
    const tookMs = Date.now() - startedMs;
    silent.close();
    expect(error).toBeInstanceOf(ShardlineError);
    expect(error).toMatchObject({ code: 'CONNECT_FAILED', details: { reason: 'timeout' } });
    expect(tookMs).toBeGreaterThanOrEqual(290);
    expect(tookMs).toBeLessThan(5_000);
  });
});

describe('sends through session handles', () => {
  it('send one message to sessions on every transport at once (sendToEach), to one (sendTo), and sends made together (sendTogether) in one pass', async () => {
    const transports = [new UdpServerTransport(), new WebSocketServerTransport(), new TcpServerTransport()];
    const game = new GameServer({
      protocolId: 7,
      privateKey: new Uint8Array(32).fill(3),
      aead,
      transports,
      channels,
    });
    server = game;
    const addresses = await game.start();
    const clients = await Promise.all(
      clientTransports.map(async ([kind, transport, needsAead]) => {
        const client = new GameClient({
          transport: transport(),
          token: game.issueToken({ clientId: `each-${kind}`, expiresInMs: 10_000 }),
          channels,
          ...(needsAead ? { aead } : {}),
        });
        await client.connect(addresses.find((a) => a.startsWith(kind === 'websocket' ? 'ws' : kind))!);
        const received: number[][] = [];
        client.onMessage = (channel, bytes) => received.push([channel, ...bytes]);
        return { client, received };
      }),
    );
    await waitFor(() => game.sessions.length === 3);
    const handles = game.sessions.map((session) => game.handle(session)!);
    expect(game.handle('nobody')).toBeUndefined();
    for (let i = 0; i < 5; i++) {
      expect(game.sendToEach(handles, 1, Uint8Array.of(i), 'unreliable-no-delay')).toEqual([]);
    }
    game.sendToEach(handles, 0, Uint8Array.of(42)); // reliable, at the next update
    await waitFor(() => clients.every(({ received }) => received.length === 6));
    for (const { received } of clients) {
      expect(received.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((i) => [1, i]));
      expect(received[5]).toEqual([0, 42]);
    }
    game.sendTo(handles[0]!, 0, Uint8Array.of(7));
    await waitFor(() => clients.some(({ received }) => received.length === 7));
    expect(clients.filter(({ received }) => received.length === 7)).toHaveLength(1);
    // Sends inside sendTogether leave together at its end.
    const writes = transports.map((transport) => vi.spyOn(transport, 'send'));
    const written = () => writes.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    game.sendTogether(() => {
      for (const handle of handles) game.sendTo(handle, 1, Uint8Array.of(8), 'unreliable-no-delay');
      game.sendToEach(handles, 1, Uint8Array.of(9), 'unreliable-no-delay');
      expect(written()).toBe(0);
    });
    expect(written()).toBe(6);
    for (const spy of writes) spy.mockRestore();
    await waitFor(() => clients.every(({ received }) => received.length >= 8));
    // A session that ended: skipped by sendToEach, refused by sendTo.
    game.kick(handles[0]!.peer);
    expect(handles[0]!.dropped).toBe(true);
    expect(game.sendToEach(handles, 1, Uint8Array.of(9), 'unreliable-no-delay')).toEqual([]);
    expect(() => game.sendTo(handles[0]!, 0, Uint8Array.of(1))).toThrow(/VALUE_INVALID/);
  });
});

describe('conditioned transports', () => {
  it('run a game over UDP with 30 ms and 10% loss added on each side, switchable at runtime', async () => {
    const inner = new UdpServerTransport();
    const conditioned = new ConditionedServerTransport(inner, { latencyMs: 30, lossPercent: 10 });
    const game = new GameServer({
      protocolId: 7,
      privateKey: new Uint8Array(32).fill(3),
      aead,
      transports: [conditioned],
      channels,
    });
    server = game;
    const [address] = await game.start();
    game.onMessage = (session, channel, bytes) => game.send(session, channel, bytes);
    const clientTransport = new ConditionedClientTransport(new UdpClientTransport(), {
      latencyMs: 30,
      lossPercent: 10,
    });
    const client = new GameClient({
      transport: clientTransport,
      token: game.issueToken({ clientId: 'lossy', expiresInMs: 10_000 }),
      channels,
      aead,
    });
    await client.connect(address);
    const echoes: number[] = [];
    client.onMessage = (_channel, bytes) => echoes.push(bytes[0]!);
    for (let i = 0; i < 50; i++) client.send(0, Uint8Array.of(i));
    await waitFor(() => echoes.length === 50);
    expect(echoes).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(client.stats()!.rttMs).toBeGreaterThan(55);

    conditioned.configure({});
    clientTransport.configure({});
    const sentAt = Date.now();
    client.send(0, Uint8Array.of(200));
    await waitFor(() => echoes.length === 51);
    expect(Date.now() - sentAt).toBeLessThan(55);
    client.disconnect();
  }, 15_000);
});

describe('packet log', () => {
  it('writes every packet as a JSON line a tool can read back', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'shardline-log-')), 'packets.jsonl');
    const log = new JsonLinesPacketLog(path);
    const game = new GameServer({
      protocolId: 7,
      privateKey: new Uint8Array(32).fill(3),
      aead,
      transports: [new UdpServerTransport()],
      channels,
      packetLog: log,
    });
    server = game;
    const [address] = await game.start();
    let received = 0;
    game.onMessage = () => received++;
    const client = new GameClient({
      transport: new UdpClientTransport(),
      token: game.issueToken({ clientId: 'logged', expiresInMs: 10_000 }),
      channels,
      aead,
    });
    await client.connect(address);
    client.send(0, new Uint8Array(3000)); // three fragments
    await waitFor(() => received === 1);
    client.disconnect();
    await waitFor(() => game.sessions.length === 0);
    await game.stop();
    server = undefined;
    await log.close();

    const entries = readPacketLog(path);
    const types = (direction: 'in' | 'out') =>
      new Set(entries.filter((e) => e.direction === direction).map((e) => e.type));
    expect([...types('in')]).toEqual(expect.arrayContaining(['Request', 'Response', 'Data', 'Disconnect']));
    expect([...types('out')]).toEqual(expect.arrayContaining(['Challenge', 'Accepted', 'Data']));
    const fragments = entries
      .filter((e) => e.direction === 'in')
      .flatMap((e) => e.entries ?? [])
      .filter((e) => e.fragment);
    expect(fragments.map((f) => f.fragment)).toEqual(
      expect.arrayContaining([
        [0, 3],
        [1, 3],
        [2, 3],
      ]),
    );
    expect(entries.every((e) => e.bytes > 0 && e.peer.startsWith('udp://'))).toBe(true);
    expect(() => parsePacketLogLine('{"atMs": 1}')).toThrow(/WIRE_INVALID/);
  });
});

describe('the connection timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets idle stream connections wake the server at most every IDLE_WAKE_MS, yet keeps them alive and sends queued messages within tickMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const network = new MemoryNetwork();
    const game = new GameServer({
      protocolId: 7,
      privateKey: new Uint8Array(32).fill(3),
      aead,
      transports: [network.server('game')],
      channels,
      tickMs: 10,
    });
    server = game;
    await game.start();
    // Thirty clients joining 31 ms apart: their keepalives fall due at thirty moments a second.
    const clients: GameClient[] = [];
    const received: number[] = [];
    for (let i = 0; i < 30; i++) {
      const client = new GameClient({
        transport: network.client(),
        token: game.issueToken({ clientId: `idle-${i}`, expiresInMs: 60_000, timeoutMs: 3_000 }),
        channels,
      });
      client.onMessage = (_channel, bytes) => received.push(bytes[0]!);
      const connecting = client.connect('game');
      await vi.advanceTimersByTimeAsync(31);
      await connecting;
      clients.push(client);
    }

    const updates = vi.spyOn(game, 'flush');
    await vi.advanceTimersByTimeAsync(10_000); // idle: keepalives both ways, nothing else
    expect(updates.mock.calls.length).toBeLessThanOrEqual(10_000 / IDLE_WAKE_MS + 1);
    expect(game.sessions.length).toBe(30); // three timeouts' worth of idling, all still connected

    game.send(game.sessions[0]!, 0, Uint8Array.of(7), 'reliable');
    await vi.advanceTimersByTimeAsync(10 + 10); // the server's tickMs, then the client's
    expect(received).toEqual([7]);
    for (const client of clients) client.disconnect();
  });
});
