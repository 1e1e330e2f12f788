/**
 * Portal moves benchmark (npm run bench:migrate, issue 20): two shard processes on NATS with
 * JetStream — forest (master) and caves, each hosting the portal game's world of its name
 * (portal-world-game.ts; forest/sinkhole ↔ caves/stairs) — and SL_BOTS bots (default 60, WebSocket
 * `ShardlineClient`s in this process) seated half in each. A scheduler moves bots through the
 * portal at 1, 10 and 100 moves per second in all (a random bot that is seated, not moving and past
 * its cooldown each time; enough bots that the cooldown is not the limit). Per move: from the
 * client calling `enterPortal` to its first snapshot in the other world (`onMigrated`, then the next
 * `onSnapshot`): p50/p99, split into the server's part up to the redirect (until the client opens
 * its socket to the other shard), connect + seat there, and the wait for the first snapshot; and
 * the migrations per second achieved. Beside them, measured in the same run: one engine round trip
 * (a NATS request/reply to a trivial responder in a process of its own, `engine.serve` as the
 * shards' transfer desks answer), quiet and during each rate; a client reconnect (connect + seat in
 * a world with a connect token in hand, to the first snapshot); and the hand-off's own steps
 * inside the shards (SHARDLINE_MIGRATE_PROFILE=1: directory reads and compare-and-sets, the
 * transfer and its answer, the shard index's writes, the whole move, the admission) with the
 * references they are made of (a JetStream key/value compare-and-set, a Postgres player write).
 *
 * Targets (issue 20): p99 ≤ 250 ms at 100 moves/s; p50 ≤ 3 engine round trips + one reconnect
 * (`p50VsRoundTrips` = (move p50 − reconnect p50) / engine round-trip p50 ≤ 3). Includes the last
 * chaos run's ledger (bench/results/migrate-chaos.json, written by `npm run test:chaos`). Writes
 * bench/results/migrate.json and migrate.md. SL_BOTS, SL_RATES (1,10,100), SL_SECONDS
 * (30,15,15: per rate), SL_COOLDOWN_MS (300), SL_CPU_PROFILE=dir (the shard processes' V8 CPU
 * profiles, written as they stop) for experiments. Needs NATS with JetStream and Postgres.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShardlineClient } from '@shardline/client';
import '@shardline/client/node';
import { NatsEngine, openPostgres, openShardIndexStore, type ShardIndexStore } from '@shardline/server';
import { TEST_POSTGRES_URL } from '../../packages/server/test/support/postgres.js';
import type { LogEntry } from '../../packages/server/test/support/shard-processes.js';
import { forkTypeScript, messageWaiter } from '../lib/children.js';
import { SeededRandom } from '../lib/random.js';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { summarize } from '../lib/stats.js';
import { type MoveSample, PortalBot } from './bots.js';
import { CHAOS_RESULTS } from './chaos.js';
import { killOnExit, NATS, PortalCluster } from './cluster.js';
import { COOLDOWN_ENV, portalWorld } from './portal-world-game.js';
import type { ProfileLine } from './profile.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHARDS = ['forest', 'caves'] as const;
const PORTAL_OF: Record<string, string> = { forest: 'sinkhole', caves: 'stairs' };
const BOTS = Number(process.env.SL_BOTS ?? 60);
const RATES = (process.env.SL_RATES ?? '1,10,100').split(',').map(Number);
const SECONDS = (process.env.SL_SECONDS ?? '30,15,15').split(',').map(Number);
const COOLDOWN_MS = Number(process.env.SL_COOLDOWN_MS ?? 300);
const LEASE_MS = 1_500;
/** Moves before the measured rates (not counted). */
const WARM_UP_MOVES = 40;
/** Of each rate's window, the first part is not counted (the rate settling), ms. */
const SETTLE_MS = 1_000;
const ROUND_TRIPS = 1_000;
const PAUSED_ROUND_TRIPS = 200;
const ROUND_TRIP_PAUSE_MS = 20;
const RECONNECTS = 40;
const KV_WRITES = 300;
const PG_WRITES = 200;
/** One engine round trip during a rate's window every this many ms. */
const LOADED_ROUND_TRIP_EVERY_MS = 50;
const P99_TARGET_MS = 250;
const ROUND_TRIPS_TARGET = 3;
/** The whole run gives up after this (its processes are killed on exit), ms. */
const RUN_LIMIT_MS = 10 * 60_000;

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (ms: number) => Math.round(ms * 100) / 100;
const median = (values: readonly number[]) => (values.length > 0 ? summarize(values).median : Number.NaN);
const p99 = (values: readonly number[]) => (values.length > 0 ? summarize(values).p99 : Number.NaN);
const fixed = (value: number | undefined, digits = 1) =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);

const giveUp = setTimeout(() => {
  console.error(`bench:migrate: gave up after ${RUN_LIMIT_MS / 60_000} minutes`);
  process.exit(1);
}, RUN_LIMIT_MS);
giveUp.unref();

// ---- the cluster, the responder, the bots ----

/** The shards' profile lines (each second's samples), with the shard and when they arrived. */
const profiles: { shard: string; atMs: number; line: ProfileLine['profile'] }[] = [];
const warnings: Record<string, number> = {};
const onLog = (shard: string, entry: LogEntry) => {
  if (entry.profile) {
    profiles.push({ shard, atMs: Date.now(), line: entry.profile as ProfileLine['profile'] });
    return;
  }
  if (typeof entry.level === 'number' && entry.level >= 40) {
    const key = `${shard}: ${String(entry.msg)}`.slice(0, 120);
    warnings[key] = (warnings[key] ?? 0) + 1;
  }
};

const loadBefore = loadavg();
const cluster = await PortalCluster.create({
  shards: SHARDS,
  prefix: 'migrate',
  leaseMs: LEASE_MS,
  saveIntervalMs: 10_000,
  env: {
    [COOLDOWN_ENV]: String(COOLDOWN_MS),
    SHARDLINE_MIGRATE_PROFILE: '1',
  },
  // SL_CPU_PROFILE=dir: each shard process writes a V8 CPU profile there when it stops.
  ...(process.env.SL_CPU_PROFILE
    ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${process.env.SL_CPU_PROFILE}`] }
    : {}),
  onLog,
});
const children = new Set<ChildProcess>();
killOnExit(() => [cluster]);
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
const engine = await NatsEngine.connect({ url: NATS, name: `${cluster.name}-driver` });
const pool = await openPostgres({ url: TEST_POSTGRES_URL, schema: cluster.schema, max: 2 });
const bots: PortalBot[] = [];

type Json = Record<string, unknown>;
let results: Json;
try {
  console.log(`cluster ${cluster.name}: starting ${SHARDS.join(', ')}…`);
  await Promise.all(SHARDS.map((shard) => cluster.start(shard)));
  const echoSubject = `bench.${cluster.name}.echo`;
  const responder = forkTypeScript(join(HERE, 'responder.ts'), [echoSubject]);
  children.add(responder);
  await messageWaiter<{ type: 'ready' }>()(responder, 'ready');
  const payload = new Uint8Array(64);
  const roundTrip = async () => {
    const from = performance.now();
    await engine.request(echoSubject, payload, 5_000);
    return performance.now() - from;
  };

  console.log(`${BOTS} bots joining…`);
  const network = { worlds: SHARDS, httpOf: (world: string) => cluster.httpOf(world) };
  for (let i = 0; i < BOTS; i++) {
    bots.push(new PortalBot(i, network, new SeededRandom(i + 1), SHARDS[i % SHARDS.length]!));
  }
  for (let first = 0; first < bots.length; first += 20) {
    await Promise.all(bots.slice(first, first + 20).map((bot) => bot.start()));
  }

  // ---- references, quiet (the bots seated, nobody moving) ----
  console.log('references: engine round trips, reconnects, key/value CAS, Postgres writes…');
  for (let i = 0; i < 200; i++) await roundTrip();
  const quietRoundTrips: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) quietRoundTrips.push(await roundTrip());
  // One at a time after a pause, as a move's requests go (a round trip after a pause costs more
  // than one of a back-to-back series: processes and cores wake up; bench:cluster shows it too).
  const pausedRoundTrips: number[] = [];
  for (let i = 0; i < PAUSED_ROUND_TRIPS; i++) {
    await sleep(ROUND_TRIP_PAUSE_MS);
    pausedRoundTrips.push(await roundTrip());
  }
  const reconnects = await measureReconnects(cluster.httpOf('caves')!);
  const returning = await measureReturning(cluster.httpOf('caves')!);
  const kvWrites = await measureKvWrites(engine, cluster.name);
  const store = await openShardIndexStore({ kind: 'postgres', pool });
  const pgWrites = await measurePgWrites(store, `${cluster.name}-probe`);

  // ---- the moves ----
  const eligible = (bot: PortalBot, nowMs: number) => bot.ready && nowMs - bot.arrivedAtMs > COOLDOWN_MS + 50;
  const random = new SeededRandom(2020);
  const pick = (): PortalBot | undefined => {
    const nowMs = performance.now();
    for (let tries = 0; tries < 2 * bots.length; tries++) {
      const bot = bots[random.index(bots.length)]!;
      if (eligible(bot, nowMs)) return bot;
    }
    return bots.find((bot) => eligible(bot, nowMs));
  };
  const moveOnce = async (bot: PortalBot) => bot.move(PORTAL_OF[bot.world?.id ?? ''] ?? 'sinkhole');

  console.log(`warm-up: ${WARM_UP_MOVES} moves…`);
  for (let i = 0; i < WARM_UP_MOVES; i++) {
    const bot = pick();
    if (bot) await moveOnce(bot);
  }

  const rates = [];
  const cpu = cpuMeter(() => SHARDS.map((shard) => cluster.processes.get(shard)?.child.pid ?? 0));
  for (const [index, rate] of RATES.entries()) {
    const seconds = SECONDS[index] ?? SECONDS[SECONDS.length - 1]!;
    console.log(`${rate} moves/s for ${seconds} s…`);
    const outcomes: { sample?: MoveSample; refused?: string; lost?: boolean; endedMs: number }[] = [];
    let skipped = 0;
    const loadedRoundTrips: number[] = [];
    const fromMs = performance.now();
    const fromWallMs = Date.now();
    const untilMs = fromMs + seconds * 1_000;
    const countFromMs = fromMs + SETTLE_MS;
    const inFlight = new Set<Promise<unknown>>();
    const cpuStart = setTimeout(() => cpu.start(), SETTLE_MS);
    let measuring = true;
    const roundTrips = (async () => {
      while (measuring) {
        loadedRoundTrips.push(await roundTrip());
        await sleep(LOADED_ROUND_TRIP_EVERY_MS);
      }
    })();
    // Moves come as a Poisson process of that rate (exponential gaps): at a fixed cadence they would
    // keep one phase against the worlds' 30 Hz snapshots, and the wait for the first one with it.
    const gapMs = () => (-Math.log(1 - random.next()) * 1_000) / rate;
    for (let nextMs = fromMs + gapMs(); nextMs < untilMs; nextMs += gapMs()) {
      const waitMs = nextMs - performance.now();
      if (waitMs > 0) await sleep(waitMs);
      const bot = pick();
      if (!bot) {
        skipped++;
        continue;
      }
      const startedMs = performance.now();
      const move = moveOnce(bot).then((outcome) => {
        if (startedMs < countFromMs) return;
        const endedMs = performance.now();
        if (outcome.kind === 'moved') outcomes.push({ sample: outcome.sample, endedMs });
        else if (outcome.kind === 'refused') outcomes.push({ refused: outcome.code, endedMs });
        else if (outcome.kind === 'lost') outcomes.push({ lost: true, endedMs });
      });
      inFlight.add(move);
      void move.finally(() => inFlight.delete(move));
    }
    const windowMs = performance.now() - countFromMs;
    clearTimeout(cpuStart);
    const cpuUse = cpu.stop();
    await Promise.all(inFlight);
    measuring = false;
    await roundTrips;
    const untilWallMs = Date.now();
    const moved = outcomes.flatMap((outcome) => (outcome.sample ? [outcome.sample] : []));
    const total = moved.map((sample) => sample.snapshotMs - sample.startedMs);
    const withSocket = moved.filter((sample) => sample.socketMs !== undefined);
    const refusals: Record<string, number> = {};
    for (const outcome of outcomes) {
      if (outcome.refused) refusals[outcome.refused] = (refusals[outcome.refused] ?? 0) + 1;
    }
    const completedInWindow = moved.filter((sample) => sample.snapshotMs <= countFromMs + windowMs).length;
    rates.push({
      targetPerSecond: rate,
      seconds,
      moves: moved.length,
      achievedPerSecond: completedInWindow / (windowMs / 1_000),
      p50Ms: median(total),
      p99Ms: p99(total),
      maxMs: total.length > 0 ? Math.max(...total) : Number.NaN,
      /** enterPortal called → the client opens its socket to the other shard (the redirect arrived). */
      toRedirectP50Ms: median(withSocket.map((s) => s.socketMs! - s.startedMs)),
      toRedirectP99Ms: p99(withSocket.map((s) => s.socketMs! - s.startedMs)),
      /** Socket made → open (TCP connect and the WebSocket upgrade). */
      socketOpenP50Ms: median(
        withSocket.flatMap((s) => (s.socketOpenMs === undefined ? [] : [s.socketOpenMs - s.socketMs!])),
      ),
      /** Socket made → seated there (WebSocket, Shardline handshake, hello, admission, welcome). */
      connectSeatP50Ms: median(withSocket.map((s) => s.migratedMs - s.socketMs!)),
      connectSeatP99Ms: p99(withSocket.map((s) => s.migratedMs - s.socketMs!)),
      /**
       * The client's hello (its second datagram out on the new socket) → seated (the welcome): the
       * target's admission, the seat and the welcome's way out.
       */
      helloToWelcomeP50Ms: median(
        withSocket.flatMap((s) => {
          const hello = s.socketTrace.filter((entry) => entry.startsWith('out '))[1];
          return hello ? [s.migratedMs - s.socketMs! - Number(hello.slice(4))] : [];
        }),
      ),
      /** Seated → its first snapshot there. */
      firstSnapshotP50Ms: median(moved.map((s) => s.snapshotMs - s.migratedMs)),
      firstSnapshotP99Ms: p99(moved.map((s) => s.snapshotMs - s.migratedMs)),
      /** The moves around the median, each with its socket's first datagrams (ms after it was made). */
      medianExamples: [...moved]
        .sort((a, b) => a.snapshotMs - a.startedMs - (b.snapshotMs - b.startedMs))
        .slice(Math.max(0, Math.floor(moved.length / 2) - 2), Math.floor(moved.length / 2) + 3)
        .map((sample) => ({
          totalMs: round(sample.snapshotMs - sample.startedMs),
          toSocketMs: sample.socketMs === undefined ? null : round(sample.socketMs - sample.startedMs),
          socketOpenMs:
            sample.socketOpenMs === undefined || sample.socketMs === undefined
              ? null
              : round(sample.socketOpenMs - sample.socketMs),
          seatedMs: sample.socketMs === undefined ? null : round(sample.migratedMs - sample.socketMs),
          snapshotMs: round(sample.snapshotMs - sample.migratedMs),
          socketTrace: sample.socketTrace,
        })),
      refused: refusals,
      lost: outcomes.filter((outcome) => outcome.lost).length,
      skippedNoBotReady: skipped,
      /** CPU over the counted window, % of one core (2 cores: 200 is the machine). */
      cpu: cpuUse,
      engineRoundTripP50Ms: median(loadedRoundTrips),
      engineRoundTripP99Ms: p99(loadedRoundTrips),
      profile: profileBetween(fromWallMs + SETTLE_MS, untilWallMs + 1_100),
    });
    await sleep(1_500);
  }
  await store.close();

  // ---- the figures ----
  const at100 = rates.find((row) => row.targetPerSecond === 100) ?? rates[rates.length - 1]!;
  const roundTripP50 = median(pausedRoundTrips);
  const backToBackP50 = median(quietRoundTrips);
  const reconnectP50 = median(reconnects);
  const vsRoundTrips = (moveP50: number) => (moveP50 - reconnectP50) / roundTripP50;
  const vsBackToBack = (moveP50: number) => (moveP50 - reconnectP50) / backToBackP50;
  const chaos = readChaos();
  results = {
    environment: environment(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverageBefore: loadBefore.map((load) => Number(load.toFixed(2))),
      loadAverageAfter: loadavg().map((load) => Number(load.toFixed(2))),
      natsServer: engine.connection.info?.version ?? 'unknown',
    },
    setup: {
      shards: SHARDS,
      bots: BOTS,
      cooldownMs: COOLDOWN_MS,
      leaseMs: LEASE_MS,
      tickHz: portalWorld.tickHz,
      transport: 'websocket',
      store: 'postgres',
    },
    p99Ms: at100.p99Ms,
    p50Ms: at100.p50Ms,
    p50VsRoundTrips: vsRoundTrips(at100.p50Ms),
    p50VsRoundTripsIs:
      '(move p50 at 100 moves/s − reconnect p50) / engine round-trip p50 (quiet, one at a time after a 20 ms pause, as a move’s requests go); per rate in rates[].p50VsRoundTrips',
    p50VsBackToBackRoundTrips: vsBackToBack(at100.p50Ms),
    target: { p99Ms: P99_TARGET_MS, p50VsRoundTrips: ROUND_TRIPS_TARGET },
    met: {
      p99Ms: at100.p99Ms <= P99_TARGET_MS,
      p50VsRoundTrips: vsRoundTrips(at100.p50Ms) <= ROUND_TRIPS_TARGET,
    },
    references: {
      engineRoundTrip: {
        p50Ms: roundTripP50,
        p99Ms: p99(pausedRoundTrips),
        samples: pausedRoundTrips.length,
      },
      engineRoundTripBackToBack: {
        p50Ms: backToBackP50,
        p99Ms: p99(quietRoundTrips),
        samples: quietRoundTrips.length,
      },
      reconnect: { p50Ms: reconnectP50, p99Ms: p99(reconnects), samples: reconnects.length },
      reconnectReturning: { p50Ms: median(returning), p99Ms: p99(returning), samples: returning.length },
      kvCompareAndSet: { p50Ms: median(kvWrites), p99Ms: p99(kvWrites), samples: kvWrites.length },
      postgresPlayerWrite: { p50Ms: median(pgWrites), p99Ms: p99(pgWrites), samples: pgWrites.length },
    },
    rates: rates.map((row) => ({
      ...row,
      p50VsRoundTrips: vsRoundTrips(row.p50Ms),
      p50VsBackToBackRoundTrips: vsBackToBack(row.p50Ms),
    })),
    chaos,
    warnings,
  };
} finally {
  for (const bot of bots) bot.stop();
  await Promise.all(bots.map((bot) => bot.leave()));
  for (const child of children) child.kill('SIGKILL');
  await pool.end().catch(() => {});
  await engine.close().catch(() => {});
  await Promise.all(SHARDS.map((shard) => cluster.stop(shard)));
  await cluster.dispose();
}

// ---- the report ----

type RateRow = {
  targetPerSecond: number;
  achievedPerSecond: number;
  moves: number;
  p50Ms: number;
  p99Ms: number;
  toRedirectP50Ms: number;
  connectSeatP50Ms: number;
  socketOpenP50Ms: number;
  helloToWelcomeP50Ms: number;
  toRedirectP99Ms: number;
  connectSeatP99Ms: number;
  firstSnapshotP99Ms: number;
  firstSnapshotP50Ms: number;
  engineRoundTripP50Ms: number;
  p50VsRoundTrips: number;
  refused: Record<string, number>;
  lost: number;
  skippedNoBotReady: number;
  profile: Record<string, { p50Ms: number; p99Ms: number; n: number }>;
  cpu: Record<string, number>;
};
const rows = results.rates as RateRow[];
const references = results.references as Record<string, { p50Ms: number; p99Ms: number }>;
const moveTable = markdownTable(
  [
    'moves/s asked',
    'achieved/s',
    'moves',
    'p50 ms',
    'p99 ms',
    'to redirect p50',
    'connect + seat p50 (WebSocket open · hello → welcome)',
    'first snapshot p50',
    'engine RT p50 from the driver (then)',
    '(p50 − reconnect) / RT',
    'refused / lost',
  ],
  rows.map((row) => [
    String(row.targetPerSecond),
    fixed(row.achievedPerSecond),
    String(row.moves),
    fixed(row.p50Ms),
    fixed(row.p99Ms),
    fixed(row.toRedirectP50Ms),
    `${fixed(row.connectSeatP50Ms)} (${fixed(row.socketOpenP50Ms)} · ${fixed(row.helloToWelcomeP50Ms)})`,
    fixed(row.firstSnapshotP50Ms),
    fixed(row.engineRoundTripP50Ms, 2),
    fixed(row.p50VsRoundTrips),
    `${
      Object.entries(row.refused)
        .map(([code, count]) => `${count} ${code}`)
        .join(', ') || '0'
    } / ${row.lost}`,
  ]),
);
const tailTable = markdownTable(
  [
    'moves/s asked',
    'p99 ms',
    'to redirect p99',
    'connect + seat p99',
    'first snapshot p99',
    'hand-off (migrate) p99 in the source',
    "shards' event-loop delay p99, worst second",
  ],
  rows.map((row) => [
    String(row.targetPerSecond),
    fixed(row.p99Ms),
    fixed(row.toRedirectP99Ms),
    fixed(row.connectSeatP99Ms),
    fixed(row.firstSnapshotP99Ms),
    fixed(row.profile.migrate?.p99Ms),
    fixed(row.profile['loop.delay.p99']?.p99Ms),
  ]),
);
const STEPS = [
  'migrate',
  'directory.checkout',
  'transfer.send',
  'transfer.answer(transfer)',
  'store.putPlayers(arriving)',
  'directory.replace(in)',
  'transfer.answer(committed)',
  'store.deletePlayer',
  'store.putPlayers(held)',
  'admit',
  'directory.read',
  'loop.delay.p99',
];
const profileTable = markdownTable(
  ['step (inside the shards)', ...rows.map((row) => `${row.targetPerSecond}/s p50 · p99 ms (n)`)],
  STEPS.map((step) => [
    step,
    ...rows.map((row) => {
      const figure = row.profile[step];
      return figure ? `${fixed(figure.p50Ms, 2)} · ${fixed(figure.p99Ms, 2)} (${figure.n})` : '–';
    }),
  ]),
);
const cpuTable = markdownTable(
  [
    'moves/s asked',
    'shard processes %',
    'driver (bots) %',
    'nats-server %',
    'postgres %',
    'rest of the machine %',
    `machine % (of ${cpus().length * 100})`,
  ],
  rows.map((row) => [
    String(row.targetPerSecond),
    fixed(row.cpu.shardsPercent),
    fixed(row.cpu.driverPercent),
    fixed(row.cpu.natsPercent),
    fixed(row.cpu.postgresPercent),
    fixed(row.cpu.restOfMachinePercent),
    fixed(row.cpu.machinePercent),
  ]),
);
const referenceTable = markdownTable(
  ['reference (same run, quiet)', 'p50 ms', 'p99 ms'],
  [
    [
      'engine round trip (NATS request/reply to a responder process), one after a 20 ms pause',
      references.engineRoundTrip!,
    ],
    ['engine round trip, back to back', references.engineRoundTripBackToBack!],
    [
      'client reconnect (connect + seat + first snapshot, token in hand), a running world of its own',
      references.reconnect!,
    ],
    [
      'the same into the caves world, as a player it keeps (admitted by the directory, returning)',
      references.reconnectReturning!,
    ],
    ['JetStream key/value compare-and-set (the directory’s write)', references.kvCompareAndSet!],
    ['Postgres player record write (the transfer’s durable store)', references.postgresPlayerWrite!],
  ].map(([name, figure]) => [
    name as string,
    fixed((figure as { p50Ms: number }).p50Ms, 2),
    fixed((figure as { p99Ms: number }).p99Ms, 2),
  ]),
);
const chaos = results.chaos as Json | null;
const met = (ok: unknown) => (ok ? 'met' : 'MISSED');
const metFlags = results.met as { p99Ms: boolean; p50VsRoundTrips: boolean };
console.log(moveTable);
console.log(tailTable);
console.log(profileTable);
console.log(cpuTable);
console.log(referenceTable);
console.log(
  `p99Ms ${fixed(results.p99Ms as number)} (target ≤ ${P99_TARGET_MS}: ${met(metFlags.p99Ms)}); ` +
    `p50VsRoundTrips ${fixed(results.p50VsRoundTrips as number, 2)} (target ≤ ${ROUND_TRIPS_TARGET}: ${met(metFlags.p50VsRoundTrips)})`,
);

const machine = results.machine as {
  cpus: number;
  cpuModel: string;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  natsServer: string;
};
const markdown = `# bench:migrate

\`npm run bench:migrate\` (issue 20): two shard processes (\`shardline shard start … --engine nats://…\`,
the portal game \`bench/migrate/portal-world-game.ts\`): forest (master) and caves, each hosting the
world of its name, paired by forest/sinkhole ↔ caves/stairs; NATS ${machine.natsServer} with JetStream on
loopback; accounts and shard indexes on Postgres; ${BOTS} bots (Node \`ShardlineClient\`s over
WebSocket, in the driver process) seated half in each world; cooldown ${COOLDOWN_MS} ms, lease
${LEASE_MS} ms, ${portalWorld.tickHz} Hz worlds. ${machine.cpus} shared cores (${machine.cpuModel}):
NATS, Postgres, both shards and the driver share them, and other work on the machine too (load
average before ${machine.loadAverageBefore.join(' / ')}, after ${machine.loadAverageAfter.join(' / ')}).

A scheduler moves a random bot that is seated, not moving and past its cooldown through its portal
at a given rate in all (a Poisson process: exponential gaps, so moves fall at every phase of the
worlds' snapshots), for ${SECONDS.join(', ')} s per rate (the first ${SETTLE_MS / 1000} s not
counted), after ${WARM_UP_MOVES} moves to warm up. A move is timed from the client calling
\`enterPortal\` to its first snapshot in the other world (\`onMigrated\`, then the next
\`onSnapshot\`). "To redirect" ends when the client opens its socket to the other shard (the server's
hand-off — checkout, transfer, commit — plus the call's and the redirect's trips); "connect + seat"
then ends at \`onMigrated\`; "first snapshot" is the wait for the world's next snapshot there.

${moveTable}

The tails (each part's own p99; a move's p99 is not their sum):

${tailTable}

- **p99Ms: ${fixed(results.p99Ms as number)}** at 100 moves/s; target ≤ ${P99_TARGET_MS} ms: ${met(metFlags.p99Ms)}.
- **p50VsRoundTrips: ${fixed(results.p50VsRoundTrips as number, 2)}** = (move p50 at 100 moves/s ${fixed(results.p50Ms as number)} ms − reconnect p50 ${fixed(references.reconnect!.p50Ms)} ms) / engine round trip p50 ${fixed(references.engineRoundTrip!.p50Ms, 3)} ms; target ≤ ${ROUND_TRIPS_TARGET} (a move costs at most 3 engine round trips more than a reconnect): ${met(metFlags.p50VsRoundTrips)}.

References, measured in the same run before the moves (bots seated, nobody moving): an engine round
trip is \`engine.request\` from the driver to an \`engine.serve\` echo in a process of its own
(\`bench/migrate/responder.ts\`), ${PAUSED_ROUND_TRIPS} each after a ${ROUND_TRIP_PAUSE_MS} ms pause (a move's requests
come one at a time, not in a series: this is the round trip the target counts in), and ${ROUND_TRIPS} back
to back (a processor kept busy answers faster: \`p50VsBackToBackRoundTrips\` divides by that one); a reconnect is a signed-in client with
a connect token for a world of the same kind on the caves shard in hand (\`joinTicket\`) connecting,
taking a seat and receiving its first snapshot, ${RECONNECTS} times, into a running world of its own
that keeps no player records (another player keeps it running; the seat is taken at once: what
\`p50VsRoundTrips\` subtracts) and into the caves world as a player it
keeps (admitted by the directory: one read, and the seat taken after it); the directory's write is a
JetStream key/value update with its expected revision (what checkout and commit are), ${KV_WRITES} in a
row; the transfer's durable store is the shard index's \`putPlayers\` of one record on Postgres, ${PG_WRITES}
in a row.

${referenceTable}

## Where the time goes

Inside the shards (SHARDLINE_MIGRATE_PROFILE=1: the portal game wraps, in each shard process, the
methods a hand-off goes through and prints each second's samples; nothing of the server's code
changes): \`migrate\` is the source's whole hand-off (the checks, checkout, transfer, commit,
release); \`directory.checkout\` and \`directory.replace(in)\` are its compare-and-sets (the commit, and
the target's claim when it admits); \`transfer.send\` the source's request to the target and
\`transfer.answer\` the target's handling of it (check, seat reserved, the record written with
\`store.putPlayers\`); \`admit\` the target's admission of the arriving player; \`loop.delay.p99\` the
shards' event-loop delay (the worst second's p99).

${profileTable}

${breakdown(rows.find((row) => row.targetPerSecond === 10) ?? rows[0]!, references)}

CPU over each rate's counted window, % of one core (Linux /proc): the two shard processes, the
driver (the bots and the scheduler), nats-server, every postgres process, and the rest of the
machine (other work on the shared machine; it competes for the same cores).

${cpuTable}

${cpuReading(rows)}

${describeChaos(chaos)}
`;
writeResults('migrate', results, markdown);
console.log('wrote bench/results/migrate.json and migrate.md');
process.exit(0);

// ---- the pieces ----

/** CPU seconds (user + system) a process has used, or 0 if it cannot be read (Linux /proc). */
function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The pids of processes whose command name is `name` (nats-server, postgres). */
function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The whole machine's busy CPU seconds (every core: user, nice, system, irq, softirq, steal). */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/**
 * CPU use over a window, % of one core: the shard processes, the driver (the bots), nats-server,
 * Postgres (every postgres process: other work on the machine may use it too) and everything else
 * on the machine. `start()` then `stop()`.
 */
function cpuMeter(shardPids: () => number[]) {
  const byPid = (pids: number[]) => new Map(pids.map((pid) => [pid, cpuSecondsOf(pid)]));
  const read = () => {
    const usage = process.cpuUsage();
    return {
      atMs: performance.now(),
      shards: byPid(shardPids()),
      nats: byPid(pidsNamed('nats-server')),
      postgres: byPid(pidsNamed('postgres')),
      driver: (usage.user + usage.system) / 1e6,
      machine: machineBusySeconds(),
    };
  };
  /** CPU seconds the processes used between two reads (one that ended meanwhile is left out; a new one counts whole). */
  const used = (before: Map<number, number>, after: Map<number, number>) => {
    let seconds = 0;
    for (const [pid, cpu] of after) seconds += Math.max(0, cpu - (before.get(pid) ?? 0));
    return seconds;
  };
  let from = read();
  return {
    start: () => {
      from = read();
    },
    stop: () => {
      const to = read();
      const seconds = (to.atMs - from.atMs) / 1000;
      const percent = (cpu: number) => Math.round((1000 * cpu) / seconds) / 10;
      const shards = used(from.shards, to.shards);
      const nats = used(from.nats, to.nats);
      const postgres = used(from.postgres, to.postgres);
      const driver = to.driver - from.driver;
      const machine = to.machine - from.machine;
      return {
        shardsPercent: percent(shards),
        driverPercent: percent(driver),
        natsPercent: percent(nats),
        postgresPercent: percent(postgres),
        restOfMachinePercent: percent(Math.max(0, machine - shards - driver - nats - postgres)),
        machinePercent: percent(machine),
      };
    },
  };
}

/**
 * Connect + seat + first snapshot with a connect token in hand, into a running world of the kind on
 * the shard that keeps no player records (a seat taken at once, no admission).
 */
async function measureReconnects(http: string): Promise<number[]> {
  // A world of its own on the shard, kept running (ticking, sending snapshots) by an anchor player.
  const anchor = new ShardlineClient(http);
  await anchor.signIn();
  const seat = { kind: portalWorld.name, fingerprints: portalWorld.fingerprints };
  const held = await anchor.joinTicket(
    portalWorld,
    await anchor.services.worlds.create({ ...seat, private: true }),
  );
  const client = new ShardlineClient(http);
  await client.signIn();
  const samples: number[] = [];
  try {
    for (let i = 0; i < RECONNECTS + 5; i++) {
      const ticket = await client.services.worlds.joinById(held.id, seat);
      await sleep(Math.random() * 40); // any phase against the world's snapshots
      const from = performance.now();
      const world = await client.joinTicket(portalWorld, ticket);
      if (world.view.tick < 0) {
        await new Promise<void>((resolve) => {
          world.onSnapshot = () => resolve();
        });
      }
      const ms = performance.now() - from;
      if (i >= 5) samples.push(ms); // the first few warm the path up
      await world.leave();
    }
  } finally {
    await held.leave();
  }
  return samples;
}

/**
 * Connect + seat + first snapshot with a token in hand into the persistent caves world, as a player
 * the directory holds there (it joined once and left: the world keeps its record): the admission
 * reads the directory, then the player comes back with its record.
 */
async function measureReturning(http: string): Promise<number[]> {
  const client = new ShardlineClient(http);
  await client.signIn();
  const seat = { kind: portalWorld.name, fingerprints: portalWorld.fingerprints };
  await (await client.joinById(portalWorld, 'caves')).leave();
  const samples: number[] = [];
  for (let i = 0; i < RECONNECTS + 5; i++) {
    await sleep(100); // its leave is stored: the world keeps its record
    const ticket = await client.services.worlds.joinById('caves', seat);
    await sleep(Math.random() * 40); // any phase against the world's snapshots
    const from = performance.now();
    const world = await client.joinTicket(portalWorld, ticket);
    if (world.view.tick < 0) {
      await new Promise<void>((resolve) => {
        world.onSnapshot = () => resolve();
      });
    }
    const ms = performance.now() - from;
    if (i >= 5) samples.push(ms);
    await world.leave();
  }
  return samples;
}

/** A JetStream key/value update with its expected revision, one after another (the directory's CAS). */
async function measureKvWrites(nats: NatsEngine, clusterName: string): Promise<number[]> {
  const directory = await nats.directories.directory(`${clusterName}-kvprobe`);
  const value = new TextEncoder().encode(
    JSON.stringify({ state: 'in', world: 'forest', shard: 'forest', fence: 1, transfer: 'x'.repeat(16) }),
  );
  let revision = await directory.create('player/probe', value);
  const samples: number[] = [];
  for (let i = 0; i < KV_WRITES + 50; i++) {
    const from = performance.now();
    revision = await directory.update('player/probe', value, revision);
    if (i >= 50) samples.push(performance.now() - from);
  }
  return samples;
}

/** The shard index's write of one player record on Postgres, one after another. */
async function measurePgWrites(store: ShardIndexStore, clusterName: string): Promise<number[]> {
  const data = new TextEncoder().encode(
    JSON.stringify({
      entities: [{ id: 1, schema: 'Body', state: 'AAAAAAAA' }],
      data: { items: ['a-sword', 'a-shield', 'a-gem'] },
    }),
  );
  const samples: number[] = [];
  for (let i = 0; i < PG_WRITES + 20; i++) {
    const from = performance.now();
    await store.putPlayers(clusterName, 'probe', [
      {
        userId: `probe-${i % 10}`,
        world: 'caves',
        state: 'arriving',
        transfer: `t${i}`,
        data,
        updatedAtMs: Date.now(),
      },
    ]);
    if (i >= 20) samples.push(performance.now() - from);
  }
  return samples;
}

/** The shards' profile samples that arrived between two wall-clock times, per step: p50/p99/n. */
function profileBetween(
  fromMs: number,
  untilMs: number,
): Record<string, { p50Ms: number; p99Ms: number; n: number }> {
  const steps = new Map<string, number[]>();
  const loop: number[] = [];
  for (const { atMs, line } of profiles) {
    if (atMs < fromMs || atMs > untilMs) continue;
    for (const [step, values] of Object.entries(line.samples)) {
      const list = steps.get(step) ?? [];
      list.push(...values);
      steps.set(step, list);
    }
    loop.push(line.loopDelayMs.p99);
  }
  const figures: Record<string, { p50Ms: number; p99Ms: number; n: number }> = {};
  for (const [step, values] of steps)
    figures[step] = { p50Ms: median(values), p99Ms: p99(values), n: values.length };
  if (loop.length > 0)
    figures['loop.delay.p99'] = { p50Ms: median(loop), p99Ms: Math.max(...loop), n: loop.length };
  return figures;
}

/** The last chaos run's ledger (bench/results/migrate-chaos.json), or null if there is none. */
function readChaos(): Json | null {
  if (!existsSync(CHAOS_RESULTS)) return null;
  const run = JSON.parse(readFileSync(CHAOS_RESULTS, 'utf8')) as Json;
  return {
    playersLost: run.playersLost,
    playersDuplicated: run.playersDuplicated,
    itemsLost: run.itemsLost,
    itemsDuplicated: run.itemsDuplicated,
    kills: run.kills,
    bots: run.bots,
    seconds: run.seconds,
    moves: run.moves,
    rolledBack: run.rolledBack,
    orphansResolved: run.orphansResolved,
    date: run.date,
    command: run.command,
  };
}

/** A move's p50 at one rate, step by step, in words (the figures of that rate's row). */
function breakdown(row: RateRow, refs: Record<string, { p50Ms: number; p99Ms: number }>): string {
  const step = (name: string) => row.profile[name]?.p50Ms;
  const hand = step('migrate');
  const parts = [
    ['checkout', step('directory.checkout')],
    ['transfer', step('transfer.send')],
    ['commit', step('directory.replace(in)')],
  ] as const;
  const named = parts.reduce((sum, [, ms]) => sum + (ms ?? 0), 0);
  return `At ${row.targetPerSecond} moves/s (medians; the steps' medians do not add up exactly): a move took
${fixed(row.p50Ms)} ms. Up to the redirect, ${fixed(row.toRedirectP50Ms)} ms, of which the source's hand-off
(\`migrate\`) ${fixed(hand, 2)} ms: checkout ${fixed(parts[0][1], 2)}, transfer ${fixed(parts[1][1], 2)} (the target
answering in ${fixed(step('transfer.answer(transfer)'), 2)}, of which the durable write ${fixed(step('store.putPlayers(arriving)'), 2)}),
commit ${fixed(parts[2][1], 2)}, and ${fixed((hand ?? 0) - named, 2)} ms of the source's own work and turns of its event loop
(checks, the record, the release); the rest is the call's and the redirect's ways. Then connect + seat
${fixed(row.connectSeatP50Ms)} ms: the WebSocket open ${fixed(row.socketOpenP50Ms)} ms, and from the hello to the
welcome ${fixed(row.helloToWelcomeP50Ms)} ms although the admission took ${fixed(step('admit'), 2)} ms. Then the first
snapshot ${fixed(row.firstSnapshotP50Ms)} ms (${portalWorld.sendHz} snapshots/s). A reconnect into a running world of its own
took ${fixed(refs.reconnect!.p50Ms)} ms in all, into the caves world as a player it keeps ${fixed(refs.reconnectReturning!.p50Ms)} ms;
one engine round trip ${fixed(refs.engineRoundTrip!.p50Ms, 2)} ms (${fixed(refs.engineRoundTripBackToBack!.p50Ms, 2)} back to back).`;
}

/** What the CPU figures say about the busiest rate: how full the machine was, and a move's CPU in the shards. */
function cpuReading(rows: readonly RateRow[]): string {
  const busiest = rows[rows.length - 1]!;
  const calmest = rows[0]!;
  const perMoveMs =
    ((busiest.cpu.shardsPercent! - calmest.cpu.shardsPercent!) * 10) /
    (busiest.achievedPerSecond - calmest.achievedPerSecond);
  return `At ${busiest.targetPerSecond} moves/s the machine was ${fixed(busiest.cpu.machinePercent)}% busy of its
${cpus().length * 100}%: there a move's time is mostly waiting for a core (the shards' event-loop delay and the
steps' p99 above), and the driver's bots took ${fixed(busiest.cpu.driverPercent)}% that clients would not take from a
real cluster. Each move cost the two shard processes about ${fixed(perMoveMs)} ms of CPU together (their CPU
over the calmest rate's, per extra move: the hand-off, the connection accepted, seated and sent its
world, and the others in both worlds told).`;
}

function describeChaos(chaos: Json | null): string {
  if (!chaos)
    return '## Chaos\n\nNo chaos run yet (`npm run test:chaos` writes bench/results/migrate-chaos.json).';
  return `## Chaos (the last \`npm run test:chaos\`, ${String(chaos.date)})

\`${String(chaos.command)}\`: three shard processes, ${String(chaos.bots)} bots walking through portals for
${String(chaos.seconds)} s while a random shard was killed with SIGKILL ${String(chaos.kills)} times (restarted 1–3 s
later); then graceful stops, a reconciling start and stop, and the ledger from the player directory
and every shard's player records.

${markdownTable(
  [
    'playersLost',
    'playersDuplicated',
    'itemsLost',
    'itemsDuplicated',
    'kills',
    'moves',
    'rolled back',
    'orphans resolved',
  ],
  [
    [
      chaos.playersLost,
      chaos.playersDuplicated,
      chaos.itemsLost,
      chaos.itemsDuplicated,
      chaos.kills,
      chaos.moves,
      chaos.rolledBack,
      chaos.orphansResolved,
    ].map(String),
  ],
)}`;
}
