import * as nodeCrypto from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import vm from 'node:vm';
import {
  GameClient,
  InputStream,
  ServicesClient,
  ticketToken,
  WebSocketClientTransport,
  type WebSocketConstructor,
} from '@shardline/client';
import {
  aeadFromNodeCrypto,
  DEFAULT_CONFIG,
  MAX_LIVE_VIEWERS,
  type RunningShardline,
  runBots,
  startShardline,
} from '@shardline/server';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bot } from './bot.js';
import { joinArena } from './client.js';
import { ARENA_CHANNELS, INPUT_CHANNEL, SHOTS_PER_SECOND, Stick, TICK_HZ } from './game.js';
import { game, KILLS_BOARD } from './server.js';

/** A fresh data directory for one server (its database), under the system's temporary directory. */
const temporaryDataDir = () => mkdtempSync(joinPath(tmpdir(), 'shardline-data-'));

let running: RunningShardline | undefined;
const clients: GameClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await running?.stop();
  running = undefined;
});

async function waitFor(condition: () => boolean, timeoutMs = 8_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Joins as `name` with a development token, or with `token` (a services connect token). */
async function join(server: RunningShardline, name: string, token?: Uint8Array) {
  const client = new GameClient({
    transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
    token: token ?? server.server.issueToken({ clientId: name, expiresInMs: 10_000, timeoutMs: 5_000 }),
    channels: ARENA_CHANNELS,
    aead: aeadFromNodeCrypto(nodeCrypto),
  });
  clients.push(client);
  const { world, worldClient, fighters } = await joinArena(client, server.addresses.ws);
  await waitFor(() => worldClient.seat !== undefined && world.snapshot.snapshots[0]!.size > 0);
  const fighterOf = (seat: string) => fighters().find((state) => state.seat === seat);
  return { client, world, worldClient, fighterOf };
}

/** The direction from `shooter`'s fighter to `targetSeat`'s, as `shooter` sees them: a unit vector. */
function aimAt(shooter: Awaited<ReturnType<typeof join>>, targetSeat: string): { dx: number; dy: number } {
  const me = shooter.fighterOf(shooter.worldClient.seat!)!;
  const target = shooter.fighterOf(targetSeat)!;
  const dx = (target.x as number) - (me.x as number);
  const dy = (target.y as number) - (me.y as number);
  const length = Math.hypot(dx, dy);
  return { dx: dx / length, dy: dy / length };
}

/** `shooter` fires in `direction` at the time of the world it shows; the victim's seat, or ''. */
async function fire(shooter: Awaited<ReturnType<typeof join>>, direction: { dx: number; dy: number }) {
  const reply = await shooter.worldClient.rpc!.call.fire({
    renderTimeMs: shooter.world.tick * (1000 / TICK_HZ),
    ...direction,
  });
  return reply.victim;
}

describe('the arena demo server', () => {
  it('moves fighters by their inputs and judges shots with lag compensation', async () => {
    running = await startShardline(
      { ...DEFAULT_CONFIG, httpPort: 0, udpPort: 0, wsPort: 0, dataDir: temporaryDataDir() },
      pino({ level: 'silent' }),
      game,
    );
    const alice = await join(running, 'alice');
    const bob = await join(running, 'bob');
    const aliceSeat = alice.worldClient.seat!;
    const bobSeat = bob.worldClient.seat!;
    await waitFor(() => alice.fighterOf(bobSeat) !== undefined && bob.fighterOf(aliceSeat) !== undefined);

    // Alice walks right for a while: Bob sees her move.
    const startX = bob.fighterOf(aliceSeat)!.x as number;
    const stream = new InputStream(Stick, 4);
    for (let i = 0; i < 30; i++) {
      stream.push({ dx: 1, dy: 0 });
      alice.client.send(INPUT_CHANNEL, stream.message()!, 'unreliable');
      await new Promise((resolve) => setTimeout(resolve, 1000 / 60));
    }
    await waitFor(() => (bob.fighterOf(aliceSeat)!.x as number) > startX + 2);

    // Alice shoots where she sees Bob, at the time of the world she shows.
    const toward = aimAt(alice, bobSeat);
    expect(await fire(alice, toward)).toBe(bobSeat);
    await waitFor(() => bob.fighterOf(bobSeat)!.health === 75);
    // A shot the other way misses (there is no one else).
    expect(await fire(alice, { dx: -toward.dx, dy: -toward.dy })).toBe('');
  }, 30_000);

  it("puts a signed-in player's kills on the board and unlocks their achievements", async () => {
    running = await startShardline(
      { ...DEFAULT_CONFIG, httpPort: 0, udpPort: 0, wsPort: 0, dataDir: temporaryDataDir() },
      pino({ level: 'silent' }),
      game,
    );
    const services = new ServicesClient({ baseUrl: running.addresses.http });
    await services.session.register('alice', 'correct horse battery');
    const alice = await join(running, 'alice', ticketToken(await services.session.connectTicket()));
    const bob = await join(running, 'bob'); // a development token: plays, scores for no account
    const bobSeat = bob.worldClient.seat!;
    await waitFor(() => alice.fighterOf(bobSeat) !== undefined);
    for (let shot = 0; shot < 4; shot++) {
      await new Promise((resolve) => setTimeout(resolve, 1000 / SHOTS_PER_SECOND + 20));
      expect(await fire(alice, aimAt(alice, bobSeat))).toBe(bobSeat);
    }
    await expect
      .poll(() => services.leaderboards.mine(KILLS_BOARD), { timeout: 5_000 })
      .toMatchObject({
        rank: 1,
        username: 'alice',
        score: 1,
      });
    const earned = await services.achievements.list();
    expect(earned.find((a) => a.id === 'first-blood')?.unlocked).toBe(true);
    expect(earned.find((a) => a.id === 'hunter')).toMatchObject({ unlocked: false, progress: 1, target: 10 });
    // Only the server writes them: a client's own claim is refused.
    await expect(services.leaderboards.submit(KILLS_BOARD, 99)).rejects.toMatchObject({
      code: 'SERVICE_WRITE_FORBIDDEN',
    });
  }, 30_000);

  it('is played by headless bots that get their tokens from /api/token', async () => {
    running = await startShardline(
      { ...DEFAULT_CONFIG, httpPort: 0, udpPort: 0, wsPort: 0, dataDir: temporaryDataDir() },
      pino({ level: 'silent' }),
      game,
    );
    const refused = await fetch(
      `${running.addresses.http}/api/token?client=${encodeURIComponent('no spaces')}`,
    );
    expect(refused.status).toBe(400);
    const lines: string[] = [];
    const summary = await runBots({
      bot,
      server: running.addresses.http,
      count: 4,
      seconds: 2,
      transport: 'websocket',
      progress: (line) => lines.push(line),
    });
    expect(summary.connected).toBe(4);
    expect(summary.failed).toBe(0);
    expect(summary.bytesInPerSecond).toBeGreaterThan(100);
    expect(summary.counters.shots).toBeGreaterThan(0);
    expect(lines.some((line) => line.includes('4/4'))).toBe(true);
  }, 30_000);

  it('shows the server and its clients on the dashboard, live', async () => {
    running = await startShardline(
      { ...DEFAULT_CONFIG, httpPort: 0, udpPort: 0, wsPort: 0, dataDir: temporaryDataDir() },
      pino({ level: 'silent' }),
      game,
    );
    const alice = await join(running, 'alice');
    alice.worldClient.viewDelayMs = 80;
    const page = await (await fetch(`${running.addresses.http}/`)).text();
    expect(page).toContain('<title>Shardline dashboard</title>');
    expect(page).toContain('full mesh');
    expect(page).toContain('href="/play"');
    // The page's script parses here; browser.test.ts runs it.
    expect(() => new vm.Script(page.split('<script>')[1]!.split('</script>')[0]!)).not.toThrow();
    // The client synchronizes its clock with the server's through pings on the ack channel.
    await waitFor(() => alice.worldClient.time.synchronized, 5_000);
    expect(Math.abs(alice.worldClient.time.serverTimeMs(performance.now()) - Date.now())).toBeLessThan(10);
    type Stats = {
      server: { sessions: number; tick: number };
      clients: {
        clientId: string;
        seat: string;
        status: string;
        connectedForMs: number;
        rttMs: number;
        lagMs: number;
        driftMs: number | null;
        clientTimeMs: number | null;
      }[];
    };
    let stats: Stats | undefined;
    // Its next ping (once a second when synchronized) carries the synchronized estimate.
    const started = Date.now();
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stats = (await (await fetch(`${running.addresses.http}/api/stats`)).json()) as Stats;
    } while (Math.abs(stats.clients[0]?.driftMs ?? 1e9) > 10 && Date.now() - started < 5_000);
    expect(stats.server.sessions).toBe(1);
    expect(stats.clients).toHaveLength(1);
    const [client] = stats.clients;
    expect(client).toMatchObject({ clientId: 'alice', seat: alice.worldClient.seat, status: 'playing' });
    expect(client!.connectedForMs).toBeGreaterThan(0);
    expect(Math.abs(client!.driftMs!)).toBeLessThan(10); // one machine, one clock: only estimation error
    expect(Math.abs(client!.clientTimeMs! - Date.now())).toBeLessThan(1_000);
    expect(client!.lagMs).toBeCloseTo(client!.rttMs / 2 + 80, 5);
    const live = new WebSocket(`${running.addresses.http.replace('http', 'ws')}/live`);
    const first = await new Promise<{ server: { tick: number }; clients: { packetsSent: number }[] }>(
      (resolve, reject) => {
        live.once('message', (data) => resolve(JSON.parse(String(data))));
        live.once('error', reject);
      },
    );
    live.close();
    expect(first.server.tick).toBeGreaterThanOrEqual(stats.server.tick);
    expect(first.clients[0]!.packetsSent).toBeGreaterThan(0);
    // Viewers are capped: one past the limit is refused with 503.
    const liveUrl = `${running.addresses.http.replace('http', 'ws')}/live`;
    const viewers = Array.from({ length: MAX_LIVE_VIEWERS }, () => new WebSocket(liveUrl));
    await Promise.all(viewers.map((viewer) => new Promise((resolve) => viewer.once('open', resolve))));
    const refusedViewer = new WebSocket(liveUrl);
    const status = await new Promise<number>((resolve) => {
      refusedViewer.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      refusedViewer.once('open', () => {
        refusedViewer.close();
        resolve(101); // accepted: the cap did not hold
      });
    });
    refusedViewer.on('error', () => {}); // the refusal itself
    for (const viewer of viewers) viewer.close();
    expect(status).toBe(503);
  }, 30_000);
});
