import { type JoinedWorld, ShardlineClient } from '@shardline/client';
import '@shardline/client/node'; // Node's WebSocket, UDP and crypto for the clients
import type { AnyWorldKind } from '@shardline/core';

/** What a bot does once in a world: called every frame; counters for the summary (e.g. shots). */
export interface BotBrain {
  /** The world it joined (its connection's figures go in the summary; it leaves at the end). */
  world: JoinedWorld<AnyWorldKind>;
  frame(nowMs: number): void;
  counters?(): Record<string, number>;
}

/** A game's headless player, for `shardline bots --bot module` (the module's `bot` export). */
export interface ShardlineBot {
  /** Joins the game with a client of its own (signed in as a guest): `client.join(arena)`. */
  join(client: ShardlineClient): Promise<BotBrain>;
}

export interface BotsOptions {
  bot: ShardlineBot;
  /** The server's HTTP address (each bot signs in there as a guest and asks for a seat). */
  server: string;
  count: number;
  seconds: number;
  transport: 'websocket' | 'udp';
  /** Connections opened at once. Default 20. */
  concurrency?: number;
  /** Where progress goes (a line rewritten in place). Default stderr. */
  progress?: (line: string) => void;
}

export interface BotsSummary {
  connected: number;
  failed: number;
  seconds: number;
  rttMs: { mean: number; p99: number };
  lossPercent: { mean: number };
  /** Per bot per second, as its connection counted. */
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
  /** The brains' counters, summed over the bots. */
  counters: Record<string, number>;
}

/** Connects `count` headless clients that play for `seconds`, then reports what their connections saw. */
export async function runBots(options: BotsOptions): Promise<BotsSummary> {
  const progress = options.progress ?? ((line: string) => process.stderr.write(`\r${line}`));
  const players: BotBrain[] = [];
  let failed = 0;
  const concurrency = options.concurrency ?? 20;
  const bar = () => {
    const done = players.length + failed;
    const width = 30;
    const filled = Math.round((width * done) / options.count);
    progress(
      `connecting [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${options.count}${failed ? ` (${failed} failed)` : ''}`,
    );
  };
  for (let first = 0; first < options.count; first += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, options.count - first) }, () =>
      joinOne(options),
    );
    for (const result of await Promise.allSettled(batch)) {
      if (result.status === 'fulfilled') players.push(result.value);
      else failed++;
      bar();
    }
  }
  progress('\n');
  const frames = setInterval(() => {
    const nowMs = Date.now();
    for (const player of players) player.frame(nowMs);
  }, 1000 / 30);
  const startedAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  clearInterval(frames);
  const seconds = (Date.now() - startedAt) / 1000;
  const stats = players.map((player) => player.world.stats()).filter((s) => s !== undefined);
  const rtts = stats.map((s) => s.rttMs).sort((a, b) => a - b);
  const counters: Record<string, number> = {};
  for (const player of players) {
    for (const [key, value] of Object.entries(player.counters?.() ?? {}))
      counters[key] = (counters[key] ?? 0) + value;
  }
  await Promise.all(players.map((player) => player.world.leave()));
  const mean = (values: number[]) =>
    values.length === 0 ? 0 : values.reduce((sum, x) => sum + x, 0) / values.length;
  return {
    connected: players.length,
    failed,
    seconds,
    rttMs: { mean: mean(rtts), p99: rtts[Math.min(rtts.length - 1, Math.floor(0.99 * rtts.length))] ?? 0 },
    lossPercent: { mean: mean(stats.map((s) => s.packetLossPercent)) },
    bytesInPerSecond: mean(stats.map((s) => s.bytesInPerSecond)),
    bytesOutPerSecond: mean(stats.map((s) => s.bytesOutPerSecond)),
    counters,
  };
}

function joinOne(options: BotsOptions): Promise<BotBrain> {
  return options.bot.join(new ShardlineClient(options.server, { transport: options.transport }));
}

/** The summary as a few lines of text. */
export function formatBotsSummary(summary: BotsSummary): string {
  const counters = Object.entries(summary.counters)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  return [
    `bots: ${summary.connected} connected${summary.failed ? `, ${summary.failed} failed` : ''}, ${summary.seconds.toFixed(1)} s`,
    `rtt: mean ${summary.rttMs.mean.toFixed(1)} ms, p99 ${summary.rttMs.p99.toFixed(1)} ms; loss ${summary.lossPercent.mean.toFixed(2)}%`,
    `per bot: ${(summary.bytesInPerSecond / 1024).toFixed(2)} KB/s in, ${(summary.bytesOutPerSecond / 1024).toFixed(2)} KB/s out`,
    ...(counters ? [counters] : []),
  ].join('\n');
}
