/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The product end to end in a real browser (Debian's Chromium, driven by playwright-core): two tabs
 * of quick play share an arena and see each other move, a tab that asks for a new arena gets one of
 * its own beside it, a closed tab's fighter shows as reconnecting, the page's link and technique
 * switches take effect, and the dashboard's figures change while bots play. Screenshots go to
 * test-artifacts/.
 */

import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, type RunningShardline, runBots, startShardline } from '@shardline/server';
import { pino } from 'pino';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bot } from './bot.js';
import { buildDemo } from './play/build.js';
import type { ArenaFrame } from './play/session.js';
import { game } from './server.js';

/** A fresh data directory for one server (its database), under the system's temporary directory. */
const temporaryDataDir = () => mkdtempSync(join(tmpdir(), 'shardline-data-'));

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';

let running: RunningShardline;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  await buildDemo();
  running = await startShardline(
    { ...DEFAULT_CONFIG, httpPort: 0, udpPort: 0, wsPort: 0, dataDir: temporaryDataDir() },
    pino({ level: 'silent' }),
    game,
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // No sandbox as root; no background traffic (this machine's network is closed).
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

type ArenaWindow = { arena?: { frame: ArenaFrame; session: { world: { id: string } } } };

/** Opens the demo page (quick play, or `query` such as `?new`); fails on any page error or console error. */
async function openDemo(query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1180, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${message.text()} ${message.location().url}`);
  });
  await page.goto(`${running.addresses.http}/play${query}`);
  await page.waitForFunction(() => (window as ArenaWindow).arena?.frame.me !== undefined, null, {
    timeout: 10_000,
  });
  expect(errors).toEqual([]);
  return page;
}

const frameOf = (page: Page) => page.evaluate(() => (window as ArenaWindow).arena!.frame);
const worldOf = (page: Page) => page.evaluate(() => (window as ArenaWindow).arena!.session.world.id);

describe('the demo and the dashboard in a browser', () => {
  it('puts two quick-play tabs in one arena and shows a fighter moved in one tab moving in the other', async () => {
    const first = await openDemo();
    const second = await openDemo();
    expect(await worldOf(second)).toBe(await worldOf(first));
    const me = (await frameOf(first)).me!;
    await second.waitForFunction(
      (id) => (window as ArenaWindow).arena!.frame.others.some((f) => f.id === id),
      me.id,
    );
    const seenBefore = (await frameOf(second)).others.find((f) => f.id === me.id)!;

    await first.keyboard.down('KeyD');
    await first.waitForTimeout(800);
    await first.keyboard.up('KeyD');
    // Where it stopped: the page may still apply the key for a frame or two after the key-up
    // event when the machine is busy, so wait until its own position holds still.
    let moved = (await frameOf(first)).me!;
    for (let check = 0; check < 20; check++) {
      await first.waitForTimeout(150);
      const now = (await frameOf(first)).me!;
      if (now.x === moved.x) break;
      moved = now;
    }
    expect(moved.x - me.x).toBeGreaterThan(4); // 10 units/s for 0.8 s, predicted at once
    expect(moved.y).toBeCloseTo(me.y, 5);

    // The other tab draws it interpolated, a little behind, and then where it stopped.
    await second.waitForFunction(
      ({ id, x }) =>
        (window as ArenaWindow).arena!.frame.others.some((f) => f.id === id && Math.abs(f.x - x) < 0.05),
      { id: me.id, x: moved.x },
      { timeout: 5_000 },
    );
    const seenAfter = (await frameOf(second)).others.find((f) => f.id === me.id)!;
    expect(seenAfter.x - seenBefore.x).toBeGreaterThan(4);
    // Drawn between two snapshots; a frame may briefly run past the newest one when the machine
    // stalls (it then extrapolates), so this waits for the steady state.
    await expect
      .poll(async () => (await frameOf(second)).others.find((f) => f.id === me.id)!.mode, {
        timeout: 5_000,
      })
      .toBe('interpolated');
    await first.screenshot({ path: `${ARTIFACTS}/demo-first-tab.png` });
    await second.screenshot({ path: `${ARTIFACTS}/demo-second-tab.png` });
    // The first tab goes away without a word (its socket just closes): the second draws its
    // fighter as reconnecting while the seat waits for it.
    await first.close();
    await second.waitForFunction(
      (id) => (window as ArenaWindow).arena!.frame.others.some((f) => f.id === id && !f.connected),
      me.id,
      { timeout: 5_000 },
    );
    await second.screenshot({ path: `${ARTIFACTS}/demo-reconnecting.png` });
    await second.close();
  }, 30_000);

  it('runs a new arena beside the quick-play one: each tab sees only its own arena', async () => {
    const quick = await openDemo();
    const fresh = await openDemo('?new');
    const [quickWorld, freshWorld] = [await worldOf(quick), await worldOf(fresh)];
    expect(freshWorld).not.toBe(quickWorld);
    await fresh.waitForTimeout(500);
    expect((await frameOf(fresh)).others).toEqual([]); // nobody else in the new arena
    expect(running.worlds.all().map((world) => world.id)).toEqual(
      expect.arrayContaining([quickWorld, freshWorld]),
    );
    // A friend following the invite link joins that arena, not the quick-play one.
    const friend = await openDemo(`?world=${freshWorld}`);
    expect(await worldOf(friend)).toBe(freshWorld);
    await fresh.waitForFunction(() => (window as ArenaWindow).arena!.frame.others.length === 1);
    await fresh.screenshot({ path: `${ARTIFACTS}/demo-new-arena.png` });
    for (const page of [quick, fresh, friend]) await page.close();
  }, 30_000);

  it('switches its own link and its techniques from the page', async () => {
    const page = await openDemo();
    const ping = async () => Number((await page.textContent('[data-figure="ping"]'))!.replace(' ms', ''));
    await page.waitForFunction(() => document.querySelector('[data-figure="ping"]')?.textContent !== '…');
    expect(await ping()).toBeLessThan(100);
    await page.check('#link-mobile'); // 150 ms each way
    await expect.poll(ping, { timeout: 15_000, interval: 250 }).toBeGreaterThan(250);
    await page.check('#link-none');
    await page.uncheck('#prediction');
    await page.waitForFunction(() => (window as ArenaWindow).arena!.frame.me?.mode === 'snapshot');
    await page.check('#prediction');
    await page.waitForFunction(() => (window as ArenaWindow).arena!.frame.me?.mode === 'predicted');
    await page.close();
  }, 30_000);

  it('signs each tab in as a guest and keeps its settings in a cloud save across a reload', async () => {
    const page = await openDemo();
    await expect.poll(() => page.textContent('#status')).toMatch(/^playing as guest-[0-9a-f]+ in \w+/);
    const guest = (await page.textContent('#status'))!.split(' ')[2];
    await page.check('#link-broadband');
    await page.uncheck('#interpolation');
    await page.waitForTimeout(1_000); // the save is written in the background
    await page.reload();
    await page.waitForFunction(() => (window as ArenaWindow).arena?.frame.me !== undefined);
    expect((await page.textContent('#status'))!.split(' ')[2]).toBe(guest); // the same account
    expect(await page.isChecked('#link-broadband')).toBe(true);
    expect(await page.isChecked('#interpolation')).toBe(false);
    expect(await page.isChecked('#prediction')).toBe(true);
    await page.close();
  }, 30_000);

  it('shows figures changing on the dashboard while bots play', async () => {
    const page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
    await page.goto(running.addresses.http);
    await page.waitForSelector('#status.live');
    const figure = (name: string) =>
      page.evaluate(
        (label) =>
          [...document.querySelectorAll('.figure')]
            .find((box) => box.querySelector('span')?.textContent === label)
            ?.querySelector('b')?.textContent ?? '',
        name,
      );
    const before = Number(await figure('sessions'));

    const bots = runBots({
      bot,
      server: running.addresses.http,
      count: 6,
      seconds: 6,
      transport: 'websocket',
      progress: () => {},
    });
    await expect.poll(async () => Number(await figure('sessions')), { timeout: 10_000 }).toBe(before + 6);
    await expect.poll(async () => Number(await figure('KB/s out')), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.locator('#clients tbody tr').count(), { timeout: 5_000 }).toBe(before + 6);
    // Each bot's clock pings give its drift (its estimate of the server clock, minus the clock).
    const drifts = () =>
      page.$$eval('#clients tbody tr', (rows) => rows.map((row) => row.lastElementChild?.textContent ?? ''));
    await expect
      .poll(async () => (await drifts()).every((drift) => Math.abs(Number(drift)) < 50), { timeout: 10_000 })
      .toBe(true);
    // The worlds table: the bots' arena, its tick counting up.
    const arenaTick = () =>
      page.$$eval('#worlds tbody tr', (rows) =>
        Math.max(0, ...rows.map((row) => Number(row.children[6]?.textContent ?? 0))),
      );
    const tickBefore = await arenaTick();
    await expect.poll(arenaTick, { timeout: 5_000 }).toBeGreaterThan(tickBefore);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    const summary = await bots;
    expect(summary.connected).toBe(6);
    await expect.poll(async () => Number(await figure('sessions')), { timeout: 10_000 }).toBe(before);
    // The bus announced each bot (a guest) coming and going; the dashboard lists them, newest first.
    const newest = () =>
      page.$$eval('#events li', (items) =>
        items.slice(0, 12).map((item) => `${item.dataset.kind} ${/guest-/.test(item.textContent ?? '')}`),
      );
    await expect
      .poll(async () => (await newest()).sort(), { timeout: 5_000 })
      .toEqual([...Array(6).fill('connected true'), ...Array(6).fill('disconnected true')]);
    await page.close();
  }, 40_000);
});
