import * as nodeCrypto from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { GameClient, WebSocketClientTransport, type WebSocketConstructor } from '@shardline/client';
import { TcpClientTransport } from '@shardline/client/node';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  ConditionedServerTransport,
  GameServer,
  type PreHandshakeLimits,
  parseAddress,
  StreamAdmission,
  TcpServerTransport,
  WebSocketServerTransport,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestShardline } from './support/json-http.js';

const aead = aeadFromNodeCrypto(nodeCrypto);
const channels: ChannelConfig[] = [{ kind: 'reliable-ordered' }];
/** The handshake timeout of most tests, ms: short, so that they run fast. */
const TIMEOUT_MS = 300;

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Kind = 'websocket' | 'tcp';

/** A game server on one stream transport that echoes every message, with its admission. */
async function startServer(kind: Kind, limits: Partial<PreHandshakeLimits>, conditioned = false) {
  const admission = new StreamAdmission({ handshakeTimeoutMs: TIMEOUT_MS, ...limits });
  const transport =
    kind === 'websocket'
      ? new WebSocketServerTransport({ admission })
      : new TcpServerTransport({ admission });
  const game = new GameServer({
    protocolId: 7,
    privateKey: new Uint8Array(32).fill(3),
    aead,
    transports: [conditioned ? new ConditionedServerTransport(transport, { latencyMs: 20 }) : transport],
    channels,
  });
  const [address] = await game.start();
  cleanups.push(() => game.stop());
  game.onMessage = (session, channel, bytes) => game.send(session, channel, bytes);
  return { game, admission, address: address! };
}

/** A client that connects with a token and hears its echoes. */
async function connectClient(kind: Kind, game: GameServer, address: string, id: string) {
  const client = new GameClient({
    transport:
      kind === 'websocket'
        ? new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor })
        : new TcpClientTransport(),
    token: game.issueToken({ clientId: id, expiresInMs: 30_000 }),
    channels,
  });
  const echoes: Uint8Array[] = [];
  client.onMessage = (_channel, bytes) => echoes.push(bytes);
  await client.connect(address);
  cleanups.push(() => client.disconnect());
  return { client, echoes };
}

/** A raw connection that never presents a token, with when it closed (undefined while open). */
interface Attacker {
  socket: Socket;
  closedAtMs: number | undefined;
  openedAtMs: number;
}

/** Opens a TCP connection to the server; over WebSocket also upgrades it (resolves after the 101). */
async function attack(kind: Kind, address: string, upgrade = true): Promise<Attacker> {
  const { host, port } = parseAddress(address.replace(/\/$/, ''), kind === 'websocket' ? 'ws' : 'tcp');
  const socket = connect({ host, port });
  const attacker: Attacker = { socket, closedAtMs: undefined, openedAtMs: Date.now() };
  socket.on('error', () => {});
  socket.on('close', () => {
    attacker.closedAtMs = Date.now();
  });
  cleanups.push(() => socket.destroy());
  await new Promise((resolve) => socket.once('connect', resolve));
  if (kind === 'websocket' && upgrade) {
    socket.write(
      `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await new Promise<void>((resolve, reject) => {
      socket.once('data', (head) =>
        head.toString().startsWith('HTTP/1.1 101') ? resolve() : reject(new Error(head.toString())),
      );
      socket.once('close', () => reject(new Error('closed before the upgrade')));
    });
  }
  return attacker;
}

/** A binary frame's header announcing `length` payload bytes (WebSocket: masked, as from a client). */
function frameHeader(kind: Kind, length: number): Uint8Array {
  if (kind === 'tcp') {
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, length, true);
    return header;
  }
  const header = new Uint8Array(2 + 8 + 4);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  new DataView(header.buffer).setBigUint64(2, BigInt(length));
  return header; // mask key 0: the payload goes as it is
}

describe.each(['websocket', 'tcp'] as const)('pre-handshake limits over %s', (kind) => {
  it('closes a connection that never presents a token at the handshake timeout', async () => {
    const { admission, address } = await startServer(kind, {});
    const idle = await attack(kind, address);
    expect(admission.pending).toBe(1);
    await waitFor(() => idle.closedAtMs !== undefined);
    const livedMs = idle.closedAtMs! - idle.openedAtMs;
    expect(livedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(livedMs).toBeLessThan(TIMEOUT_MS + 500);
    expect(admission.closed.timeout).toBe(1);
    expect(admission.pending).toBe(0);
  });

  it('closes a connection dribbling a frame header byte by byte at the timeout', async () => {
    const { admission, address } = await startServer(kind, {});
    const dribbler = await attack(kind, address);
    const header = frameHeader(kind, 1_000);
    for (let i = 0; dribbler.closedAtMs === undefined && i < 40; i++) {
      dribbler.socket.write(header.subarray(i % header.length, (i % header.length) + 1));
      await sleep(25);
    }
    expect(dribbler.closedAtMs).toBeDefined();
    expect(dribbler.closedAtMs! - dribbler.openedAtMs).toBeLessThan(TIMEOUT_MS + 500);
    expect(admission.closed.timeout).toBe(1);
  });

  it('refuses the (N+1)th pending connection from an address; a client gets in once one leaves', async () => {
    const { game, admission, address } = await startServer(kind, { maxPendingPerAddress: 3 });
    const held = [await attack(kind, address), await attack(kind, address), await attack(kind, address)];
    const refused = await attack(kind, address, false);
    await waitFor(() => refused.closedAtMs !== undefined);
    expect(refused.closedAtMs! - refused.openedAtMs).toBeLessThan(TIMEOUT_MS);
    expect(admission.refused).toEqual({ 'per-address': 1, total: 0 });
    expect(held.every((attacker) => attacker.closedAtMs === undefined)).toBe(true);
    held[0]!.socket.destroy();
    await waitFor(() => admission.pending === 2);
    const { client, echoes } = await connectClient(kind, game, address, 'honest');
    client.send(0, Uint8Array.of(1, 2, 3));
    await waitFor(() => echoes.length === 1);
    expect(admission.pending).toBe(2);
  });

  it('refuses connections past the total cap', async () => {
    const { admission, address } = await startServer(kind, { maxPendingConnections: 2 });
    await attack(kind, address);
    await attack(kind, address);
    const refused = await attack(kind, address, false);
    await waitFor(() => refused.closedAtMs !== undefined);
    expect(admission.refused).toEqual({ 'per-address': 0, total: 1 });
  });

  it('closes a pending connection announcing a frame over the limit at its header, before the payload', async () => {
    const { admission, address } = await startServer(kind, { handshakeTimeoutMs: 10_000 });
    const huge = await attack(kind, address);
    huge.socket.write(frameHeader(kind, 1_100_000));
    huge.socket.write(new Uint8Array(1_000));
    await waitFor(() => huge.closedAtMs !== undefined);
    expect(huge.closedAtMs! - huge.openedAtMs).toBeLessThan(1_000);
    expect(admission.closed).toEqual({ timeout: 0, 'frame-too-large': 1, 'over-budget': 0 });
    expect(admission.heldBytes).toBe(0);
  });

  it('closes the pending connection whose unfinished frame takes the held bytes past the budget', async () => {
    const { admission, address } = await startServer(kind, {
      handshakeTimeoutMs: 10_000,
      maxPendingBufferedBytes: 3_000,
    });
    const first = await attack(kind, address);
    first.socket.write(frameHeader(kind, 2_000));
    first.socket.write(new Uint8Array(1_500));
    await waitFor(() => admission.heldBytes >= 1_500);
    const second = await attack(kind, address);
    second.socket.write(frameHeader(kind, 2_000));
    second.socket.write(new Uint8Array(1_600));
    await waitFor(() => second.closedAtMs !== undefined);
    expect(admission.closed['over-budget']).toBe(1);
    expect(first.closedAtMs).toBeUndefined();
    expect(admission.heldBytes).toBeGreaterThanOrEqual(1_500);
    expect(admission.heldBytes).toBeLessThan(1_600);
  });

  it('leaves connected clients alone while attackers hold the caps', async () => {
    const { game, admission, address } = await startServer(kind, {
      maxPendingPerAddress: 3,
      maxPendingBufferedBytes: 3_000,
    });
    const { client, echoes } = await connectClient(kind, game, address, 'player');
    const idle = await attack(kind, address);
    const partial = await attack(kind, address);
    partial.socket.write(frameHeader(kind, 2_000));
    partial.socket.write(new Uint8Array(1_900));
    const dribbler = await attack(kind, address);
    dribbler.socket.write(frameHeader(kind, 500).subarray(0, 1));
    const refused = await attack(kind, address, false);
    for (let i = 0; i < 20; i++) client.send(0, new Uint8Array(100).fill(i));
    await waitFor(() => echoes.length === 20);
    expect(echoes.map((echo) => echo[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await waitFor(() => [idle, partial, dribbler, refused].every((a) => a.closedAtMs !== undefined));
    expect(admission.closed.timeout).toBe(3);
    expect(admission.refused['per-address']).toBe(1);
    // Past the handshake timeout, the session is still there and still served.
    client.send(0, Uint8Array.of(42));
    await waitFor(() => echoes.length === 21);
    expect(client.state).toBe('connected');
    expect(game.sessions.length).toBe(1);
  });

  it('admits a session through a conditioned transport too', async () => {
    const { game, admission, address } = await startServer(kind, {}, true);
    const { client, echoes } = await connectClient(kind, game, address, 'far-away');
    await sleep(TIMEOUT_MS + 200);
    client.send(0, Uint8Array.of(7));
    await waitFor(() => echoes.length === 1);
    expect(admission.closed.timeout).toBe(0);
    expect(game.sessions.length).toBe(1);
  });
});

describe('pre-handshake limits on /metrics', () => {
  it('counts refusals, closes and pending connections of the WebSocket transport', async () => {
    const running = await startTestShardline({ handshakeTimeoutMs: TIMEOUT_MS, maxPendingPerAddress: 1 });
    cleanups.push(() => running.stop());
    const metrics = async () => (await fetch(`${running.addresses.http}/metrics`)).text();
    const idle = await attack('websocket', running.addresses.ws);
    expect(await metrics()).toMatch(/^shardline_stream_pending_connections 1$/m);
    const refused = await attack('websocket', running.addresses.ws, false);
    await waitFor(() => refused.closedAtMs !== undefined && idle.closedAtMs !== undefined);
    const huge = await attack('websocket', running.addresses.ws);
    huge.socket.write(frameHeader('websocket', 1_100_000));
    await waitFor(() => huge.closedAtMs !== undefined);
    const text = await metrics();
    expect(text).toMatch(/^shardline_stream_refused_total\{reason="per-address"\} 1$/m);
    expect(text).toMatch(/^shardline_stream_refused_total\{reason="total"\} 0$/m);
    expect(text).toMatch(/^shardline_stream_pending_closed_total\{reason="timeout"\} 1$/m);
    expect(text).toMatch(/^shardline_stream_pending_closed_total\{reason="frame-too-large"\} 1$/m);
    expect(text).toMatch(/^shardline_stream_pending_closed_total\{reason="over-budget"\} 0$/m);
    expect(text).toMatch(/^shardline_stream_pending_connections 0$/m);
    expect(text).toMatch(/^shardline_stream_pending_held_bytes 0$/m);
  });
});
