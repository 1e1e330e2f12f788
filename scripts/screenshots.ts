/// <reference lib="dom" />
/**
 * Regenerates the README's screenshots (docs/images/arena.png, caves.png, dashboard.png): starts the
 * demo cluster as `npm start` runs it (examples/arena/cluster.json: the Forest and the Caves, each an
 * arena on a shard of its own, in one process) on free ports with a fresh data directory, walks a
 * player from the Forest through the sinkhole into the Caves (so the cluster view counts a move),
 * lets bots play in both worlds, and photographs in Chromium the Forest's page with its sinkhole,
 * the Caves' page with the Mole King and the stairs, and the Forest shard's dashboard.
 * `npm run screenshots` (needs /usr/bin/chromium, or CHROMIUM_PATH).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type JoinedWorld, ShardlineClient } from '@shardline/client';
import '@shardline/client/node';
import { type ClusterConfig, loadClusterConfig, runBots, startCluster } from '@shardline/server';
import { pino } from 'pino';
import { chromium, type Page } from 'playwright-core';
import { bot } from '../examples/arena/bot.js';
import {
  ARENA,
  arena,
  BOSS_HEALTH,
  type Body,
  Boss,
  Fighter,
  SHOTS_PER_SECOND,
} from '../examples/arena/game.js';
import { buildDemo } from '../examples/arena/play/build.js';
import { type ArenaFrame, ArenaSession } from '../examples/arena/play/session.js';
import { game, PORTAL_SPOTS } from '../examples/arena/server.js';

const CONFIG = fileURLToPath(new URL('../examples/arena/cluster.json', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHARDS = ['forest', 'caves'] as const;
const BOTS_PER_WORLD = 5;
const PLAY_SECONDS = 45;
/** How long the Mole King stays down (the demo's default). */
const BOSS_RESPAWN_MS = 30_000;
/** An interpolation delay above this on a page means the machine stalled the demo while it ran. */
const SANE_DELAY_MS = 400;

/** The demo's cluster.json as `npm start` reads it, on free ports, with a fresh data directory and no logs. */
function demoConfig(): ClusterConfig {
  const config = loadClusterConfig(CONFIG);
  const dataDir = mkdtempSync(join(tmpdir(), 'shardline-screenshots-'));
  for (const shard of config.shards) {
    shard.server = {
      ...shard.server,
      httpPort: 0,
      udpPort: 0,
      wsPort: 0,
      dataDir: join(dataDir, shard.name),
      logLevel: 'silent',
    };
  }
  return config;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Steers a session toward `target` at the frame rate (as the page does) until `done` says so. */
async function walk(session: ArenaSession, target: Body, done: () => boolean, timeoutMs = 20_000) {
  const sign = (v: number) => (Math.abs(v) < 0.3 ? 0 : Math.sign(v));
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out walking to ${target.x}, ${target.y}`);
    const me = session.frame().me;
    session.steer(me ? { dx: sign(target.x - me.x), dy: sign(target.y - me.y) } : { dx: 0, dy: 0 });
    await sleep(1000 / 60);
  }
  session.steer({ dx: 0, dy: 0 });
}

/** The dashboard's cluster view (GET /api/stats), as far as this script reads it. */
async function clusterView(http: string) {
  const stats = (await (await fetch(`${http}/api/stats`)).json()) as {
    cluster: { shards: { name: string; moves: Record<string, number> | null }[]; events: { kind: string }[] };
  };
  return stats.cluster;
}

/** Fires at the Mole King (at the fire rate, where the newest snapshot has it) until it is down. */
async function shootDown(world: JoinedWorld<typeof arena>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const boss = await until(() => world.entities(Boss).all()[0]?.state, 'the Mole King');
    if (boss.health === 0) return;
    if (Date.now() > deadline) throw new Error('the Mole King did not fall');
    const me = world.me(Fighter)?.state;
    const length = me && Math.hypot(boss.x - me.x, boss.y - me.y);
    if (me && length) {
      await world.rpc
        .fire({
          renderTimeMs: world.view.tick * arena.tickMs,
          dx: (boss.x - me.x) / length,
          dy: (boss.y - me.y) / length,
        })
        .catch(() => {}); // over the fire rate
    }
    await sleep(1000 / SHOTS_PER_SECOND + 20);
  }
}

type ArenaWindow = { arena?: { frame: ArenaFrame; session: { world: { id: string } } } };

const frameOf = (page: Page) => page.evaluate(() => (window as ArenaWindow).arena!.frame);

/** World units to the page's mouse coordinates (the canvas draws ±ARENA with a margin of 2). */
async function onCanvas(page: Page, at: Body): Promise<{ x: number; y: number }> {
  const box = (await page.locator('#field').boundingBox())!;
  const span = 2 * (ARENA + 2);
  return {
    x: box.x + ((at.x + ARENA + 2) / span) * box.width,
    y: box.y + ((ARENA + 2 - at.y) / span) * box.height,
  };
}

await buildDemo();
const running = await startCluster(demoConfig(), pino({ level: 'silent' }), game);
const http = (shard: string) => running.shards.get(shard)!.addresses.http;
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
const errors: string[] = [];
const warnings: string[] = [];
let traveller: JoinedWorld<typeof arena> | undefined;

/** Opens the demo page a shard serves; it must join that shard's world (the page finds it by its portals). */
async function openDemo(shard: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1180, height: 800 } });
  page.on('pageerror', (error) => errors.push(`${shard}'s page: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error')
      errors.push(`${shard}'s page: ${message.text()} ${message.location().url}`);
  });
  await page.goto(`${http(shard)}/play`);
  await page.waitForFunction(() => (window as ArenaWindow).arena?.frame.me !== undefined, null, {
    timeout: 15_000,
  });
  const world = await page.evaluate(() => (window as ArenaWindow).arena!.session.world.id);
  if (world !== shard) throw new Error(`the page ${shard}'s shard serves joined ${world}`);
  await page.check('#ghosts');
  return page;
}

/** Clicks at `at` (a shot, drawn as a tracer), then photographs the page; warns of a stalled run. */
async function photograph(page: Page, at: Body | undefined, path: string): Promise<void> {
  if (at) {
    const { x, y } = await onCanvas(page, at);
    await page.mouse.click(x, y);
  }
  await page.waitForTimeout(60);
  await page.screenshot({ path });
  const { interpolationDelayMs } = await frameOf(page);
  if (interpolationDelayMs > SANE_DELAY_MS) {
    warnings.push(
      `${path} shows an interpolation delay of ${interpolationDelayMs.toFixed(0)} ms: the machine was busy (the demo's event loop stalled); run it again on a quiet one`,
    );
  }
}

try {
  // Both shards see each other's world (the portals open) before anyone walks in.
  const sinkhole = PORTAL_SPOTS.forest!.sinkhole!;
  const forestWorld = running.shards.get('forest')!.worlds.get('forest');
  await until(() => forestWorld.portal('sinkhole').open, 'the sinkhole to open');

  // A traveller joins the Forest (by id, as the page does in a cluster) and walks into the sinkhole:
  // it comes out in the Caves, and both shards' dashboards count the move.
  const client = new ShardlineClient(http('forest'));
  traveller = await client.joinById(arena, 'forest');
  const session = new ArenaSession(traveller, () => performance.now());
  await until(() => traveller!.me(Fighter), 'the traveller in the forest');
  await walk(session, sinkhole, () => traveller!.id === 'caves');
  await until(() => traveller!.me(Fighter), 'the traveller in the caves');
  // Out of the stairs toward the middle, in range of the Mole King (it circles the middle, 10 out).
  const nearBoss = { x: -12, y: -12 };
  await walk(session, nearBoss, () => {
    const me = traveller!.me(Fighter)?.state;
    return me !== undefined && Math.hypot(me.x - nearBoss.x, me.y - nearBoss.y) < 1;
  });
  // It shoots the Mole King down: a global event (the dashboards list it); it is back 30 s later.
  await shootDown(traveller);
  const defeatedAt = Date.now();

  // Bots in both worlds (quick play on each shard: its world).
  const bots = SHARDS.map((shard) =>
    runBots({
      bot,
      server: http(shard),
      count: BOTS_PER_WORLD,
      seconds: PLAY_SECONDS,
      transport: 'websocket',
      progress: () => {},
    }),
  );
  const seated = (shard: string) => running.shards.get(shard)!.worlds.get(shard).players.size;
  await until(
    () => seated('forest') >= BOTS_PER_WORLD && seated('caves') >= BOTS_PER_WORLD + 1,
    'the bots in their worlds',
  );

  // The Forest shard's dashboard: a few seconds of charts, the cluster view with both shards, the
  // move and the defeat. Then each page alone, for a few seconds of play (the fewer pages drawing at
  // once, the less the machine stalls the demo, and the truer their figures).
  const dashboard = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await dashboard.goto(http('forest'));
  await dashboard.waitForSelector('#status.live');
  await dashboard.waitForSelector('#cluster:not([hidden])');
  await dashboard.waitForTimeout(8_000);
  const view = await clusterView(http('forest'));
  const movesOf = (shard: string) => view.shards.find((each) => each.name === shard)?.moves;
  if (!((movesOf('forest')?.out ?? 0) >= 1 && (movesOf('caves')?.in ?? 0) >= 1)) {
    warnings.push(`the Forest's cluster view does not show the move: ${JSON.stringify(view.shards)}`);
  }
  if (!view.events.some((event) => event.kind === 'bossDefeated')) {
    warnings.push(
      `the Forest's cluster view does not list the Mole King's defeat: ${JSON.stringify(view.events)}`,
    );
  }
  await dashboard.screenshot({ path: 'docs/images/dashboard.png', fullPage: true });
  await dashboard.close();

  // The Forest, its fighter firing at another one.
  const forest = await openDemo('forest');
  await forest.waitForTimeout(4_000);
  await photograph(forest, (await frameOf(forest)).others[0], 'docs/images/arena.png');
  await forest.close();

  // The Caves, once the Mole King is back at full health, its fighter firing at it.
  await until(
    () => traveller!.entities(Boss).all()[0]?.state.health === BOSS_HEALTH,
    'the Mole King to come back',
    defeatedAt + BOSS_RESPAWN_MS + 10_000 - Date.now(),
  );
  const caves = await openDemo('caves');
  await caves.waitForTimeout(4_000);
  const boss = (await frameOf(caves)).boss;
  if (!boss) throw new Error('no Mole King on the Caves page');
  await photograph(caves, boss, 'docs/images/caves.png');
  await caves.close();

  const summaries = await Promise.all(bots);
  console.log(
    SHARDS.map(
      (shard, i) => `${shard}: ${summaries[i]!.connected} bots (${summaries[i]!.failed} failed)`,
    ).join(', '),
  );
} finally {
  await traveller?.leave().catch(() => {});
  await browser.close();
  await running.stop();
}
for (const line of [...errors, ...warnings]) console.warn(line);
if (errors.length > 0) process.exitCode = 1; // a page that failed is no picture of the demo
console.log('wrote docs/images/arena.png, docs/images/caves.png and docs/images/dashboard.png');
