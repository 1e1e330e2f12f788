/**
 * RPC benchmark (npm run bench:rpc), on loopback over UDP and WebSocket, one server process:
 * - throughput: one client calling `use` (a few bounded numbers in, a small reply out) one at a time,
 *   then with 64 calls in flight: round-trip times and calls answered per second;
 * - flood: PROBES clients each calling every 10 ms while, after a quiet window, one more client
 *   sends 100,000 calls a second until the server drops it; the probes' round-trip p99 during the
 *   flood over the quiet one is `floodP99Ratio` (target ≤ 1.2);
 * - sustained flood: the same, but the server never drops the flooder, so it floods the whole
 *   window: `sustainedP99RatioUdp` and `sustainedP99RatioWebSocket` (target ≤ 3 each).
 * Writes bench/results/rpc.json and rpc.md. SL_SECONDS sets each window (default 5).
 */
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkTypeScript, messageWaiter } from '../lib/children.js';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { summarize } from '../lib/stats.js';
import type { FromChild, ToChild, TransportKind } from './protocol.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.SL_SECONDS ?? 5);
const PROBES = 8;
const FLOOD_PER_SECOND = 100_000;
const FLOOD_TARGET = 1.2;
/** The sustained flood (never dropped) may raise the probes' p99 this much at most, over either transport. */
const SUSTAINED_TARGET = 3;

const child = (script: string, args: string[]) =>
  forkTypeScript(join(HERE, script), args, { env: { ...process.env, SL_SECONDS: String(SECONDS) } });
const next = messageWaiter<FromChild>();

const tell = (process: ChildProcess, message: ToChild) => process.send(message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startServer(kind: TransportKind, tokens: number, sustained = false) {
  const server = child('server.ts', [kind, String(tokens), ...(sustained ? ['sustained'] : [])]);
  const ready = await next(server, 'ready');
  return { server, address: ready.address, tokens: ready.tokens };
}

async function throughput(kind: TransportKind) {
  const { server, address, tokens } = await startServer(kind, 1);
  const client = child('clients.ts', [kind, 'throughput']);
  tell(client, { type: 'connect', address, tokens });
  await next(client, 'connected');
  tell(client, { type: 'start' });
  const result = await next(client, 'throughput');
  tell(client, { type: 'stop' });
  tell(server, { type: 'stop' });
  await next(server, 'server-stats');
  const sequential = summarize(result.sequential);
  return {
    sequentialMedianMs: sequential.median,
    sequentialP99Ms: sequential.p99,
    sequentialCallsPerSecond: result.sequential.length / SECONDS,
    pipelinedCallsPerSecond: result.pipelinedCallsPerSecond,
  };
}

/** `sustained`: the server never drops the flooder, so the whole window is under flood. */
async function flood(kind: TransportKind, sustained: boolean) {
  const { server, address, tokens } = await startServer(kind, PROBES + 1, sustained);
  const probes = child('clients.ts', [kind, 'probe', String(PROBES)]);
  const flooder = child('clients.ts', [kind, 'flood']);
  tell(probes, { type: 'connect', address, tokens: tokens.slice(0, PROBES) });
  tell(flooder, { type: 'connect', address, tokens: tokens.slice(PROBES) });
  await Promise.all([next(probes, 'connected'), next(flooder, 'connected')]);
  tell(server, { type: 'start' });
  tell(probes, { type: 'start' });
  await sleep(1_000); // warm-up, not measured
  const quietFrom = Date.now();
  await sleep(SECONDS * 1000);
  const floodFrom = Date.now();
  const flooded = next(flooder, 'flooded');
  tell(flooder, { type: 'flood', perSecond: FLOOD_PER_SECOND });
  await sleep(SECONDS * 1000);
  const floodTo = Date.now();
  const probed = next(probes, 'probed');
  tell(probes, { type: 'stop' });
  tell(flooder, { type: 'stop' });
  const [{ samples }, floodResult] = await Promise.all([probed, flooded]);
  tell(server, { type: 'stop' });
  const stats = await next(server, 'server-stats');
  const within = (from: number, to: number) =>
    samples.filter((s) => s.atMs >= from && s.atMs < to).map((s) => s.rttMs);
  const quiet = summarize(within(quietFrom, floodFrom));
  const loaded = summarize(within(floodFrom, floodTo));
  return {
    quietP99Ms: quiet.p99,
    floodP99Ms: loaded.p99,
    quietMedianMs: quiet.median,
    floodMedianMs: loaded.median,
    floodP99Ratio: loaded.p99 / quiet.p99,
    floodSent: floodResult.sent,
    flooderDroppedAfterMs: floodResult.disconnectedAfterMs ?? null,
    flooderReason: floodResult.reason ?? null,
    serverCpuPercent: stats.cpuPercent,
    serverLoopDelayP99Ms: stats.loopDelayP99Ms,
    serverLoopDelayMaxMs: stats.loopDelayMaxMs,
    datagramsDeferred: stats.heldBack.deferred,
    datagramsDropped: stats.heldBack.dropped,
    serverGcMs: stats.gcTotalMs,
    serverGcMaxMs: stats.gcMaxMs,
    samples: samples.length,
  };
}

const KINDS: TransportKind[] = ['udp', 'websocket'];
type Flood = Awaited<ReturnType<typeof flood>>;
type Row = { transport: TransportKind } & Awaited<ReturnType<typeof throughput>> & {
    /** The default router: the flooder is rate limited, then dropped as misbehaving. */
    flood: Flood;
    /** The flooder is never dropped: every call of the window is checked and rejected. */
    sustained: Flood;
  };
const rows: Row[] = [];
for (const kind of KINDS) {
  console.log(`${kind}: throughput…`);
  const plain = await throughput(kind);
  console.log(`${kind}: flood…`);
  const dropped = await flood(kind, false);
  console.log(`${kind}: sustained flood…`);
  const sustained = await flood(kind, true);
  rows.push({ transport: kind, ...plain, flood: dropped, sustained });
}
console.log(rows);
const at = (kind: TransportKind) => rows.find((row) => row.transport === kind)!;
const floodP99Ratio = Math.max(...rows.map((row) => row.flood.floodP99Ratio));
const keys = {
  floodP99Ratio,
  floodP99RatioUdp: at('udp').flood.floodP99Ratio,
  floodP99RatioWebSocket: at('websocket').flood.floodP99Ratio,
  sustainedP99RatioUdp: at('udp').sustained.floodP99Ratio,
  sustainedP99RatioWebSocket: at('websocket').sustained.floodP99Ratio,
  roundTripsPerSecondUdp: at('udp').pipelinedCallsPerSecond,
  roundTripsPerSecondWebSocket: at('websocket').pipelinedCallsPerSecond,
};
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const met = (value: number, target: number) => (value <= target ? 'met' : 'MISSED');
const markdown = `# bench:rpc

One server process on loopback; the call is \`use\` (a 0–9 slot, a position to 0.01, a u32 sequence in;
a bool and the sequence out), answered at once. ${SECONDS} s windows; 2 shared cores.

## Round trips

${markdownTable(
  ['transport', 'one at a time: median ms', 'p99 ms', 'calls/s', '64 in flight: calls/s'],
  rows.map((row) => [
    row.transport,
    fixed(row.sequentialMedianMs, 3),
    fixed(row.sequentialP99Ms, 3),
    fixed(row.sequentialCallsPerSecond, 0),
    fixed(row.pipelinedCallsPerSecond, 0),
  ]),
)}

## Flood

${PROBES} clients each call every 10 ms. After a quiet window one more client starts sending
${FLOOD_PER_SECOND.toLocaleString('en')} calls a second (\`note\`, no reply, allowed 30 a second per client). With
the router's defaults it is rate limited, then disconnected as \`misbehaving\` once its rejections
pile up (200 within 10 s); the probes' p99 over the window from the flood's start, against their
quiet p99, is the flood ratio. **Sustained** tells the server never to drop anyone, so the flood
lasts the whole window and every call of it is decoded and rejected. The flooding process paces
itself on a 1 ms timer (until decision 0023 it spun on setImmediate, a core of the two whatever it
sent); the benches share the 2 cores with other work. The server's loop delay is how late a 1 ms timer fires (its longest
turns), GC its garbage-collection pauses over both windows; over UDP its turn budget defers a peer's datagrams past 8 a turn and drops past a backlog
of 256 (docs/decisions/0023-fair-service-under-flood.md).

${markdownTable(
  [
    'transport',
    'run',
    'quiet p99 ms',
    'flood p99 ms',
    'ratio',
    'quiet median ms',
    'flood median ms',
    'calls flooded',
    'flooder dropped after',
    'server CPU %',
    'loop delay p99 / max ms',
    'GC ms / longest',
    'datagrams deferred / dropped',
  ],
  rows.flatMap((row) =>
    (['flood', 'sustained'] as const).map((run) => {
      const result = row[run];
      return [
        row.transport,
        run === 'flood' ? 'rate limited, then dropped' : 'sustained',
        fixed(result.quietP99Ms, 3),
        fixed(result.floodP99Ms, 3),
        fixed(result.floodP99Ratio, 3),
        fixed(result.quietMedianMs, 3),
        fixed(result.floodMedianMs, 3),
        String(result.floodSent),
        result.flooderDroppedAfterMs === null
          ? 'not dropped'
          : `${result.flooderDroppedAfterMs} ms (${result.flooderReason})`,
        fixed(result.serverCpuPercent, 1),
        `${fixed(result.serverLoopDelayP99Ms, 1)} / ${fixed(result.serverLoopDelayMaxMs, 1)}`,
        `${fixed(result.serverGcMs, 0)} / ${fixed(result.serverGcMaxMs, 1)}`,
        row.transport === 'udp' ? `${result.datagramsDeferred} / ${result.datagramsDropped}` : '–',
      ];
    }),
  ),
)}

- floodP99Ratio: ${fixed(floodP99Ratio, 3)} (worst of both transports; target ≤ ${FLOOD_TARGET}: ${met(floodP99Ratio, FLOOD_TARGET)})
- sustainedP99RatioUdp: ${fixed(keys.sustainedP99RatioUdp, 3)} (flooder never dropped; target ≤ ${SUSTAINED_TARGET}: ${met(keys.sustainedP99RatioUdp, SUSTAINED_TARGET)})
- sustainedP99RatioWebSocket: ${fixed(keys.sustainedP99RatioWebSocket, 3)} (flooder never dropped; target ≤ ${SUSTAINED_TARGET}: ${met(keys.sustainedP99RatioWebSocket, SUSTAINED_TARGET)})
- roundTripsPerSecondUdp: ${fixed(keys.roundTripsPerSecondUdp, 0)}
- roundTripsPerSecondWebSocket: ${fixed(keys.roundTripsPerSecondWebSocket, 0)}

Machine: 2 shared cores; compare ratios, not absolute times.
`;
writeResults(
  'rpc',
  {
    environment: environment(),
    seconds: SECONDS,
    probes: PROBES,
    floodPerSecond: FLOOD_PER_SECOND,
    rows,
    ...keys,
    target: {
      floodP99Ratio: FLOOD_TARGET,
      sustainedP99RatioUdp: SUSTAINED_TARGET,
      sustainedP99RatioWebSocket: SUSTAINED_TARGET,
    },
  },
  markdown,
);
console.log(markdown);
