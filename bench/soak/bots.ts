/**
 * A soak bot process: `bots.ts <http address> <udp|websocket> <count>`. Joins the arena with `count`
 * arena bots (examples/arena/bot.ts) over one transport and plays until `stop`, counting every world
 * left without being asked (dropped) and every link taken back (rejoined); then reports.
 */
import { ShardlineClient } from '@shardline/client';
import '@shardline/client/node';
import type { BotBrain } from '@shardline/server';
import { bot } from '../../examples/arena/bot.js';
import { type ToChild, tellParent } from './messages.js';

const [http, transportArgument, countArgument] = process.argv.slice(2);
const transport = transportArgument === 'udp' ? 'udp' : 'websocket';
const count = Number(countArgument);
/** Bots joining at once. */
const JOIN_BATCH = 20;
const FRAME_HZ = 30;

const brains: BotBrain[] = [];
let failed = 0;
/** Why joins failed: error code (and reason), counted. */
const failures: Record<string, number> = {};
let dropped = 0;
let rejoined = 0;
let stopping = false;

for (let first = 0; first < count; first += JOIN_BATCH) {
  const batch = Array.from({ length: Math.min(JOIN_BATCH, count - first) }, () =>
    bot.join(new ShardlineClient(http!, { transport })),
  );
  for (const result of await Promise.allSettled(batch)) {
    if (result.status === 'rejected') {
      failed++;
      const error = result.reason as { code?: string; details?: { reason?: string }; message?: string };
      const why = `${error.code ?? error.message ?? 'error'}${error.details?.reason ? ` (${error.details.reason})` : ''}`;
      failures[why] = (failures[why] ?? 0) + 1;
      continue;
    }
    const brain = result.value;
    brain.world.onLeave = () => {
      if (!stopping) dropped++;
    };
    brain.world.onRejoined = () => rejoined++;
    brains.push(brain);
  }
}
const frames = setInterval(() => {
  const nowMs = Date.now();
  for (const brain of brains) brain.frame(nowMs);
}, 1000 / FRAME_HZ);
tellParent({ type: 'joined', connected: brains.length, failed });

process.on('message', async (message: ToChild) => {
  if (message.type !== 'stop') return;
  stopping = true;
  clearInterval(frames);
  const stats = brains.flatMap((brain) => brain.world.stats() ?? []);
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);
  tellParent({
    type: 'bots-report',
    report: {
      transport,
      connected: brains.length,
      failed,
      failures,
      dropped,
      rejoined,
      rttMeanMs: mean(stats.map((s) => s.rttMs)),
      lossMeanPercent: mean(stats.map((s) => s.packetLossPercent)),
    },
  });
  await Promise.all(brains.map((brain) => brain.world.leave()));
  process.exit(0);
});
