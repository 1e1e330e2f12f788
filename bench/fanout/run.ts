/**
 * Fan-out benchmark (npm run bench:fanout): one server process, WebSocket bot clients on loopback in
 * other processes, 20 Hz worlds; Shardline and Colyseus 0.16 serve the same worlds in turn.
 * Variants: everyone (SL_BOTS, default 500, see all 1,000 units, 100 walking), interest (SL_BOTS
 * each see ~100 of 2,000 units, 200 walking, on 4,000², around a viewpoint) and rooms (100 rooms of
 * 8 bots in the one server, each room its own world of 50 walking units, everyone in a room seeing
 * all of them). Reports server CPU, the wall time of each tick's work (median, p99) and bytes per
 * client per second as the bots' sockets read them. Writes bench/results/fanout.json and fanout.md.
 * SL_SECONDS sets the measured window (default 20); SL_BOT_PROCESSES the number of bot processes
 * (default 2); SL_ONLY=variant/stack runs part of the matrix.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkTypeScript, messageWaiter } from '../lib/children.js';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { summarize } from '../lib/stats.js';
import type { BotMeasurement, ChildMessage, RunnerMessage } from './ipc.js';
import type { ServerMeasurement } from './probe.js';
import { botsOf, TICK_HZ, VARIANTS, type Variant } from './scenario.js';
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
  /** The kernel's part of cpuPercent. */
  systemCpuPercent: number;
  /** Server CPU per message a bot received, µs: CPU compared at the rate each server kept up. */
  cpuMicrosPerMessage: number;
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

/**
 * SL_CPU_PROFILE=dir writes V8 CPU profiles there (open them in Chrome DevTools): the server's of the
 * measured window (server-process.ts), the bot processes' of their whole life.
 */
const PROFILE_DIR = process.env.SL_CPU_PROFILE;

/** SL_PIN=1 pins the server to CPU 0 and the bots to CPU 1 (taskset), so neither steals the other's core. */
const PIN = process.env.SL_PIN === '1';

function child(script: string, args: string[]): ChildProcess {
  const profile = PROFILE_DIR && script === 'bots.ts' ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const started = forkTypeScript(join(HERE, script), args, { execArgv: profile });
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

const next = messageWaiter<ChildMessage>();

const tell = (process: ChildProcess, message: RunnerMessage) => process.send(message);
const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function measure(variant: Variant, stack: Stack): Promise<Row> {
  const bots = botsOf(variant, BOTS);
  const server = child('server-process.ts', [stack, variant.name, String(bots)]);
  const botProcesses = Array.from({ length: BOT_PROCESSES }, () => child('bots.ts', [stack, variant.name]));
  try {
    const ready = await next(server, 'ready');
    let failed = 0;
    // One process at a time, so the server seats bots (and hands out viewpoints) in a fixed order.
    for (const [p, process] of botProcesses.entries()) {
      const first = Math.floor((p * bots) / BOT_PROCESSES);
      const end = Math.floor(((p + 1) * bots) / BOT_PROCESSES);
      tell(process, {
        type: 'connect',
        address: ready.address,
        bots: end - first,
        tokens: ready.tokens.slice(first, end),
        firstBot: first,
      });
      failed += (await next(process, 'connected')).failed;
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
    systemCpuPercent: server.measurement.systemCpuPercent,
    cpuMicrosPerMessage: (server.measurement.cpuPercent * 1e4) / Math.max(1, bots.messages / bots.seconds),
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
    console.log(`${variant.name} / ${stack}: ${botsOf(variant, BOTS)} bots, ${SECONDS} s…`);
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
    'of it system %',
    'CPU µs/msg',
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
    fixed(r.systemCpuPercent, 1),
    fixed(r.cpuMicrosPerMessage, 1),
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
  roomsBytesVsColyseus: ratio('rooms', 'bytesPerClientPerSecond'),
  roomsCpuVsColyseus: ratio('rooms', 'cpuPercent'),
  roomsTickMedianVsColyseus: ratio('rooms', 'tickMedianMs'),
};
const targets = {
  bytesVsColyseus: 0.45,
  cpuVsColyseus: 1.0,
  interestCpuVsColyseus: 0.5,
  roomsBytesVsColyseus: 0.45,
  roomsCpuVsColyseus: 0.8,
};

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

One server process; passive WebSocket bots on loopback in ${BOT_PROCESSES} other processes; ${TICK_HZ} Hz worlds;
Shardline and Colyseus 0.16 (\`@colyseus/core\` + \`@colyseus/ws-transport\`, \`@colyseus/schema\` 3, bots on
\`colyseus.js\`) serve the same seeded worlds in turn. ${SECONDS} s measured after a ${WARMUP_SECONDS} s warm-up.

- **everyone**: ${BOTS} bots; 1,000 units {x, y}, 100 walking every tick; every client sees all of them.
- **interest**: ${BOTS} bots; 2,000 units, 200 walking, on a 4,000 × 4,000 map; each client sees the ~100
  within 505 units of its viewpoint. Both servers find them with the same grid (Shardline's world;
  Colyseus's room updates each client's \`StateView\` from it every tick).
- **rooms**: 100 rooms of 8 bots (800) in the one server, each its own seeded world of 50 units on
  1,000 × 1,000, all walking every tick; everyone in a room sees all of its units. Shardline: 100
  instances of one world kind in a \`WorldRuntime\` over one \`GameServer\`; Colyseus: 100 rooms.

Units: Shardline quantizes x and y to 0.01; Colyseus sends float32. CPU is the server process's user +
system time over the window (100% = one core), and of it the kernel's part; CPU µs/msg is that time
per message the bots received. Tick time is the wall time of one world's tick: its simulation,
encoding and hand-off of every client's bytes to its socket (in rooms, one room's). Shardline's
server updates its worlds when their ticks fall due (one wake-up per tick), not by polling. Bytes
are what the bots' TCP sockets read (WebSocket frames, packet headers and keepalives included), per
client per second.

${table}

${ratioLines.join('\n')}

Cross-check:
${crossCheck.join('\n')}

Reading the numbers: CPU % is what each server spent over the window; CPU µs/msg divides it by the
messages its bots received, which compares the two where one of them (or its bots) did not keep up
20 Hz. Both servers pay alike, per message, for writing it to its socket (Node's stream and the
kernel, whose share is the system column). Shardline writes each as one WebSocket frame, and a
snapshot every client of a world shares as one Message packet framed once (PROTOCOL.md §10.7); on
top of that it pays, per client and message, its connection layer (session, send budget,
statistics) and the world's bookkeeping; per world and tick, the world itself (the game's checked
writes, the snapshot built from them, one encode), which is what the rooms variant multiplies by
100; and every 5 s per settled client the clock ping it sends and the pong (Colyseus's clients
keep no clock). In the interest variant each server builds every client's view each tick
(Shardline: what entered, left and changed, from update records encoded once per tick for all
clients, only the changes near a still viewpoint checked; Colyseus: \`StateView\` filtering and an
encode per view). docs/decisions/0020-fan-out-everyone-and-rooms.md splits where the time goes.
The bots' CPU is shown because they share the two cores with the server.

Machine: 2 shared cores; compare ratios, not absolute times.
`;
writeResults(
  'fanout',
  { environment: environment(), bots: BOTS, seconds: SECONDS, tickHz: TICK_HZ, rows, ...ratios, targets },
  markdown,
);
