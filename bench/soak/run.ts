/**
 * bench:soak — the arena server with 200 bots (half over UDP, half over WebSocket, in two processes)
 * for 30 minutes (`--minutes N`, `--bots N`), measuring the server in its own process: its live heap
 * and RSS (sampled after a full collection), GC's share of its CPU, the rate it allocates per client,
 * errors it logged, bots dropped. Heap and RSS growth compare the end with the end of the warm-up (5
 * minutes, or a third of a shorter run). Writes bench/results/soak.json and soak.md.
 *
 * `--check` (the short form `npm test` runs): writes nothing, and exits 1 if any bot failed to join,
 * was dropped or had to rejoin, or the server logged an error — on loopback none of these happen.
 */
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkTypeScript, messageWaiter } from '../lib/children.js';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import type { BotsReport, FromChild, MemorySample, ServerReport } from './messages.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const option = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  return value;
};
const MINUTES = option('minutes', 30);
const CHECK = process.argv.includes('--check');
const BOTS = option('bots', 200);
const WARM_UP_SECONDS = Math.min(300, (MINUTES * 60) / 3);
/** Targets of issue 18. */
const TARGETS = { heapGrowthPct: 5, gcCpuPct: 5 };

const child = (script: string, args: string[], execArgv: string[] = []) =>
  forkTypeScript(join(HERE, script), args, { execArgv });
const next = messageWaiter<FromChild>();

/** SL_SERVER_FLAGS='--trace-gc-nvp …': more node/V8 flags for the server child (profiling runs). */
const serverFlags = process.env.SL_SERVER_FLAGS?.split(' ').filter(Boolean) ?? [];
const server = child('server.ts', [], ['--expose-gc', ...serverFlags]);
/** The host's load average (1 min) at the start and the end: what else the cores were running. */
const loadAtStart = loadavg()[0]!;
const { http } = await next(server, 'ready');
console.log(`soak: ${BOTS} bots for ${MINUTES} min against ${http} (warm-up ${WARM_UP_SECONDS} s)`);
const botProcesses = (['udp', 'websocket'] as const).map((transport, i) =>
  child('bots.ts', [http, transport, String(Math.floor(BOTS / 2) + (i === 0 ? BOTS % 2 : 0))]),
);
const joined = await Promise.all(botProcesses.map((bots) => next(bots, 'joined')));
console.log(`joined: ${joined.map((j) => `${j.connected} (${j.failed} failed)`).join(', ')}`);
server.send({ type: 'start', measureFromSeconds: WARM_UP_SECONDS });
await new Promise((resolve) => setTimeout(resolve, MINUTES * 60_000));

const serverReport = next(server, 'server-report');
server.send({ type: 'stop' });
const { report } = await serverReport;
const botsReports = await Promise.all(
  botProcesses.map((bots) => {
    const answer = next(bots, 'bots-report');
    bots.send({ type: 'stop' });
    return answer.then((message) => message.report);
  }),
);
server.send({ type: 'exit' }); // after the bots stopped counting: its shutdown drops nobody

/** Growth from the end of the warm-up to the end, %: the mean of two samples at each end. */
function growthPct(samples: MemorySample[], pick: (sample: MemorySample) => number): number {
  const measured = samples.filter((sample) => sample.atSeconds >= WARM_UP_SECONDS);
  if (measured.length < 2) return Number.NaN;
  const ends = (list: MemorySample[]) => list.reduce((sum, sample) => sum + pick(sample), 0) / list.length;
  const first = ends(measured.slice(0, 2));
  const last = ends(measured.slice(-2));
  return ((last - first) / first) * 100;
}

const connected = botsReports.reduce((sum, bots) => sum + bots.connected, 0);
const results = summarise(report, botsReports);
printAndWrite(results, report, botsReports);
const rejoins = botsReports.reduce((sum, bots) => sum + bots.rejoined, 0);
const healthy =
  results.botsDropped === 0 && results.botsFailedToJoin === 0 && rejoins === 0 && results.errorsLogged === 0;
process.exit(CHECK && !healthy ? 1 : 0);

function summarise(server: ServerReport, bots: BotsReport[]) {
  return {
    minutes: MINUTES,
    bots: BOTS,
    connected,
    heapGrowthPct: growthPct(server.samples, (sample) => sample.heapUsedMiB),
    rssGrowthPct: growthPct(server.samples, (sample) => sample.rssMiB),
    /** Growth of memory outside the heap (Buffers, ArrayBuffers): where RSS can grow with the heap flat. */
    externalGrowthPct: growthPct(server.samples, (sample) => sample.externalMiB),
    botsDropped: bots.reduce((sum, report) => sum + report.dropped, 0),
    botsFailedToJoin: bots.reduce((sum, report) => sum + report.failed, 0),
    errorsLogged: server.errorsLogged,
    gcCpuPct: (server.gcMs / server.cpuMs) * 100,
    /** gcCpuPct by kind of collection: minor (scavenges), major (full mark-compact), incremental marking. */
    gcCpuPctByKind: Object.fromEntries(
      Object.entries(server.gcByKind).map(([kind, { ms }]) => [kind, (ms / server.cpuMs) * 100]),
    ),
    gcPausesByKind: Object.fromEntries(
      Object.entries(server.gcByKind).map(([kind, { count }]) => [kind, count]),
    ),
    serverCpuPct: (server.cpuMs / (server.windowSeconds * 1000)) * 100,
    /** The 1-minute load average at the start and the end, and the cores it is shared by. */
    hostLoad: { start: loadAtStart, end: loadavg()[0]!, cores: cpus().length },
    allocatedKiBPerClientPerSecond:
      server.allocatedBytes / 1024 / server.windowSeconds / Math.max(1, connected),
    /**
     * What scavenges copied (survivors kept young, and promoted), KiB per client per second: a
     * scavenge costs what survives it, and this does not move with the host's load as pauses do.
     */
    scavengeCopiedKiBPerClientPerSecond:
      (server.scavengeSurvivedBytes + server.scavengePromotedBytes) /
      1024 /
      server.windowSeconds /
      Math.max(1, connected),
    scavengePromotedKiBPerClientPerSecond:
      server.scavengePromotedBytes / 1024 / server.windowSeconds / Math.max(1, connected),
  };
}

function printAndWrite(
  results: ReturnType<typeof summarise>,
  server: ServerReport,
  bots: BotsReport[],
): void {
  const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
  const verdict = (value: number, target: number) => (value < target ? 'met' : 'MISSED');
  const lines = [
    `- heapGrowthPct: ${fixed(results.heapGrowthPct)} (target < ${TARGETS.heapGrowthPct}: ${verdict(results.heapGrowthPct, TARGETS.heapGrowthPct)})`,
    `- rssGrowthPct: ${fixed(results.rssGrowthPct)}`,
    `- externalGrowthPct: ${fixed(results.externalGrowthPct)}`,
    `- gcCpuPct: ${fixed(results.gcCpuPct)} of the server's CPU (target < ${TARGETS.gcCpuPct}: ${verdict(results.gcCpuPct, TARGETS.gcCpuPct)})`,
    `- botsDropped: ${results.botsDropped} (target 0; ${results.botsFailedToJoin} failed to join), errorsLogged: ${results.errorsLogged} (target 0)`,
    `- allocation: ${fixed(results.allocatedKiBPerClientPerSecond)} KiB per client per second; server CPU ${fixed(results.serverCpuPct, 1)}% of a core`,
    `- host load average: ${fixed(results.hostLoad.start)} at the start, ${fixed(results.hostLoad.end)} at the end, on ${results.hostLoad.cores} cores (pauses and CPU shares follow it)`,
    `- live heap at the end: ${fixed(server.samples.at(-1)?.heapUsedMiB ?? Number.NaN, 1)} MiB; RSS ${fixed(server.samples.at(-1)?.rssMiB ?? Number.NaN, 1)} MiB`,
    `- scavenges copied ${fixed(results.scavengeCopiedKiBPerClientPerSecond)} KiB per client per second (${fixed(results.scavengePromotedKiBPerClientPerSecond)} of it promoted)`,
    `- GC by kind: ${Object.entries(results.gcCpuPctByKind)
      .map(([kind, pct]) => `${kind} ${fixed(pct)}% (${results.gcPausesByKind[kind]} pauses)`)
      .join(', ')}`,
  ];
  const botTable = markdownTable(
    ['transport', 'bots', 'failed', 'dropped', 'rejoined', 'RTT mean ms', 'loss mean %'],
    bots.map((b) => [
      b.transport,
      String(b.connected),
      String(b.failed),
      String(b.dropped),
      String(b.rejoined),
      fixed(b.rttMeanMs),
      fixed(b.lossMeanPercent),
    ]),
  );
  const memoryTable = markdownTable(
    ['at s', 'RSS MiB', 'live heap MiB', 'external MiB', 'of which ArrayBuffers MiB'],
    server.samples.map((s) => [
      fixed(s.atSeconds, 0),
      fixed(s.rssMiB, 1),
      fixed(s.heapUsedMiB, 1),
      fixed(s.externalMiB, 1),
      fixed(s.arrayBuffersMiB, 1),
    ]),
  );
  const failures = bots.flatMap((b) =>
    Object.entries(b.failures ?? {}).map(([why, count]) => `${b.transport}: ${count} × ${why}`),
  );
  if (failures.length > 0) lines.push(`- joins failed: ${failures.join('; ')}`);
  console.log([...lines, '', botTable].join('\n'));
  if (CHECK) return;
  const markdown = `# bench:soak

The arena server (examples/arena) in its own process with ${BOTS} arena bots, half over UDP and half
over WebSocket (two bot processes), for ${MINUTES} minutes on loopback. Memory is sampled every 15 s
right after a full collection (the live heap, not garbage); growth compares the mean of the last two
samples with the first two after the warm-up (${WARM_UP_SECONDS} s). GC's share is the main thread's
collection pauses over the server's CPU after the warm-up (collections forced for sampling left out);
allocation is what the heap grew by between collections (V8's heap statistics before and after
each one, from \`v8.GCProfiler\`). A bot is dropped when its world ends without its asking; a rejoin
is a lost link it took back.

${lines.join('\n')}

${botTable}

${server.errorSamples.length ? `Errors logged (first ${server.errorSamples.length}):\n\n${server.errorSamples.map((e) => `- \`${e}\``).join('\n')}\n\n` : ''}Memory samples:

${memoryTable}

Machine: 2 shared cores; the bots share them with the server.
`;
  // Per transport under its own key: `bots` is the number asked for.
  writeResults(
    'soak',
    { ...results, environment: environment(), transports: bots, samples: server.samples },
    markdown,
  );
}
