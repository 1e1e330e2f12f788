import * as nodeCrypto from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GameClient, WebSocketClientTransport, type WebSocketConstructor } from '@shardline/client';
import {
  aeadFromNodeCrypto,
  DATABASE_FILE,
  loadConfig,
  type RunningShardline,
  SESSION_EVENTS_CHANNEL,
  type SessionEvent,
  type ShardlineConfig,
  WORLD_CHANNELS,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestShardline } from './support/json-http.js';

const running: RunningShardline[] = [];
const clients: GameClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

async function start(config: Partial<ShardlineConfig>): Promise<RunningShardline> {
  const server = await startTestShardline(config);
  running.push(server);
  return server;
}

/** A development token: for world `world`, or a seat by join-or-create in the starter kind. */
async function tokenFrom(
  server: RunningShardline,
  client: string,
  world?: string,
): Promise<{ token: Uint8Array; ws: string }> {
  const query = `client=${client}${world ? `&world=${world}` : ''}`;
  const reply = (await (await fetch(`${server.addresses.http}/api/token?${query}`)).json()) as {
    token: string;
    ws: string;
  };
  return { token: new Uint8Array(Buffer.from(reply.token, 'base64')), ws: reply.ws };
}

async function connect(token: Uint8Array, ws: string): Promise<GameClient> {
  const client = new GameClient({
    transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
    token,
    channels: WORLD_CHANNELS,
    aead: aeadFromNodeCrypto(nodeCrypto),
  });
  clients.push(client);
  await client.connect(ws);
  return client;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const portOf = (address: string) => Number(new URL(address).port);

describe('the server data directory', () => {
  it('keeps the connect-token key: a token issued before a restart connects after it', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'shardline-')), 'data');
    // A persistent world the token names, there again after the restart.
    const worlds = [{ kind: 'starter', id: 'hub' }];
    const first = await start({ dataDir, worlds });
    const { token, ws } = await tokenFrom(first, 'returning-player', 'hub');
    await first.stop();
    running.splice(running.indexOf(first), 1);
    expect(existsSync(join(dataDir, DATABASE_FILE))).toBe(true);
    expect(existsSync(join(dataDir, `${DATABASE_FILE}-wal`))).toBe(false); // folded in on stop

    // The same ports (the token names the addresses), the same data directory, a new process state.
    const second = await start({ dataDir, worlds, wsPort: portOf(ws), udpPort: portOf(first.addresses.udp) });
    await connect(token, ws);
    await waitFor(() => second.server.sessions.length === 1);
    expect(second.server.info(second.server.sessions[0]!)?.clientId).toBe('returning-player');
    await second.stop();
    running.splice(running.indexOf(second), 1);

    // A server on another data directory has another key, and refuses the token.
    const stranger = await start({
      dataDir: mkdtempSync(join(tmpdir(), 'shardline-')),
      worlds,
      wsPort: portOf(ws),
      udpPort: portOf(first.addresses.udp),
    });
    await expect(connect(token, ws)).rejects.toThrowError(/CONNECT_FAILED.*token-invalid/);
    expect(stranger.server.sessions).toEqual([]);
  }, 20_000);

  it('is set by SHARDLINE_DATA_DIR over the config file', () => {
    expect(loadConfig(undefined, {}).dataDir).toBe('data');
    expect(loadConfig(undefined, { SHARDLINE_DATA_DIR: '/var/lib/shardline' }).dataDir).toBe(
      '/var/lib/shardline',
    );
  });
});

/** A port free right now on 127.0.0.1 (TCP), found by binding port 0 and letting it go. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Holds a TCP port until the returned function is called. */
async function occupy(port: number): Promise<() => Promise<unknown>> {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  return () => new Promise((resolve) => holder.close(resolve));
}

describe('a start that fails', () => {
  it.each(['httpPort', 'wsPort'] as const)(
    'on a taken %s rejects and lets go of everything it opened',
    async (taken) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'shardline-'));
      const ports = { httpPort: await freePort(), wsPort: await freePort(), udpPort: await freePort() };
      const release = await occupy(ports[taken]);
      await expect(start({ dataDir, ...ports })).rejects.toThrow(/EADDRINUSE/);
      await release();
      expect(existsSync(join(dataDir, `${DATABASE_FILE}-wal`))).toBe(false); // the database was closed
      // Every port it bound is free again: a server starts on exactly the same ones.
      const again = await start({ dataDir, ...ports });
      expect(portOf(again.addresses.http)).toBe(ports.httpPort);
      expect(portOf(again.addresses.udp)).toBe(ports.udpPort);
    },
    20_000,
  );
});

describe('session events on the bus', () => {
  it('reach the dashboard feed: who connected, who left and why', async () => {
    const server = await start({ dataDir: mkdtempSync(join(tmpdir(), 'shardline-')) });
    const events = async () =>
      ((await (await fetch(`${server.addresses.http}/api/stats`)).json()) as { events: SessionEvent[] })
        .events;
    const { token, ws } = await tokenFrom(server, 'visitor');
    const client = await connect(token, ws);
    await waitFor(async () => (await events()).length === 1);
    client.disconnect();
    await waitFor(async () => (await events()).length === 2);
    const [left, joined] = await events();
    expect(joined).toMatchObject({ kind: 'connected', clientId: 'visitor' });
    expect(left).toMatchObject({ kind: 'disconnected', clientId: 'visitor', session: joined!.session });
    expect(left!.reason).toBeTypeOf('string');
    expect(left!.atMs).toBeGreaterThanOrEqual(joined!.atMs);

    // Whatever else lands on the channel is ignored: it neither shows nor stops the feed.
    for (const junk of ['not json', '{"kind":"connected"}', '[1,2]', 'null'])
      await server.bus.publish(SESSION_EVENTS_CHANNEL, new TextEncoder().encode(junk));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await events()).toEqual([left, joined]);
  }, 20_000);
});
