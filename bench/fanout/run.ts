/**
 * Fan-out benchmark (npm run bench:fanout): one server process, SL_BOTS (default 500) WebSocket bot
 * clients on loopback in a second process, a 20 Hz world; Shardline and Colyseus 0.16 serve the same
 * world in turn. Variants: everyone sees all 1,000 units (100 walking), and interest (2,000 units,
 * 200 walking, on 4,000², each client sees ~100 around its viewpoint). Reports server CPU, the wall
 * time of each tick's work (median, p99) and bytes per client per second as the bots' sockets read
 * them. Writes bench/results/fanout.json and fanout.md. SL_SECONDS sets the measured window (default 20).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { summarize } from '../lib/stats.js';
import type { BotMeasurement, ChildMessage, RunnerMessage } from './ipc.js';
import type { ServerMeasurement } from './probe.js';
import { TICK_HZ, VARIANTS, type Variant } from './scenario.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const BOTS = Number(process.env.SL_BOTS ?? 500);
const SECONDS = Number(process.env.SL_SECONDS ?? 20);
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
  messagesPerClientPerSecond: number;
  meanEntitiesHeld: number;
}

function child(script: string, args: string[]): ChildProcess {
  return fork(join(HERE, script), args, {
    execArgv: ['--import', 'tsx', '--conditions=shardline-source'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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
  const bots = child('bots.ts', [stack, variant.name]);
  try {
    const ready = await next(server, 'ready');
    tell(bots, { type: 'connect', address: ready.address, bots: BOTS, tokens: ready.tokens });
    const connected = await next(bots, 'connected');
    await sleep(WARMUP_SECONDS);
    const serverMeasured = next(server, 'server-measured');
    const botsMeasured = next(bots, 'bots-measured');
    tell(server, { type: 'start' });
    tell(bots, { type: 'start' });
    await sleep(SECONDS);
    tell(server, { type: 'stop' });
    tell(bots, { type: 'stop' });
    return row(variant, stack, connected.failed, await serverMeasured, (await botsMeasured).measurement);
  } finally {
    server.kill();
    bots.kill();
  }
}

function row(
  variant: Variant,
  stack: Stack,
  failedToJoin: number,
  server: { measurement: ServerMeasurement; snapshotBytes: number | null },
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
    snapshotBytesPerClientPerSecond:
      server.snapshotBytes === null
        ? null
        : server.snapshotBytes / Math.max(1, bots.connected) / server.measurement.seconds,
    messagesPerClientPerSecond: perClientSecond(bots.messages),
    meanEntitiesHeld: bots.meanEntitiesHeld,
  };
}

const rows: Row[] = [];
for (const variant of VARIANTS) {
  for (const stack of STACKS) {
    console.log(`${variant.name} / ${stack}: ${BOTS} bots, ${SECONDS} s…`);
    rows.push(await measure(variant, stack));
  }
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
  ]),
);
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
      `- ${r.variant}: the world encoded ${fixed(r.snapshotBytesPerClientPerSecond!, 0)} snapshot bytes/client/s; the bots read ${fixed(r.bytesPerClientPerSecond, 0)} (the rest is packet and WebSocket framing, acks, keepalives)`,
  );

console.log(table);
console.log(ratioLines.join('\n'));
console.log(crossCheck.join('\n'));

const markdown = `# bench:fanout

One server process; ${BOTS} passive WebSocket bots on loopback in a second process; a ${TICK_HZ} Hz world;
Shardline and Colyseus 0.16 (\`@colyseus/core\` + \`@colyseus/ws-transport\`, \`@colyseus/schema\` 3, bots on
\`colyseus.js\`) serve the same seeded world in turn. ${SECONDS} s measured after a ${WARMUP_SECONDS} s warm-up.

- **everyone**: 1,000 units {x, y}, 100 walking every tick; every client sees all of them.
- **interest**: 2,000 units, 200 walking, on a 4,000 × 4,000 map; each client sees the ~100 within 505
  units of its viewpoint. Both servers find them with the same grid (Shardline's world; Colyseus's
  room updates each client's \`StateView\` from it every tick).

Units: Shardline quantizes x and y to 0.01; Colyseus sends float32. CPU is the server process's user +
system time over the window (100% = one core). Tick time is the wall time of one tick's simulation,
encoding and hand-off of every client's bytes to its socket. Bytes are what the bots' TCP sockets read
(WebSocket frames, headers, acks and keepalives included), per client per second.

${table}

${ratioLines.join('\n')}

Cross-check:
${crossCheck.join('\n')}

Machine: 2 shared cores; compare ratios, not absolute times.
`;
writeResults(
  'fanout',
  { environment: environment(), bots: BOTS, seconds: SECONDS, tickHz: TICK_HZ, rows, ...ratios, targets },
  markdown,
);
