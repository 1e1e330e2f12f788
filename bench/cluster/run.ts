/**
 * Cluster benchmark (npm run bench:cluster, issue 19): for 2, 4 and 8 shard processes
 * (bench/cluster/shard.ts) on the NATS engine, with a probe shard in this process:
 * - round trips: the probe's shard RPC `echo` to the shard processes, one call at a time (p50/p99)
 *   and 64 in flight (calls/s), beside the engine's bare request/reply to the same processes (an
 *   `engine.serve` echo in each, so the floor crosses the same process boundary) in the same run,
 *   calls of the two kinds interleaved; `rpcP50VsBare` (target ≤ 1.5);
 * - global-event fan-out: the probe reports `tick` (to the master, shard s0, which logs it), and the
 *   time until every shard process has said on the engine's bus that it applied it (p50/p99);
 * - detection: kill -9 of a shard process (never the master), and the time until every other shard
 *   process has said it saw it go (`detectMs`, target ≤ lease + 1 s); it is restarted between tries.
 * Before that, the shard RPC layer's own cost: both kinds of call between two shards of one
 * process on the in-process engine (no network). Machines are shared and noisy (2 cores): each
 * figure is the median over repeated rounds. Writes bench/results/cluster.json and cluster.md.
 * SL_SHARDS (default 2,4,8), SL_LEASE_MS (1500), SL_ROUNDS (5), SL_DETECT (4 tries per size) for
 * experiments. Needs NATS with JetStream (SHARDLINE_NATS_URL, default 127.0.0.1:4222).
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { encodeCall, encodeReply } from '@shardline/core';
import { type ClusterEngine, InProcessCluster, NatsEngine, Shard } from '@shardline/server';
import { forkTypeScript, messageWaiter } from '../lib/children.js';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { summarize } from '../lib/stats.js';
import {
  type BenchShard,
  bareSubject,
  benchEvents,
  benchRpcs,
  benchSettings,
  benchStatus,
  decodeNotice,
  type FromShard,
  NATS_URL,
  type Notice,
  noticeChannel,
  rawSubject,
} from './game.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env.SL_SHARDS ?? '2,4,8').split(',').map(Number);
const LEASE_MS = Number(process.env.SL_LEASE_MS ?? 1_500);
const ROUNDS = Number(process.env.SL_ROUNDS ?? 5);
const DETECT_TRIES = Number(process.env.SL_DETECT ?? 4);
/** Sequential calls of each kind per round (interleaved: bare, rpc, bare, …). */
const CALLS_PER_ROUND = 400;
const WARM_UP_CALLS = 300;
const IN_FLIGHT = 64;
const WINDOW_MS = 1_500;
const THROUGHPUT_ROUNDS = 3;
const EVENT_ROUNDS = 3;
const EVENTS_PER_ROUND = 20;
/** The pause after each event (and after each of its two references), ms. */
const EVENT_GAP_MS = 20;
const IN_PROCESS_CALLS = 3_000;
const IDLE_MS = 3_000;
const RPC_TARGET = 1.5;
const DETECT_SLACK_MS = 1_000;
/** The whole run gives up after this (children killed, NATS cleaned), ms. */
const RUN_LIMIT_MS = 8 * 60_000;

const PROBE = 'probe';
const MASTER = 's0';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextMessage = messageWaiter<FromShard>();
const median = (values: readonly number[]) => summarize(values).median;

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

// ---- CPU time of processes (Linux /proc), for the cluster's background cost ----

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const NATS_PID = (() => {
  try {
    return (
      Number(execFileSync('pidof', ['nats-server'], { encoding: 'utf8' }).trim().split(' ')[0]) || undefined
    );
  } catch {
    return undefined; // not on this machine (a remote server): its CPU is not counted
  }
})();

/** CPU seconds (user + system) a process has used, or undefined if it cannot be read. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Percent of one core each side used over `ms` of doing nothing but being a cluster. */
async function idleCost(shardPids: number[], ms: number) {
  const natsBefore = cpuSeconds(NATS_PID);
  const shardsBefore = shardPids.map(cpuSeconds);
  const driverBefore = process.cpuUsage();
  const from = performance.now();
  await sleep(ms);
  const seconds = (performance.now() - from) / 1000;
  const natsAfter = cpuSeconds(NATS_PID);
  const shardsAfter = shardPids.map(cpuSeconds);
  const driver = process.cpuUsage(driverBefore);
  const percent = (cpu: number) => (100 * cpu) / seconds;
  let shards = 0;
  shardPids.forEach((_, i) => {
    shards += (shardsAfter[i] ?? 0) - (shardsBefore[i] ?? 0);
  });
  return {
    natsServerPercent:
      natsBefore === undefined || natsAfter === undefined ? null : percent(natsAfter - natsBefore),
    shardProcessesPercent: percent(shards),
    driverPercent: percent((driver.user + driver.system) / 1e6),
  };
}

// ---- children and NATS state, cleaned up whatever happens ----

const children = new Set<ChildProcess>();
const clustersMade: string[] = [];
const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
};
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren();
    void cleanNats().finally(() => process.exit(130));
  });
}

async function cleanNats(): Promise<void> {
  const engine = await NatsEngine.connect({ url: NATS_URL, name: 'bench-cluster-cleanup' });
  try {
    const manager = await jetstreamManager(engine.connection);
    for (const cluster of clustersMade.splice(0)) {
      const streams = ['KV_%-shards', 'KV_%-roles', 'SHARDLINE_LOG_%-events', 'SHARDLINE_LOG_%-append'];
      for (const stream of streams.map((name) => name.replace('%', cluster))) {
        await manager.streams.delete(stream).catch(() => {});
      }
    }
  } finally {
    await engine.close();
  }
}

// ---- the shard RPC layer alone: two shards of one process on the in-process engine ----

async function inProcessOverhead() {
  const cluster = new InProcessCluster();
  const engines = [cluster.member(), cluster.member()];
  const join = (engine: ClusterEngine, shard: string): Promise<BenchShard> =>
    Shard.join({
      engine,
      settings: benchSettings('inproc'),
      shard,
      role: shard === 'a' ? 'master' : 'secondary',
      standby: false,
      shards: ['a', 'b'],
      configuredMaster: 'a',
      leaseMs: 60_000,
      game: { rpcs: benchRpcs, events: benchEvents },
      status: benchStatus,
    });
  const [a, b] = [await join(engines[0]!, 'a'), await join(engines[1]!, 'b')];
  b.rpc.handle('echo', (params) => ({ n: params.n }));
  await engines[1]!.serve('bench.inproc.bare', (payload) => payload);
  const payload = new Uint8Array(requestBytes());
  const bare = [] as number[];
  const rpc = [] as number[];
  const rounds = { bare: [] as number[], rpc: [] as number[] };
  for (let round = -1; round < ROUNDS; round++) {
    bare.length = 0;
    rpc.length = 0;
    for (let i = 0; i < IN_PROCESS_CALLS; i++) {
      let start = performance.now();
      await engines[0]!.request('bench.inproc.bare', payload, 5_000);
      bare.push((performance.now() - start) * 1000);
      start = performance.now();
      await a.rpc.call('b', 'echo', { n: i });
      rpc.push((performance.now() - start) * 1000);
    }
    if (round < 0) continue; // warm-up
    rounds.bare.push(median(bare));
    rounds.rpc.push(median(rpc));
  }
  await a.leave();
  await b.leave();
  for (const engine of engines) await engine.close();
  const bareUs = median(rounds.bare);
  const rpcUs = median(rounds.rpc);
  return { bareMedianUs: bareUs, rpcMedianUs: rpcUs, addedUs: rpcUs - bareUs, rounds };
}

/**
 * The probe's shard RPC request as ShardRpc.call encodes it (docs/cluster/CLUSTER.md §4): version 1,
 * the caller's name (u8 length + UTF-8), the catalog's fingerprint, then the PROTOCOL.md §15 call.
 */
function shardRpcRequest(n: number): Uint8Array {
  const call = encodeCall(benchRpcs.definitions.echo, 0, { n });
  const from = new TextEncoder().encode(PROBE);
  const fingerprint = new TextEncoder().encode(benchRpcs.fingerprint);
  return new Uint8Array([1, from.length, ...from, ...fingerprint, ...call]);
}
const requestBytes = () => shardRpcRequest(1_000_000).length;
const replyBytes = () => encodeReply(benchRpcs.definitions.echo, 0, { n: 1_000_000 }).length;

// ---- one cluster of `count` shard processes ----

interface Detection {
  victim: string;
  /** Kill to the last other shard process saying it saw the victim go. */
  detectMs: number;
  /** Kill to the first one saying so. */
  firstMs: number;
  /** Kill to the driver's probe shard seeing it go. */
  probeMs: number;
}

async function runCluster(count: number) {
  const cluster = `bench-${process.pid}-${count}`;
  clustersMade.push(cluster);
  const names = Array.from({ length: count }, (_, i) => `s${i}`);
  const everyone = [...names, PROBE];
  const engine = await NatsEngine.connect({ url: NATS_URL, name: `bench-${cluster}-probe` });
  const sees = new Map<string, Set<string>>();
  const listeners = new Set<(notice: Notice, atMs: number) => void>();
  /** What went wrong in the probe's membership (a failed renewal or role change), and how often. */
  const probeErrors = new Map<string, number>();
  let phase = 'start';
  await engine.bus.subscribe(noticeChannel(cluster), (bytes) => {
    const atMs = performance.now();
    const notice = decodeNotice(bytes);
    const seen = sees.get(notice.from) ?? new Set();
    if (notice.kind === 'seen') sees.set(notice.from, new Set(notice.shards));
    else if (notice.kind === 'up') sees.set(notice.from, seen.add(notice.shard));
    else if (notice.kind === 'down') seen.delete(notice.shard);
    for (const listener of listeners) listener(notice, atMs);
  });
  const probe: BenchShard = await Shard.join({
    engine,
    settings: benchSettings(cluster),
    shard: PROBE,
    role: 'secondary',
    standby: false,
    shards: everyone,
    configuredMaster: MASTER,
    leaseMs: LEASE_MS,
    game: { rpcs: benchRpcs, events: benchEvents },
    status: benchStatus,
    onError: (error, where) => {
      const text = `${phase}: ${where}: ${error instanceof Error ? error.message : String(error)}`;
      probeErrors.set(text, (probeErrors.get(text) ?? 0) + 1);
    },
  });
  const processes = new Map<string, ChildProcess>();
  const start = async (name: string) => {
    const child = forkTypeScript(join(HERE, 'shard.ts'), [
      cluster,
      name,
      everyone.join(','),
      MASTER,
      String(LEASE_MS),
    ]);
    children.add(child);
    child.once('exit', () => children.delete(child));
    processes.set(name, child);
    return (await within(nextMessage(child, 'ready'), 60_000, `shard ${name} ready`)).joinMs;
  };
  const allSeeAll = () =>
    until(
      () =>
        everyone.every((name) => probe.membership.liveShards().has(name)) &&
        names.every((name) => everyone.every((other) => sees.get(name)?.has(other))),
      30_000,
      `every shard seeing all ${count + 1}`,
    );

  try {
    const startedMs = performance.now();
    const joinMs = await Promise.all(names.map(start));
    await allSeeAll();
    const startMs = performance.now() - startedMs;
    phase = 'at rest';
    console.log(`${count} shards: up in ${startMs.toFixed(0)} ms; idle…`);
    const idle = await idleCost(
      [...processes.values()].map((child) => child.pid ?? 0),
      IDLE_MS,
    );
    phase = 'round trips';
    console.log(`${count} shards: round trips…`);

    // (a, b) sequential round trips: bare, shard RPC and raw NATS interleaved call by call
    const payload = new Uint8Array(requestBytes());
    const preEncoded = shardRpcRequest(1_000_000);
    const calls: Record<Kind, (target: string, n: number) => Promise<unknown>> = {
      bare: (target) => engine.request(bareSubject(cluster, target), payload, 5_000),
      rpc: (target, n) => probe.rpc.call(target, 'echo', { n }),
      raw: (target) => engine.connection.request(rawSubject(cluster, target), payload, { timeout: 5_000 }),
      wire: (target) => engine.request(`shardline.${cluster}.shard.${target}.rpc`, preEncoded, 5_000),
    };
    for (let i = 0; i < WARM_UP_CALLS; i++) {
      for (const kind of KINDS) await calls[kind](names[i % count]!, i);
    }
    const sequential = { bare: [], rpc: [], raw: [], wire: [] } as Record<Kind, SequentialRound[]>;
    const ratios: number[] = [];
    const pooled = { bare: [], rpc: [], raw: [], wire: [] } as Record<Kind, number[]>;
    for (let round = 0; round < ROUNDS; round++) {
      const samples = { bare: [], rpc: [], raw: [], wire: [] } as Record<Kind, number[]>;
      for (let i = 0; i < CALLS_PER_ROUND; i++) {
        const target = names[i % count]!;
        // Rotate which kind goes first, so none always follows another.
        for (let k = 0; k < KINDS.length; k++) {
          const kind = KINDS[(i + k) % KINDS.length]!;
          const from = performance.now();
          await calls[kind](target, i);
          samples[kind].push(performance.now() - from);
        }
      }
      for (const kind of KINDS) {
        const summary = summarize(samples[kind]);
        sequential[kind].push({ p50Ms: summary.median, p99Ms: summary.p99 });
        pooled[kind].push(...samples[kind]);
      }
      ratios.push(sequential.rpc[round]!.p50Ms / sequential.bare[round]!.p50Ms);
    }

    // concurrent windows: IN_FLIGHT calls at a time over all shard processes, kinds in turn
    const window = async (call: (target: string, n: number) => Promise<unknown>) => {
      let issued = 0;
      let answered = 0;
      const from = performance.now();
      const end = from + WINDOW_MS;
      const worker = async () => {
        while (performance.now() < end) {
          const n = issued++;
          await call(names[n % count]!, n);
          answered++;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      return answered / ((performance.now() - from) / 1000);
    };
    const throughput = { bare: [], rpc: [], raw: [], wire: [] } as Record<Kind, number[]>;
    phase = `${IN_FLIGHT} in flight`;
    for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
      for (const kind of WINDOW_KINDS) throughput[kind].push(await window(calls[kind]));
    }

    // (c) global-event fan-out. Between events, the same 20 ms pauses, two references: an append to a
    // JetStream log like the cluster's, from here (the master's part of a report), and a bare round
    // trip to the master's process, both after the same idle gap as each report (a round trip after
    // a pause costs more than one of a back-to-back series: processes and cores wake up).
    phase = 'global events';
    console.log(`${count} shards: global events…`);
    const fanOut: { totalMs: number; reportMs: number; firstMs: number }[] = [];
    const fanOutRounds: number[] = [];
    const appendLog = await engine.eventLog(`${cluster}-append`);
    const appendMs: number[] = [];
    const idleBareMs: number[] = [];
    const timed = async (run: () => Promise<unknown>, into: number[]) => {
      const from = performance.now();
      await run();
      into.push(performance.now() - from);
      await sleep(EVENT_GAP_MS);
    };
    let n = 0;
    for (let round = 0; round < EVENT_ROUNDS; round++) {
      const roundTotals: number[] = [];
      for (let e = 0; e < EVENTS_PER_ROUND; e++) {
        const tick = ++n;
        const waiting = new Set(names);
        let firstAtMs = 0;
        let listener: ((notice: Notice, atMs: number) => void) | undefined;
        const allApplied = new Promise<number>((resolve) => {
          listener = (notice, atMs) => {
            if (notice.kind !== 'applied' || notice.n !== tick || !waiting.delete(notice.from)) return;
            firstAtMs ||= atMs;
            if (waiting.size === 0) resolve(atMs);
          };
          listeners.add(listener);
        });
        const from = performance.now();
        await probe.report('tick', { n: tick });
        const reportMs = performance.now() - from;
        const lastAtMs = await within(allApplied, 10_000, `event ${tick} applied everywhere`);
        listeners.delete(listener!);
        fanOut.push({ totalMs: lastAtMs - from, reportMs, firstMs: firstAtMs - from });
        roundTotals.push(lastAtMs - from);
        await sleep(EVENT_GAP_MS);
        await timed(() => appendLog.append('event.tick', `append-${tick}`, payload), appendMs);
        await timed(() => calls.bare(MASTER, tick), idleBareMs);
      }
      fanOutRounds.push(median(roundTotals));
    }

    // (d) detection: kill -9 of a secondary; every other shard process says it saw it go
    phase = 'detection';
    console.log(`${count} shards: kill -9 detection…`);
    const detections: Detection[] = [];
    for (let attempt = 0; attempt < DETECT_TRIES; attempt++) {
      const victim = names[1 + (attempt % (count - 1))]!;
      const others = names.filter((name) => name !== victim);
      // A random moment relative to the victim's renewals (every third of the lease).
      await sleep(Math.random() * (LEASE_MS / 3 + 100));
      const saw = new Map<string, number>();
      const listener = (notice: Notice, atMs: number) => {
        if (notice.kind === 'down' && notice.shard === victim && !saw.has(notice.from))
          saw.set(notice.from, atMs);
      };
      listeners.add(listener);
      let probeAtMs = 0;
      const stopProbe = probe.onChange((event) => {
        if (event.kind === 'shard-down' && event.shard === victim) probeAtMs ||= performance.now();
      });
      const killedAtMs = performance.now();
      processes.get(victim)!.kill('SIGKILL');
      await until(
        () => others.every((name) => saw.has(name)) && probeAtMs > 0,
        LEASE_MS * 4 + 5_000,
        `every shard seeing ${victim} gone`,
      );
      listeners.delete(listener);
      stopProbe();
      const times = [...saw.values()].map((atMs) => atMs - killedAtMs);
      detections.push({
        victim,
        detectMs: Math.max(...times),
        firstMs: Math.min(...times),
        probeMs: probeAtMs - killedAtMs,
      });
      console.log(`  ${victim}: seen gone by all after ${Math.max(...times).toFixed(0)} ms`);
      await start(victim);
      await allSeeAll();
    }

    const figures = (kind: Kind) => ({
      p50Ms: median(sequential[kind].map((round) => round.p50Ms)),
      p99Ms: median(sequential[kind].map((round) => round.p99Ms)),
      pooledP50Ms: summarize(pooled[kind]).median,
      pooledP99Ms: summarize(pooled[kind]).p99,
      callsPerSecond: throughput[kind].length > 0 ? median(throughput[kind]) : Number.NaN,
      rounds: sequential[kind],
      throughputRounds: throughput[kind],
    });
    const [bare, rpc, raw, wire] = [figures('bare'), figures('rpc'), figures('raw'), figures('wire')];
    /** Per round, p50 of one kind less p50 of another; the median over rounds. */
    const p50Less = (of: Kind, less: Kind) =>
      median(sequential[of].map((round, i) => round.p50Ms - sequential[less][i]!.p50Ms));
    const fan = summarize(fanOut.map((event) => event.totalMs));
    return {
      shards: count,
      startMs,
      joinMs: median(joinMs),
      /** CPU (percent of one core) of a cluster doing nothing: leases renewed, heard and judged. */
      idle,
      probeErrors: Object.fromEntries(probeErrors),
      bare,
      rpc,
      /** The NATS client answering inline in the shard process: a reference below the floor. */
      raw,
      /** A pre-encoded shard RPC request through engine.request, the reply not decoded (no calls/s). */
      wire: { ...wire, callsPerSecond: null },
      /** Where shard RPC's extra p50 goes: the serving side (wire − bare) and the calling side (rpc − wire). */
      rpcExtraMs: {
        total: p50Less('rpc', 'bare'),
        servingSide: p50Less('wire', 'bare'),
        callingSide: p50Less('rpc', 'wire'),
      },
      /** Median over rounds of (shard RPC p50 / bare p50) within the round. */
      rpcP50VsBare: median(ratios),
      rpcP50VsBareRounds: ratios,
      rpcP99VsBare: rpc.p99Ms / bare.p99Ms,
      callsPerSecondVsBare: rpc.callsPerSecond / bare.callsPerSecond,
      bareP50VsRaw: bare.p50Ms / raw.p50Ms,
      bareCallsPerSecondVsRaw: bare.callsPerSecond / raw.callsPerSecond,
      fanOut: {
        events: fanOut.length,
        p50Ms: fan.median,
        p99Ms: fan.p99,
        maxMs: Math.max(...fanOut.map((event) => event.totalMs)),
        roundP50sMs: fanOutRounds,
        reportP50Ms: median(fanOut.map((event) => event.reportMs)),
        firstAppliedP50Ms: median(fanOut.map((event) => event.firstMs)),
        /** The driver's own appends to a JetStream log like the cluster's (the master's part of a report). */
        appendP50Ms: median(appendMs),
        appendP99Ms: summarize(appendMs).p99,
        /** A bare round trip to the master's process after the same pause. */
        idleBareP50Ms: median(idleBareMs),
      },
      detect: {
        tries: detections,
        medianMs: median(detections.map((d) => d.detectMs)),
        worstMs: Math.max(...detections.map((d) => d.detectMs)),
        probeMedianMs: median(detections.map((d) => d.probeMs)),
      },
    };
  } finally {
    for (const child of processes.values()) child.kill('SIGKILL');
    probe.membership.abandon();
    await probe.rpc.stop().catch(() => {});
    await probe.events.stop().catch(() => {});
    await engine.close().catch(() => {});
  }
}

/**
 * The calls timed: bare engine request/reply (the floor), shard RPC, raw NATS (below the floor), and
 * `wire`: a shard RPC request encoded once, sent with engine.request, its reply not decoded (what the
 * serving side of shard RPC costs; shard RPC less this is the calling side's part).
 */
type Kind = 'bare' | 'rpc' | 'raw' | 'wire';
const KINDS: readonly Kind[] = ['bare', 'rpc', 'raw', 'wire'];
/** The kinds also timed IN_FLIGHT at a time. */
const WINDOW_KINDS: readonly Kind[] = ['bare', 'rpc', 'raw'];
interface SequentialRound {
  p50Ms: number;
  p99Ms: number;
}
type Row = Awaited<ReturnType<typeof runCluster>>;

// ---- the run ----

const giveUp = setTimeout(() => {
  console.error(`bench:cluster: gave up after ${RUN_LIMIT_MS / 60_000} minutes`);
  killChildren();
  void cleanNats().finally(() => process.exit(1));
}, RUN_LIMIT_MS);
giveUp.unref();

const loadBefore = loadavg();
const natsVersion = await NatsEngine.connect({ url: NATS_URL }).then(async (engine) => {
  const version = engine.connection.info?.version ?? 'unknown';
  await engine.close();
  return version;
});
console.log('shard RPC layer alone (in-process engine)…');
const inProcess = await inProcessOverhead();
const rows: Row[] = [];
try {
  for (const count of SIZES) {
    rows.push(await runCluster(count));
    await cleanNats();
    await sleep(1_000);
  }
} finally {
  killChildren();
  await cleanNats();
}
const loadAfter = loadavg();

const worstRatio = Math.max(...rows.map((row) => row.rpcP50VsBare));
const detectMs = Math.max(...rows.map((row) => row.detect.worstMs));
const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  loadAverageBefore: loadBefore.map((load) => Number(load.toFixed(2))),
  loadAverageAfter: loadAfter.map((load) => Number(load.toFixed(2))),
  natsServer: natsVersion,
};
const detectTarget = LEASE_MS + DETECT_SLACK_MS;
const keys = {
  rpcP50VsBare: worstRatio,
  rpcP50VsBareN2: rows.find((row) => row.shards === 2)?.rpcP50VsBare ?? null,
  detectMs,
  leaseMs: LEASE_MS,
};

const roundTripTable = markdownTable(
  [
    'shard processes',
    'bare p50 ms',
    'bare p99 ms',
    'shard RPC p50 ms',
    'shard RPC p99 ms',
    'p50 ratio',
    'p99 ratio',
    `bare calls/s (${IN_FLIGHT} in flight)`,
    'shard RPC calls/s',
    'calls/s ratio',
  ],
  rows.map((row) => [
    String(row.shards),
    fixed(row.bare.p50Ms, 3),
    fixed(row.bare.p99Ms, 3),
    fixed(row.rpc.p50Ms, 3),
    fixed(row.rpc.p99Ms, 3),
    `${fixed(row.rpcP50VsBare)}×`,
    `${fixed(row.rpcP99VsBare)}×`,
    fixed(row.bare.callsPerSecond, 0),
    fixed(row.rpc.callsPerSecond, 0),
    `${fixed(row.callsPerSecondVsBare)}×`,
  ]),
);
const rawTable = markdownTable(
  [
    'shard processes',
    'raw NATS p50 ms',
    'raw p99 ms',
    'bare p50 / raw p50',
    `raw calls/s (${IN_FLIGHT} in flight)`,
    'bare calls/s / raw calls/s',
  ],
  rows.map((row) => [
    String(row.shards),
    fixed(row.raw.p50Ms, 3),
    fixed(row.raw.p99Ms, 3),
    `${fixed(row.bareP50VsRaw)}×`,
    fixed(row.raw.callsPerSecond, 0),
    `${fixed(row.bareCallsPerSecondVsRaw)}×`,
  ]),
);
const fanOutTable = markdownTable(
  [
    'shard processes',
    'fan-out p50 ms',
    'p99 ms',
    'report answered p50 ms',
    'first shard applied p50 ms',
    'references, after the same pause: JetStream append p50 ms',
    'bare round trip to s0 p50 ms',
  ],
  rows.map((row) => [
    String(row.shards),
    fixed(row.fanOut.p50Ms),
    fixed(row.fanOut.p99Ms),
    fixed(row.fanOut.reportP50Ms),
    fixed(row.fanOut.firstAppliedP50Ms),
    fixed(row.fanOut.appendP50Ms),
    fixed(row.fanOut.idleBareP50Ms),
  ]),
);
const detectTable = markdownTable(
  [
    'shard processes',
    'tries (killed shard: ms until all others saw it gone)',
    'median ms',
    'worst ms',
    'probe median ms',
  ],
  rows.map((row) => [
    String(row.shards),
    row.detect.tries.map((d) => `${d.victim}: ${fixed(d.detectMs, 0)}`).join(', '),
    fixed(row.detect.medianMs, 0),
    fixed(row.detect.worstMs, 0),
    fixed(row.detect.probeMedianMs, 0),
  ]),
);
const idleTable = markdownTable(
  [
    'shard processes',
    'all up and seen (ms)',
    'nats-server CPU %',
    'shard processes CPU % (sum)',
    'driver (probe) CPU %',
    "probe's membership errors",
  ],
  rows.map((row) => [
    String(row.shards),
    fixed(row.startMs, 0),
    row.idle.natsServerPercent === null ? '–' : fixed(row.idle.natsServerPercent, 1),
    fixed(row.idle.shardProcessesPercent, 1),
    fixed(row.idle.driverPercent, 1),
    Object.entries(row.probeErrors)
      .map(([what, times]) => `${times}× ${what}`)
      .join('; ') || 'none',
  ]),
);
const splitTable = markdownTable(
  ['shard processes', 'shard RPC − bare p50 µs', 'serving side µs', 'calling side µs'],
  rows.map((row) => [
    String(row.shards),
    fixed(row.rpcExtraMs.total * 1000, 0),
    fixed(row.rpcExtraMs.servingSide * 1000, 0),
    fixed(row.rpcExtraMs.callingSide * 1000, 0),
  ]),
);
console.log(roundTripTable);
console.log(rawTable);
console.log(fanOutTable);
console.log(detectTable);
console.log(idleTable);
console.log(splitTable);

const markdown = `# bench:cluster

\`npm run bench:cluster\` (issue 19): a cluster of 2, 4 and 8 shard processes (\`bench/cluster/shard.ts\`,
each \`Shard.join\` on its own \`NatsEngine\`) on NATS ${natsVersion} with JetStream on loopback, and a probe
shard in the driver process. Lease ${LEASE_MS} ms (the default is 3000). ${machine.cpus} shared cores
(${machine.cpuModel}); NATS, the driver and every shard process share them. Load average before
${machine.loadAverageBefore.join(' / ')}, after ${machine.loadAverageAfter.join(' / ')}. Figures are medians
over repeated rounds (below); compare the ratios, not the milliseconds.

## Round trips: shard RPC against the engine's bare request/reply

The floor is \`engine.request\` to an \`engine.serve\` echo in each shard process (subject
\`bench.<cluster>.bare.<shard>\`), ${requestBytes()} bytes each way; shard RPC is the probe's
\`shard.rpc.call(target, 'echo', { n })\`: the same ${requestBytes()}-byte request (version, caller's name,
catalog fingerprint, the PROTOCOL.md §15 call), a ${replyBytes()}-byte §15 reply, checked, rate-limited
and decoded on both sides. Both go to the shard processes in turn. ${ROUNDS} rounds of
${CALLS_PER_ROUND} calls of each kind, one at a time and interleaved call by call with two more kinds,
raw NATS (below) and a pre-encoded shard RPC request ("Where the time goes"), which kind goes first
rotating, after ${WARM_UP_CALLS} of each to warm up; p50 and p99
are the medians of the rounds' figures, the p50 ratio the median of the rounds' ratios. Calls/s:
${IN_FLIGHT} calls in flight for ${WINDOW_MS / 1000} s, kinds in turn, the median of ${THROUGHPUT_ROUNDS} windows each. \`echo\`
declares its own rate (10,000,000/s): the default, 1,000 calls/s per calling shard, would refuse most
of a window.

${roundTripTable}

- **rpcP50VsBare: ${fixed(worstRatio)}×** (the worst of the sizes; at 2 shards ${fixed(keys.rpcP50VsBareN2 ?? Number.NaN)}×); target ≤ ${RPC_TARGET}×: ${met(worstRatio <= RPC_TARGET)}.

For reference, below the floor: **raw NATS**, the probe's NATS connection requesting a subject the
shard process's connection answers inline in its subscription callback (\`message.respond\`), without
the engine's checks, payload copies and its turn of the event loop (\`engine.serve\` answers on
\`setImmediate\`: handlers never run inside the delivery, as the ClusterEngine contract says).

${rawTable}

## Global-event fan-out

The probe reports \`tick\` (\`shard.report\`): a request to the master's report subject (shard s0, a
process of its own), which checks it and appends it to the cluster's JetStream log; every shard
process follows the log (an ordered consumer) and, on applying it, says so on the engine's bus.
Fan-out is the time from the report until the driver heard the last shard process; it includes that
bus message (one core NATS hop). ${EVENT_ROUNDS} rounds of ${EVENTS_PER_ROUND} events, one at a time;
p50/p99 over all ${EVENT_ROUNDS * EVENTS_PER_ROUND} (of so few, the p99 is the slowest). "Report answered" is when \`report\` resolved (the master
logged it); "first shard applied" when the first shard process's notice arrived. Each event is
followed by a ${EVENT_GAP_MS} ms pause, then two references, each also followed by one: the driver's own append to a
JetStream log made like the cluster's (the master's part of a report, alone), and a bare round trip to
the master's process. Global events are rare, so the processes are idle when one comes: a round trip
after a pause costs more than the back-to-back ones above (processes and cores wake up), and these
references show by how much.

${fanOutTable}

## Detection of a killed shard

A secondary shard process (never the master) is killed with SIGKILL at a random moment between its
renewals; detection is the time until every other shard process said (on the bus) that its
membership saw the shard go down. ${DETECT_TRIES} tries per size; the killed process is restarted,
and every shard sees it again, between tries. Shards renew their lease every third of it (${fixed(LEASE_MS / 3, 0)} ms)
and hear the others' renewals through a watch, judging every sixth of it (${fixed(LEASE_MS / 6, 0)} ms) that a
shard not heard renewing for a lease is gone (decision 0030), so a killed shard is seen gone between
lease − renew interval and lease + a judgement interval after its kill. "Probe" is the driver's probe shard.

${detectTable}

- **detectMs: ${fixed(detectMs, 0)} ms** (the worst of all tries); target ≤ lease + 1 s = ${detectTarget} ms: ${met(detectMs <= detectTarget)}.

## The cluster at rest

Each size's start (the shard processes forked together, through tsx, until every shard and the probe
sees all the others), then ${IDLE_MS / 1000} s of nothing but leases renewed (every ${fixed(LEASE_MS / 3, 0)} ms), each
renewal heard by every member through its watch of the shards bucket, and membership judged (every
${fixed(LEASE_MS / 6, 0)} ms, locally): the CPU each side used, in percent of one core. The last column counts the
probe's membership errors (failed renewals or role changes) over the whole size's run.

${idleTable}

## Where the time goes

**Shard RPC over the floor.** Interleaved with the others, a fourth kind of call isolates the serving
side: the probe's shard RPC request encoded once and sent with \`engine.request\` to the shard's RPC
subject, its reply not decoded. Its p50 less the bare p50 is what serving shard RPC costs (decoding
and checking the request, the rate bucket, the handler, encoding the reply); shard RPC's p50 less its
p50 is the calling side's (encoding, the catalog lookups, decoding the reply). Medians over the rounds
of each round's difference, µs:

${splitTable}

The same layer in a hot loop (two shards in one process on the in-process engine, no network,
${ROUNDS} rounds of ${IN_PROCESS_CALLS} calls of each kind): bare \`engine.request\` ${fixed(inProcess.bareMedianUs, 1)} µs,
shard RPC ${fixed(inProcess.rpcMedianUs, 1)} µs, so about ${fixed(inProcess.addedUs, 1)} µs of its code a call when hot.
Between network waits, with the shard processes, NATS and the driver sharing 2 cores, the same work
takes the ${fixed(Math.min(...rows.map((row) => row.rpcExtraMs.total * 1000)), 0)}–${fixed(Math.max(...rows.map((row) => row.rpcExtraMs.total * 1000)), 0)} µs above: caches and JIT state are cold on every call, and any CPU a
process spends waits its turn for a core (the more processes, the longer). The two sides are medians
of their own, so they need not add up to the total exactly.

**The floor against raw NATS.** One call at a time, \`engine.serve\` answers about as fast as the
NATS client answering inline (the bare/raw p50 ratio above). With ${IN_FLIGHT} calls in flight it answers
the requests of one delivery together, on the next \`setImmediate\` turn (the contract: handlers never
run inside the delivery), so their replies leave in one socket write, as the inline echo's do. (The
first version answered each on a turn of its own, one write per reply: about half the raw rate.)
Shard RPC's calls/s sit on that floor.

**Fan-out** is the report's own round trip, plus one bus hop: the probe's request to the master
(shard s0), the master's checks and its append to the JetStream log, the reply. The log delivers the
event to the followers while the master's reply travels, so the last shard applies it about when the
report is answered. At ${rows[0]?.shards} shard processes, after a ${EVENT_GAP_MS} ms pause a bare round trip to s0 costs
${fixed(rows[0]?.fanOut.idleBareP50Ms ?? Number.NaN)} ms (${fixed(rows[0]?.bare.p50Ms ?? Number.NaN, 3)} ms back to back) and an append ${fixed(rows[0]?.fanOut.appendP50Ms ?? Number.NaN)} ms; the report takes
${fixed((rows[0]?.fanOut.reportP50Ms ?? Number.NaN) - (rows[0]?.fanOut.idleBareP50Ms ?? Number.NaN) - (rows[0]?.fanOut.appendP50Ms ?? Number.NaN))} ms more than both together: the master's side (its turn to take the request, the checks, the
record encoded again, the append's acknowledgement) competing for 2 cores with the followers, which
wake for the same event at the same moment, so it grows with the shard count.

**Detection** is the lease's: each shard judges a shard gone when it has not heard it renew for a
lease (its last renewal up to a renewal interval, ${fixed(LEASE_MS / 3, 0)} ms, before the kill, which is why a try can
take less than the lease), at its next judgement (every ${fixed(LEASE_MS / 6, 0)} ms). A shard that hears none of its
own renewals (a stalled watch or event loop) judges nothing: a stall can delay detection, never
invent it.

**At rest** every member hears every renewal: at ${SIZES.at(-1)} shard processes and the probe, ${fixed(((SIZES.at(-1)! + 1) * 3) / (LEASE_MS / 1000), 0)} renewals a
second, each pushed to ${SIZES.at(-1)! + 1} watchers (messages, no requests), which grows with the square of the
members but costs little each. The first version read every lease instead (every member listing the
bucket and reading each lease every sixth of the lease: JetStream requests, each listing a consumer
made and removed on the server), and kept NATS at about 36% of a core for an idle 8-shard cluster.

## Figures

- rpcP50VsBare: ${fixed(worstRatio, 3)} (worst over ${SIZES.join(', ')} shard processes)
- detectMs: ${fixed(detectMs, 0)} (worst try over all sizes)
- leaseMs: ${LEASE_MS}
- node: ${process.version}; date: ${new Date().toISOString()}
`;

writeResults(
  'cluster',
  {
    environment: environment(),
    machine,
    ...keys,
    rpcP50VsBareIs: 'the worst (largest) over the sizes; rpcP50VsBareN2 is the 2-shard figure',
    detectMsIs: 'the worst try over all sizes: kill -9 to the last other shard process seeing it gone',
    target: { rpcP50VsBare: RPC_TARGET, detectMs: detectTarget },
    met: { rpcP50VsBare: worstRatio <= RPC_TARGET, detectMs: detectMs <= detectTarget },
    method: {
      rounds: ROUNDS,
      callsPerRound: CALLS_PER_ROUND,
      warmUpCalls: WARM_UP_CALLS,
      inFlight: IN_FLIGHT,
      windowMs: WINDOW_MS,
      throughputRounds: THROUGHPUT_ROUNDS,
      eventRounds: EVENT_ROUNDS,
      eventsPerRound: EVENTS_PER_ROUND,
      detectTries: DETECT_TRIES,
      requestBytes: requestBytes(),
      replyBytes: replyBytes(),
    },
    inProcess,
    rows,
  },
  markdown,
);
console.log(markdown);
process.exit(0);
