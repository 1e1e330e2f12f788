import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import vm from 'node:vm';
import { type JoinedWorld, ShardlineClient } from '@shardline/client';
import '@shardline/client/node';
import {
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
import { arena, Fighter, SHOTS_PER_SECOND } from './game.js';
import { ArenaSession } from './play/session.js';
import { game, KILLS_BOARD } from './server.js';

/** A fresh data directory for one server (its database), under the system's temporary directory. */
const temporaryDataDir = () => mkdtempSync(joinPath(tmpdir(), 'shardline-data-'));

let running: RunningShardline | undefined;
const worlds: JoinedWorld<typeof arena>[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((world) => world.leave()));
  await running?.stop();
  running = undefined;
});

async function start(): Promise<RunningShardline> {
  running = await startShardline(
    { ...DEFAULT_CONFIG, httpPort: 0, udpPort: 0, wsPort: 0, dataDir: temporaryDataDir() },
    pino({ level: 'silent' }),
    game,
  );
  return running;
}

async function waitFor(condition: () => boolean, timeoutMs = 8_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A player who joined the arena with a client of their own (a guest unless `client` is signed in). */
async function play(server: RunningShardline, client = new ShardlineClient(server.addresses.http)) {
  const world = await client.join(arena);
  worlds.push(world);
  await waitFor(() => world.me(Fighter) !== undefined);
  return { client, world, name: world.me(Fighter)!.state.name };
}

/** A fighter as `viewer` sees it, by name. */
function fighterNamed(viewer: JoinedWorld<typeof arena>, name: string) {
  return viewer
    .entities(Fighter)
    .all()
    .find((fighter) => fighter.state.name === name)?.state;
}

/** `shooter` fires at `target` (by name) at the time of the world it shows; the victim's name, or ''. */
async function fireAt(shooter: JoinedWorld<typeof arena>, target: string, away = false): Promise<string> {
  const me = shooter.me(Fighter)!.state;
  const them = fighterNamed(shooter, target)!;
  const length = Math.hypot(them.x - me.x, them.y - me.y);
  const sign = away ? -1 : 1;
  const reply = await shooter.rpc.fire({
    renderTimeMs: shooter.view.tick * arena.tickMs,
    dx: (sign * (them.x - me.x)) / length,
    dy: (sign * (them.y - me.y)) / length,
  });
  return reply.victim;
}

describe('the arena demo server', () => {
  it('moves fighters by their inputs, predicts them, and judges shots with lag compensation', async () => {
    const server = await start();
    const alice = await play(server);
    const bob = await play(server);
    expect(bob.world.id).toBe(alice.world.id); // quick play fills one arena first
    await waitFor(() => fighterNamed(bob.world, alice.name) !== undefined);

    // Alice walks right through her session (as the page does): she sees it at once, Bob after.
    const session = new ArenaSession(alice.world, () => performance.now());
    const startX = fighterNamed(bob.world, alice.name)!.x;
    session.steer({ dx: 1, dy: 0 });
    for (let i = 0; i < 30; i++) {
      session.frame();
      await new Promise((resolve) => setTimeout(resolve, 1000 / 60));
    }
    const frame = session.frame();
    expect(frame.me?.mode).toBe('predicted');
    expect(frame.me!.x).toBeGreaterThan(startX + 2);
    await waitFor(() => fighterNamed(bob.world, alice.name)!.x > startX + 2);
    session.steer({ dx: 0, dy: 0 });

    expect(await fireAt(alice.world, bob.name)).toBe(bob.name);
    await waitFor(() => bob.world.me(Fighter)!.state.health === 75);
    // A shot the other way misses (there is no one else).
    expect(await fireAt(alice.world, bob.name, true)).toBe('');
  }, 30_000);

  it("puts a signed-in player's kills on the board and unlocks their achievements", async () => {
    const server = await start();
    const aliceClient = new ShardlineClient(server.addresses.http);
    await aliceClient.services.session.register('alice', 'correct horse battery');
    const alice = await play(server, aliceClient);
    const bob = await play(server);
    await waitFor(() => fighterNamed(alice.world, bob.name) !== undefined);
    for (let shot = 0; shot < 4; shot++) {
      await new Promise((resolve) => setTimeout(resolve, 1000 / SHOTS_PER_SECOND + 20));
      expect(await fireAt(alice.world, bob.name)).toBe(bob.name);
    }
    const { services } = aliceClient;
    await expect
      .poll(() => services.leaderboards.mine(KILLS_BOARD), { timeout: 5_000 })
      .toMatchObject({ rank: 1, username: 'alice', score: 1 });
    const earned = await services.achievements.list();
    expect(earned.find((a) => a.id === 'first-blood')?.unlocked).toBe(true);
    expect(earned.find((a) => a.id === 'hunter')).toMatchObject({ unlocked: false, progress: 1, target: 10 });
    // Only the server writes them: a client's own claim is refused.
    await expect(services.leaderboards.submit(KILLS_BOARD, 99)).rejects.toMatchObject({
      code: 'SERVICE_WRITE_FORBIDDEN',
    });
  }, 30_000);

  it('is played by headless bots, each a guest that joins through the services', async () => {
    const server = await start();
    const lines: string[] = [];
    const summary = await runBots({
      bot,
      server: server.addresses.http,
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

  it('hands out development tokens naming a world, and refuses bad requests with a code', async () => {
    const server = await start();
    const url = (query: string) => `${server.addresses.http}/api/token?${query}`;
    const refused = await fetch(url(`client=${encodeURIComponent('no spaces')}`));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'REQUEST_INVALID' });
    const unknown = await fetch(url('client=x&kind=chess'));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'WORLD_KIND_UNKNOWN' });
    const granted = (await (await fetch(url('client=x'))).json()) as { world: { kind: string; id: string } };
    expect(granted.world.kind).toBe('arena');
    const byId = (await (await fetch(url(`client=y&world=${granted.world.id}`))).json()) as {
      world: { id: string };
    };
    expect(byId.world.id).toBe(granted.world.id);
  }, 30_000);

  it('shows the server, its worlds and its clients on the dashboard, live', async () => {
    const server = await start();
    const alice = await play(server);
    alice.world.reportViewDelay(80);
    const page = await (await fetch(`${server.addresses.http}/`)).text();
    expect(page).toContain('<title>Shardline dashboard</title>');
    expect(page).toContain('full mesh');
    expect(page).toContain('href="/play"');
    // The page's script parses here; browser.test.ts runs it.
    expect(() => new vm.Script(page.split('<script>')[1]!.split('</script>')[0]!)).not.toThrow();
    // The client synchronizes its clock with the server's through pings on the clock channel.
    await waitFor(() => alice.world.time.synchronized, 5_000);
    expect(Math.abs(alice.world.time.serverTimeMs(performance.now()) - Date.now())).toBeLessThan(10);
    type Stats = {
      server: { sessions: number; worlds: number };
      worlds: { id: string; kind: string; players: number; tickMs: number }[];
      clients: {
        name: string;
        world: string;
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
      stats = (await (await fetch(`${server.addresses.http}/api/stats`)).json()) as Stats;
    } while (Math.abs(stats.clients[0]?.driftMs ?? 1e9) > 10 && Date.now() - started < 5_000);
    expect(stats.server).toMatchObject({ sessions: 1, worlds: 1 });
    expect(stats.worlds).toEqual([
      expect.objectContaining({ id: alice.world.id, kind: 'arena', players: 1 }),
    ]);
    expect(stats.worlds[0]!.tickMs).toBeGreaterThan(0);
    const [client] = stats.clients;
    expect(client).toMatchObject({
      name: alice.name,
      world: alice.world.id,
      seat: alice.world.seat,
      status: 'playing',
    });
    expect(client!.connectedForMs).toBeGreaterThan(0);
    expect(Math.abs(client!.driftMs!)).toBeLessThan(10); // one machine, one clock: only estimation error
    expect(Math.abs(client!.clientTimeMs! - Date.now())).toBeLessThan(1_000);
    expect(client!.lagMs).toBeCloseTo(client!.rttMs / 2 + 80, 5);
    const liveUrl = `${server.addresses.http.replace('http', 'ws')}/live`;
    const live = new WebSocket(liveUrl);
    const first = await new Promise<{ worlds: unknown[]; clients: { packetsSent: number }[] }>(
      (resolve, reject) => {
        live.once('message', (data) => resolve(JSON.parse(String(data))));
        live.once('error', reject);
      },
    );
    live.close();
    expect(first.worlds).toHaveLength(1);
    expect(first.clients[0]!.packetsSent).toBeGreaterThan(0);
    // Viewers are capped: one past the limit is refused with 503.
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
