/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The demo as `npm start` runs it (examples/arena/cluster.json: the Forest and the Caves, each an
 * arena on a shard of its own, in one process) in a real browser (Debian's Chromium, driven by
 * playwright-core): a tab in the Caves shoots the Mole King down and a tab in the Forest shows the
 * banner too (a global event); then the Forest's tab walks its fighter into the sinkhole by the
 * keyboard, comes out in the Caves (its page connected to the other shard by itself) and keeps
 * playing there, and the Caves' tab sees it arrive. Screenshots go to test-artifacts/.
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseClusterConfig, type RunningCluster, startCluster } from '@shardline/server';
import { pino } from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARENA, type Body } from './game.js';
import { buildDemo } from './play/build.js';
import type { ArenaFrame, BossDefeat } from './play/session.js';
import { BOSS_NAME, game, PORTAL_SPOTS } from './server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const CONFIG = fileURLToPath(new URL('./cluster.json', import.meta.url));

let running: RunningCluster;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildDemo();
  // The demo's own cluster config, on free ports, with a fresh data directory and no logs.
  const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
  raw.server = { ...raw.server, dataDir: mkdtempSync(join(tmpdir(), 'arena-cluster-')), logLevel: 'silent' };
  for (const shard of Object.values(raw.shards) as Record<string, unknown>[]) {
    Object.assign(shard, { httpPort: 0, udpPort: 0, wsPort: 0 });
  }
  running = await startCluster(parseClusterConfig(raw), pino({ level: 'silent' }), game);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

type ArenaWindow = {
  arena?: {
    frame: ArenaFrame;
    session: { world: { id: string }; defeats: BossDefeat[] };
  };
};

/** What a page's world handle said about moving, in order (a test hook on its callbacks). */
type Journal = { moves?: string[] };

/** Opens the demo page served by `shard`; fails on any page error or console error. */
async function openDemo(shard: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1180, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} ${message.location().url}`);
  });
  await page.goto(`${running.shards.get(shard)!.addresses.http}/play`);
  await page.waitForFunction(() => (window as ArenaWindow).arena?.frame.me !== undefined, null, {
    timeout: 10_000,
  });
  // Notes how the handle got to another world: a redirect followed (onMigrated), or a rejoin.
  await page.evaluate(() => {
    const journal = window as Journal;
    const world = (window as unknown as { arena: { session: { world: Record<string, unknown> } } }).arena
      .session.world;
    journal.moves = [];
    for (const name of ['onMigrated', 'onReconnecting', 'onRejoined']) {
      const pages = world[name] as ((...args: unknown[]) => void) | undefined;
      world[name] = (...args: unknown[]) => {
        journal.moves!.push(name);
        pages?.(...args);
      };
    }
  });
  expect(errors).toEqual([]);
  return { page, errors };
}

const frameOf = (page: Page) => page.evaluate(() => (window as ArenaWindow).arena!.frame);
const worldOf = (page: Page) => page.evaluate(() => (window as ArenaWindow).arena!.session.world.id);

/** World units to the page's mouse coordinates (the canvas draws ±ARENA with a margin of 2). */
async function onCanvas(page: Page, at: Body): Promise<{ x: number; y: number }> {
  const box = (await page.locator('#field').boundingBox())!;
  const span = 2 * (ARENA + 2);
  return {
    x: box.x + ((at.x + ARENA + 2) / span) * box.width,
    y: box.y + ((ARENA + 2 - at.y) / span) * box.height,
  };
}

/**
 * Walks the page's fighter toward `target` with the arrow keys held as a player would, until
 * `done` (checked between steps) or `timeoutMs`; lets go of every key after.
 */
async function walkTo(page: Page, target: Body, done: () => Promise<boolean>, timeoutMs = 15_000) {
  const held = new Set<string>();
  const hold = async (key: string, down: boolean) => {
    if (down === held.has(key)) return;
    if (down) held.add(key);
    else held.delete(key);
    await (down ? page.keyboard.down(key) : page.keyboard.up(key));
  };
  const deadline = Date.now() + timeoutMs;
  try {
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out walking to ${target.x}, ${target.y}`);
      const me = (await frameOf(page)).me;
      const dx = me ? target.x - me.x : 0;
      const dy = me ? target.y - me.y : 0;
      await hold('ArrowRight', dx > 0.3);
      await hold('ArrowLeft', dx < -0.3);
      await hold('ArrowUp', dy > 0.3);
      await hold('ArrowDown', dy < -0.3);
      await page.waitForTimeout(30);
    }
  } finally {
    for (const key of [...held]) await hold(key, false);
  }
}

describe('the demo cluster in a browser', () => {
  it('shows the boss falling in both worlds, and takes a fighter walked into the sinkhole to the Caves', async () => {
    const { page: caves, errors: cavesErrors } = await openDemo('caves');
    const { page: forest, errors: forestErrors } = await openDemo('forest');
    expect(await worldOf(caves)).toBe('caves');
    expect(await worldOf(forest)).toBe('forest');
    expect((await frameOf(forest)).portals).toEqual([
      expect.objectContaining({ name: 'sinkhole', to: 'caves', open: true }),
    ]);
    expect((await frameOf(caves)).boss).toMatchObject({ name: BOSS_NAME });

    // The Caves' tab clicks at the Mole King (4 shots a second at most) until it falls.
    const deadline = Date.now() + 25_000;
    for (;;) {
      const boss = (await frameOf(caves)).boss!;
      if (boss.health === 0) break;
      expect(Date.now()).toBeLessThan(deadline);
      const at = await onCanvas(caves, boss);
      await caves.mouse.click(at.x, at.y);
      await caves.waitForTimeout(270);
    }
    // Both worlds show it: the global event reached the Forest's shard and its players.
    for (const page of [caves, forest]) {
      await page.waitForSelector('#banner:not([hidden])', { timeout: 5_000 });
      expect(await page.textContent('#banner')).toMatch(
        /^Mole King was defeated by guest-\w+ in the Caves!$/,
      );
    }
    await forest.screenshot({ path: `${ARTIFACTS}/cluster-forest-banner.png` });
    await caves.screenshot({ path: `${ARTIFACTS}/cluster-caves-banner.png` });

    // The Forest's tab walks into the sinkhole and comes out in the Caves.
    const walker = (await frameOf(forest)).me!;
    await walkTo(forest, PORTAL_SPOTS.forest!.sinkhole!, async () => (await worldOf(forest)) === 'caves');
    await forest.waitForFunction(
      (name) => (window as ArenaWindow).arena!.frame.me?.name === name,
      walker.name,
      { timeout: 5_000 },
    );
    await expect.poll(() => forest.textContent('#status')).toMatch(/ in caves$/);
    expect(await forest.textContent('#invite')).toBe('this arena (caves)');
    // How it got there: the redirect, or (ConditionedClientTransport drops the redirect still queued
    // on its link when the server closes the link, reported) a rejoin the Caves' shard seated.
    const moves = await forest.evaluate(() => (window as Journal).moves!);
    expect([['onMigrated'], ['onReconnecting', 'onRejoined']]).toContainEqual(moves);
    const stairs = PORTAL_SPOTS.caves!.stairs!;
    const arrived = (await frameOf(forest)).me!;
    expect(Math.hypot(arrived.x - stairs.x, arrived.y - stairs.y)).toBeLessThan(7);
    expect(arrived).toMatchObject({ health: walker.health, score: walker.score });

    // The Caves' tab sees it arrive beside the stairs.
    await caves.waitForFunction(
      ({ name, x, y }) =>
        (window as ArenaWindow).arena!.frame.others.some(
          (f) => f.name === name && Math.hypot(f.x - x, f.y - y) < 7,
        ),
      { name: walker.name, ...stairs },
      { timeout: 5_000 },
    );

    // And it keeps playing there: walked right, it moves in both tabs.
    const from = (await frameOf(forest)).me!;
    await walkTo(
      forest,
      { x: from.x + 6, y: from.y },
      async () => (await frameOf(forest)).me!.x > from.x + 4,
    );
    await caves.waitForFunction(
      ({ name, x }) =>
        (window as ArenaWindow).arena!.frame.others.some((f) => f.name === name && f.x > x + 3),
      { name: walker.name, x: from.x },
      { timeout: 5_000 },
    );
    await forest.screenshot({ path: `${ARTIFACTS}/cluster-arrived.png` });
    await caves.screenshot({ path: `${ARTIFACTS}/cluster-caves-sees-arrival.png` });
    expect([...forestErrors, ...cavesErrors]).toEqual([]);
    await forest.close();
    await caves.close();
  }, 60_000);

  it("shows each shard's players moving on its dashboard", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(running.shards.get('forest')!.addresses.http);
    await page.waitForSelector('#status.live');
    await page.waitForSelector('#cluster:not([hidden])');
    // The shards table: forest (here) with its moves out (the walk above), caves' left to its own page.
    const row = (shard: string) =>
      page.$$eval(
        '#shards tbody tr',
        (rows, name) => {
          const found = rows.find((tr) => tr.firstElementChild?.textContent?.startsWith(name));
          return found ? Array.from(found.querySelectorAll('td'), (td) => td.textContent ?? '') : [];
        },
        shard,
      );
    const header = await page.$$eval('#shards thead th', (cells) => cells.map((cell) => cell.textContent));
    const column = (name: string) => header.indexOf(name);
    await expect.poll(async () => (await row('forest'))[column('moved out')], { timeout: 5_000 }).toBe('1');
    expect((await row('forest'))[column('rolled back')]).toBe('0');
    // The Caves' own moves, as its lease publishes them: it moved nobody out.
    await expect.poll(async () => (await row('caves'))[column('moved out')], { timeout: 5_000 }).toBe('0');
    expect(await page.textContent('#clusterEvents')).toContain('bossDefeated');
    await page.screenshot({ path: `${ARTIFACTS}/cluster-dashboard.png`, fullPage: true });
    await page.close();
  }, 30_000);
});
