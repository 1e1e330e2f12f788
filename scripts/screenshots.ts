/**
 * Regenerates the README's screenshots (docs/images/arena.png, dashboard.png): starts the arena on
 * free ports, lets bots play, and photographs the demo page and the dashboard in Chromium.
 * `npm run screenshots` (needs /usr/bin/chromium, or CHROMIUM_PATH).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, runBots, startShardline } from '@shardline/server';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { bot } from '../examples/arena/bot.js';
import { buildDemo } from '../examples/arena/play/build.js';
import { game } from '../examples/arena/server.js';

/** A fresh data directory for one server (its database), under the system's temporary directory. */
const temporaryDataDir = () => mkdtempSync(join(tmpdir(), 'shardline-data-'));

const BOTS = 10;
const PLAY_SECONDS = 14;

await buildDemo();
const running = await startShardline(
  { ...DEFAULT_CONFIG, httpPort: 0, udpPort: 0, wsPort: 0, dataDir: temporaryDataDir() },
  pino({ level: 'silent' }),
  game,
);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const bots = runBots({
    bot,
    server: running.addresses.http,
    count: BOTS,
    seconds: PLAY_SECONDS,
    transport: 'websocket',
    progress: () => {},
  });
  const demo = await browser.newPage({ viewport: { width: 1180, height: 800 } });
  await demo.goto(`${running.addresses.http}/play`);
  await demo.check('#ghosts');
  await demo.keyboard.down('KeyD');
  await demo.waitForTimeout(1_500);
  await demo.keyboard.up('KeyD');
  const dashboard = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  await dashboard.goto(running.addresses.http);
  await dashboard.waitForTimeout(8_000); // a few seconds of charts
  await demo.mouse.click(380, 380);
  await demo.waitForTimeout(60);
  await demo.screenshot({ path: 'docs/images/arena.png' });
  await dashboard.screenshot({ path: 'docs/images/dashboard.png', fullPage: true });
  await bots;
} finally {
  await browser.close();
  await running.stop();
}
console.log('wrote docs/images/arena.png and docs/images/dashboard.png');
