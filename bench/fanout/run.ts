/**
 * Fan-out benchmark (npm run bench:fanout): one server process, SL_BOTS (default 500) WebSocket bot
 * clients on loopback in other processes, a 20 Hz world; Shardline and Colyseus 0.16 serve the same
 * world in turn. Variants: everyone sees all 1,000 units (100 walking), and interest (2,000 units,
 * 200 walking, on 4,000², each client sees ~100 around its viewpoint). Reports server CPU, the wall
 * time of each tick's work (median, p99) and bytes per client per second as the bots' sockets read
 * them. Writes bench/results/fanout.json and fanout.md. SL_SECONDS sets the measured window (default 20);
 * SL_BOT_PROCESSES the number of bot processes (default 2); SL_ONLY=variant/stack runs part of the matrix.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { summarize } from '../lib/stats.js';
import type { BotMeasurement, ChildMessage, RunnerMessage } from './ipc.js';
import type { ServerMeasurement } from './probe.js';
import { TICK_HZ, VARIANTS, type Variant } from './scenario.js';
import type { WorldCounters } from './shardline-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const BOTS = Number(process.env.SL_BOTS ?? 500);
const SECONDS = Number(process.env.SL_SECONDS ?? 20);
/** Bots are split over this many processes: one process cannot decode 500 clients' snapshots alone. */
const BOT_PROCESSES = Number(process.env.SL_BOT_PROCESSES ?? 2);
/** After every bot joined, before measuring: full states delivered, timers settled. */
const WARMUP_SECONDS = 5;
const STACKS = ['shardline', 'colyseus'] as const;
type Stack = (typeof STACKS)[number];

interface Row {
  variant: Variant['name'];
  stack: Stack;
  bots: number;
  failedToJoin: number;
  cpuPercent: number;
  tickMedianMs: number;
  tickP99Ms: number;
  ticksMeasured: number;
  bytesPerClientPerSecond: number;
  /** What the server's world says it encoded per client per second (Shardline; a cross-check). */
  snapshotBytesPerClientPerSecond: number | null;
  /** Full states the world sent in the window (Shardline): clients that fell behind their history. */
  fullStates: number | null;
  messagesPerClientPerSecond: number;
  meanEntitiesHeld: number;
  botsCpuPercent: number;
}

/** SL_CPU_PROFILE=dir writes a V8 CPU profile of each child process there (open it in Chrome DevTools). */
const PROFILE_DIR = process.env.SL_CPU_PROFILE;

/** SL_PIN=1 pins the server to CPU 0 and the bots to CPU 1 (taskset), so neither steals the other's core. */
const PIN = process.env.SL_PIN === '1';

function child(script: string, args: string[]): ChildProcess {
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const started = fork(join(HERE, script), args, {
    execArgv: ['--import', 'tsx', '--conditions=shardline-source', ...profile],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (PIN)
    execFileSync('taskset', [
      '-a',
      '-p',
      '-c',
      script === 'server-process.ts' ? '0' : '1',
      String(started.pid),
    ]);
  return started;
}

function next<T extends ChildMessage['type']>(
  process: ChildProcess,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type !== type) return;
      process.off('message', onMessage);
      resolve(message as Extract<ChildMessage, { type: T }>);
    };
    process.on('message', onMessage);
    process.once('exit', (code) => reject(new Error(`${type}: child exited with ${code}`)));
  });
}

const tell = (process: ChildProcess, message: RunnerMessage) => process.send(message);
const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function measure(variant: Variant, stack: Stack): Promise<Row> {
  const server = child('server-process.ts', [stack, variant.name, String(BOTS)]);
  const botProcesses = Array.from({ length: BOT_PROCESSES }, () => child('bots.ts', [stack, variant.name]));
  try {
    const ready = await next(server, 'ready');
    let failed = 0;
    // One process at a time, so the server seats bots (and hands out viewpoints) in a fixed order.
    for (const [p, bots] of botProcesses.entries()) {
      const first = Math.floor((p * BOTS) / BOT_PROCESSES);
      const end = Math.floor(((p + 1) * BOTS) / BOT_PROCESSES);
      tell(bots, {
        type: 'connect',
        address: ready.address,
        bots: end - first,
        tokens: ready.tokens.slice(first, end),
      });
      failed += (await next(bots, 'connected')).failed;
    }
    await sleep(WARMUP_SECONDS);
    const serverMeasured = next(server, 'server-measured');
    const botsMeasured = botProcesses.map((bots) => next(bots, 'bots-measured'));
    for (const process of [server, ...botProcesses]) tell(process, { type: 'start' });
    await sleep(SECONDS);
    for (const process of [server, ...botProcesses]) tell(process, { type: 'stop' });
    const measured = (await Promise.all(botsMeasured)).map((message) => message.measurement);
    return row(variant, stack, failed, await serverMeasured, combine(measured));
  } finally {
    for (const process of [server, ...botProcesses]) process.kill();
  }
}

/** The bot processes' measurements as one. */
function combine(parts: BotMeasurement[]): BotMeasurement {
  const sum = (of: (part: BotMeasurement) => number) => parts.reduce((total, part) => total + of(part), 0);
  const connected = sum((part) => part.connected);
  return {
    connected,
    bytesRead: sum((part) => part.bytesRead),
    messages: sum((part) => part.messages),
    meanEntitiesHeld: sum((part) => part.meanEntitiesHeld * part.connected) / Math.max(1, connected),
    seconds: Math.max(...parts.map((part) => part.seconds)),
    cpuPercent: sum((part) => part.cpuPercent),
  };
}

function row(
  variant: Variant,
  stack: Stack,
  failedToJoin: number,
  server: { measurement: ServerMeasurement; world: WorldCounters | null },
  bots: BotMeasurement,
): Row {
  const ticks = summarize(server.measurement.tickMs);
  const perClientSecond = (value: number) => value / Math.max(1, bots.connected) / bots.seconds;
  return {
    variant: variant.name,
    stack,
    bots: bots.connected,
    failedToJoin,
    cpuPercent: server.measurement.cpuPercent,
    tickMedianMs: ticks.median,
    tickP99Ms: ticks.p99,
    ticksMeasured: server.measurement.tickMs.length,
    bytesPerClientPerSecond: perClientSecond(bots.bytesRead),
    snapshotBytesPerClientPerSecond: server.world
      ? server.world.snapshotBytes / Math.max(1, bots.connected) / server.measurement.seconds
      : null,
    fullStates: server.world?.fullStates ?? null,
    messagesPerClientPerSecond: perClientSecond(bots.messages),
    meanEntitiesHeld: bots.meanEntitiesHeld,
    botsCpuPercent: bots.cpuPercent,
  };
}

/** SL_ONLY=everyone/shardline (or a variant, or a stack) runs part of the matrix, for experiments. */
const only = process.env.SL_ONLY?.split('/');
const rows: Row[] = [];
for (const variant of VARIANTS) {
  for (const stack of STACKS) {
    if (only && !only.every((part) => part === variant.name || part === stack)) continue;
    console.log(`${variant.name} / ${stack}: ${BOTS} bots, ${SECONDS} s…`);
    rows.push(await measure(variant, stack));
  }
}

const fixed = (value: number, digits = 2) => value.toFixed(digits);
const table = markdownTable(
  [
    'variant',
    'server',
    'bots',
    'CPU %',
    'tick median ms',
    'tick p99 ms',
    'bytes/client/s',
    'msgs/client/s',
    'entities held',
    'bots CPU %',
  ],
  rows.map((r) => [
    r.variant,
    r.stack === 'shardline' ? 'Shardline' : 'Colyseus 0.16',
    String(r.bots),
    fixed(r.cpuPercent, 1),
    fixed(r.tickMedianMs),
    fixed(r.tickP99Ms),
    fixed(r.bytesPerClientPerSecond, 0),
    fixed(r.messagesPerClientPerSecond, 1),
    fixed(r.meanEntitiesHeld, 0),
    fixed(r.botsCpuPercent, 0),
  ]),
);
if (only) {
  console.log(table, rows); // a partial run has no ratios to write
  process.exit(0);
}

const find = (variant: Variant['name'], stack: Stack) =>
  rows.find((candidate) => candidate.variant === variant && candidate.stack === stack)!;
const ratio = (variant: Variant['name'], key: 'bytesPerClientPerSecond' | 'cpuPercent' | 'tickMedianMs') =>
  find(variant, 'shardline')[key] / find(variant, 'colyseus')[key];
const ratios = {
  bytesVsColyseus: ratio('everyone', 'bytesPerClientPerSecond'),
  cpuVsColyseus: ratio('everyone', 'cpuPercent'),
  tickMedianVsColyseus: ratio('everyone', 'tickMedianMs'),
  interestBytesVsColyseus: ratio('interest', 'bytesPerClientPerSecond'),
  interestCpuVsColyseus: ratio('interest', 'cpuPercent'),
  interestTickMedianVsColyseus: ratio('interest', 'tickMedianMs'),
};
const targets = { bytesVsColyseus: 0.45, interestCpuVsColyseus: 0.5 };

const ratioLines = Object.entries(ratios).map(([key, value]) => {
  const target = targets[key as keyof typeof targets];
  const verdict =
    target === undefined
      ? ''
      : value <= target
        ? ` (target ≤ ${target}: met)`
        : ` (target ≤ ${target}: MISSED)`;
  return `- ${key}: ${fixed(value, 3)}${verdict}`;
});
const crossCheck = rows
  .filter((r) => r.snapshotBytesPerClientPerSecond !== null)
  .map(
    (r) =>
      `- ${r.variant}: the world encoded ${fixed(r.snapshotBytesPerClientPerSecond!, 0)} snapshot bytes/client/s (${r.fullStates} full states); the bots read ${fixed(r.bytesPerClientPerSecond, 0)} (the rest is packet and WebSocket framing and keepalives)`,
  );

console.log(table);
console.log(ratioLines.join('\n'));
console.log(crossCheck.join('\n'));

const markdown = `# bench:fanout

One server process; ${BOTS} passive WebSocket bots on loopback in ${BOT_PROCESSES} other processes; a ${TICK_HZ} Hz world;
Shardline and Colyseus 0.16 (\`@colyseus/core\` + \`@colyseus/ws-transport\`, \`@colyseus/schema\` 3, bots on
\`colyseus.js\`) serve the same seeded world in turn. ${SECONDS} s measured after a ${WARMUP_SECONDS} s warm-up.

- **everyone**: 1,000 units {x, y}, 100 walking every tick; every client sees all of them.
- **interest**: 2,000 units, 200 walking, on a 4,000 × 4,000 map; each client sees the ~100 within 505
  units of its viewpoint. Both servers find them with the same grid (Shardline's world; Colyseus's
  room updates each client's \`StateView\` from it every tick).

Units: Shardline quantizes x and y to 0.01; Colyseus sends float32. CPU is the server process's user +
system time over the window (100% = one core). Tick time is the wall time of one tick's simulation,
encoding and hand-off of every client's bytes to its socket. Bytes are what the bots' TCP sockets read
(WebSocket frames, packet headers and keepalives included), per client per second.

${table}

${ratioLines.join('\n')}

Cross-check:
${crossCheck.join('\n')}

Reading the numbers: with everyone seeing everything, both servers encode one patch per tick and write
it to every socket; Shardline also runs its connection layer per client (packet header and sequence,
keepalive pings, RTT and rate statistics), which is most of its extra CPU. In the interest variant
each server builds every client's view each tick (Shardline: what entered, left and changed, from
update records encoded once per tick for all clients; for a viewpoint that has not moved, as here,
only the entities that changed near it are checked, otherwise everything it sees is merged with what
it holds, about 1.6x the view work in-process; Colyseus: \`StateView\` filtering and an encode per
view). About half of Shardline's CPU here is the WebSocket write of each message (ws, Node streams
and the kernel), which both servers pay alike. The bots' CPU is shown because they share the two
cores with the server.

Machine: 2 shared cores; compare ratios, not absolute times.
`;
writeResults(
  'fanout',
  { environment: environment(), bots: BOTS, seconds: SECONDS, tickHz: TICK_HZ, rows, ...ratios, targets },
  markdown,
);
