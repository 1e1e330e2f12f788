import { createSocket } from 'node:dgram';
import { connect as connectTcp } from 'node:net';
import { WebSocketClientTransport, type WebSocketConstructor } from '@shardline/client';
import { TcpClientTransport, UdpClientTransport } from '@shardline/client/node';
import {
  type ClientTransport,
  type LinkCloseReason,
  MemoryNetwork,
  parseAddress,
  type ServerTransport,
  ShardlineError,
  TcpServerTransport,
  UdpServerTransport,
  WebSocketServerTransport,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

/** Polls `condition` every 5 ms until it holds, or fails after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Harness {
  name: string;
  server(): ServerTransport;
  client(): ClientTransport;
}

const memory = new MemoryNetwork();
let memoryServers = 0;
const harnesses: Harness[] = [
  { name: 'memory', server: () => memory.server(`game-${memoryServers++}`), client: () => memory.client() },
  { name: 'udp', server: () => new UdpServerTransport(), client: () => new UdpClientTransport() },
  { name: 'tcp', server: () => new TcpServerTransport(), client: () => new TcpClientTransport() },
  {
    name: 'websocket',
    server: () => new WebSocketServerTransport(),
    client: () => new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
  },
];

function pattern(size: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed) & 0xff);
}

/**
 * A listening server that echoes and records, plus helpers to connect clients to it. A peer's first
 * datagram (connectClient's hello, not recorded) admits it, as an accepted connect request does:
 * stream transports hold a peer to their pre-handshake limits until then.
 */
async function echoServer(harness: Harness) {
  const server = harness.server();
  const received: { peer: string; datagram: Uint8Array }[] = [];
  const closed: { peer: string; reason: LinkCloseReason }[] = [];
  const admitted = new Set<string>();
  server.onDatagram = (peer, datagram) => {
    if (admitted.has(peer)) received.push({ peer, datagram });
    else {
      admitted.add(peer);
      server.admitted?.(peer);
    }
    server.send(peer, datagram);
  };
  server.onPeerClosed = (peer, reason) => closed.push({ peer, reason });
  const address = await server.listen();
  const clients: ClientTransport[] = [];
  const connectClient = async () => {
    const client = harness.client();
    const echoes: Uint8Array[] = [];
    const closes: LinkCloseReason[] = [];
    client.onDatagram = (datagram) => echoes.push(datagram);
    client.onClosed = (reason) => closes.push(reason);
    await client.connect(address);
    clients.push(client);
    client.send(Uint8Array.of(0));
    await waitFor(() => echoes.length === 1);
    echoes.length = 0;
    return { client, echoes, closes };
  };
  cleanups.push(async () => {
    for (const client of clients) client.close();
    await server.close();
  });
  return { server, address, received, closed, connectClient };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe.each(harnesses)('transport contract: $name', (harness) => {
  it('declares the same capabilities on both sides', () => {
    const server = harness.server().capabilities;
    const client = harness.client().capabilities;
    expect(client).toEqual(server);
    expect(server.reliable).toBe(server.kind !== 'udp');
    expect(server.ordered).toBe(server.kind !== 'udp');
    expect(server.maxDatagramBytes).toBeGreaterThanOrEqual(1200);
  });

  it('carries datagrams both ways unchanged, up to the declared maximum', async () => {
    const { connectClient, received } = await echoServer(harness);
    const { client, echoes } = await connectClient();
    const max = client.capabilities.maxDatagramBytes;
    // Around the WebSocket frame's length forms too (7, 16 and 64 bits: 125/126, 65,535/65,536).
    const sizes = [1, 100, 125, 126, 1200, ...(max > 100_000 ? [65_535, 65_536, 100_000] : [])];
    sizes.forEach((size, i) => {
      expect(client.send(pattern(size, i))).toBe(true);
    });
    await waitFor(() => echoes.length === sizes.length);
    expect(new Set(received.map((r) => r.peer)).size).toBe(1);
    const bySize = (a: Uint8Array, b: Uint8Array) => a.length - b.length;
    expect([...echoes].sort(bySize)).toEqual(sizes.map((size, i) => pattern(size, i)));
  });

  it('tells peers apart and answers each one', async () => {
    const { connectClient, received, server } = await echoServer(harness);
    const first = await connectClient();
    const second = await connectClient();
    first.client.send(pattern(10, 1));
    second.client.send(pattern(20, 2));
    await waitFor(() => first.echoes.length === 1 && second.echoes.length === 1);
    expect(first.echoes[0]).toEqual(pattern(10, 1));
    expect(second.echoes[0]).toEqual(pattern(20, 2));
    expect(received[0]!.peer).not.toBe(received[1]!.peer);
    if (harness.name === 'udp') expect(() => server.send('nobody:1', pattern(1, 0))).toThrow(/VALUE_INVALID/);
    else expect(server.send('nobody:1', pattern(1, 0))).toBe(false);
  });

  it('keeps order when it says it is ordered, and loses nothing on loopback when reliable', async () => {
    const { connectClient } = await echoServer(harness);
    const { client, echoes } = await connectClient();
    const count = harness.name === 'udp' ? 200 : 2_000;
    for (let i = 0; i < count; i++) {
      client.send(Uint8Array.of(i & 0xff, i >> 8));
      if (harness.name === 'udp' && i % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const reliable = client.capabilities.reliable;
    await waitFor(() => echoes.length >= (reliable ? count : count * 0.9));
    const indexes = echoes.map((e) => e[0]! | (e[1]! << 8));
    if (client.capabilities.ordered) expect(indexes).toEqual(Array.from({ length: count }, (_, i) => i));
    else expect(new Set(indexes).size).toBe(indexes.length);
  });

  it('refuses datagrams over its maximum with VALUE_INVALID', async () => {
    const { connectClient, server } = await echoServer(harness);
    const { client } = await connectClient();
    const tooBig = new Uint8Array(client.capabilities.maxDatagramBytes + 1);
    expect(() => client.send(tooBig)).toThrow(ShardlineError);
    expect(() => server.send('anyone', tooBig)).toThrow(/VALUE_INVALID/);
  });

  // Datagram transports have no links to close.
  it.skipIf(harness.name === 'udp')('reports closed links on stream transports', async () => {
    const { connectClient, closed, server, received } = await echoServer(harness);
    const leaving = await connectClient();
    const kicked = await connectClient();
    leaving.client.send(pattern(1, 1));
    kicked.client.send(pattern(1, 2));
    await waitFor(() => received.length === 2);
    leaving.client.close();
    await waitFor(() => closed.length === 1);
    expect(closed[0]!.reason).toBe('closed-by-peer');
    server.disconnect(received[1]!.peer);
    await waitFor(() => kicked.closes.length === 1);
    expect(kicked.closes[0]).toBe('closed-by-peer');
    expect(leaving.closes).toEqual(['closed-locally']);
    expect(kicked.client.send(pattern(1, 3))).toBe(false);
  });
});

describe('hostile peers', () => {
  it('tcp: a frame claiming more than the maximum ends that peer only', async () => {
    const { address, closed, connectClient } = await echoServer(harnesses[2]!);
    const { host, port } = parseAddress(address, 'tcp');
    const raw = connectTcp({ host, port });
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.write(Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 1, 2, 3));
    await waitFor(() => closed.length === 1);
    expect(closed[0]!.reason).toBe('protocol-error');
    raw.destroy();
    const honest = await connectClient();
    honest.client.send(pattern(5, 5));
    await waitFor(() => honest.echoes.length === 1);
  });

  it('websocket: a text message ends that peer with a protocol error', async () => {
    const { address, closed } = await echoServer(harnesses[3]!);
    const raw = new WebSocket(address);
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send('hello');
    await waitFor(() => closed.length === 1);
    expect(closed[0]!.reason).toBe('protocol-error');
  });

  it('udp: datagrams over the MTU are dropped and the server keeps serving', async () => {
    const { address, received, connectClient } = await echoServer(harnesses[1]!);
    const { host, port } = parseAddress(address, 'udp');
    const raw = createSocket('udp4');
    await new Promise<void>((resolve) => raw.send(new Uint8Array(5_000), port, host, () => resolve()));
    raw.close();
    const honest = await connectClient();
    honest.client.send(pattern(5, 5));
    await waitFor(() => honest.echoes.length === 1);
    expect(received.every((r) => r.datagram.length <= 1200)).toBe(true);
  });
});
