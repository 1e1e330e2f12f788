/**
 * The soak's server child (run with --expose-gc): the arena game on free ports, measuring itself.
 * Every SAMPLE_SECONDS it collects all garbage and samples RSS and the live heap; from the runner's
 * `start` (after its warm-up) it also sums GC pauses, allocation and CPU; `stop` sends the report
 * (the bots are still connected), `exit` shuts it down. With SL_HEAP_PROFILE=file it also writes a
 * sampling profile of every allocation in the window, collected ones included (where the churn is;
 * open it in Chrome DevTools' Memory tab). SL_HEAP_PROFILE_SURVIVORS=1 leaves out what the young
 * generation collected: what is left is what survived a scavenge (copied, promoted — a scavenge
 * costs what survives it), whether a full collection took it later or it is still live.
 * SL_HEAP_SNAPSHOT=file writes a heap snapshot at the end, the bots still connected.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, type PerformanceEntry, PerformanceObserver, performance } from 'node:perf_hooks';
import { GCProfiler, writeHeapSnapshot } from 'node:v8';
import { DEFAULT_CONFIG, startShardline } from '@shardline/server';
import { pino } from 'pino';
import { game } from '../../examples/arena/server.js';
import { type MemorySample, type ServerReport, type ToChild, tellParent } from './messages.js';

const SAMPLE_SECONDS = 15;
const MIB = 1024 * 1024;
/** Error lines kept verbatim for the report. */
const ERROR_SAMPLES = 5;

const collectGarbage = (globalThis as { gc?: () => void }).gc;
if (!collectGarbage) throw new Error('bench/soak/server.ts needs node --expose-gc');

let errorsLogged = 0;
const errorSamples: string[] = [];
const logger = pino(
  {
    level: 'warn',
    hooks: {
      logMethod(args, method, level) {
        if (level >= 50) {
          errorsLogged++;
          if (errorSamples.length < ERROR_SAMPLES) errorSamples.push(JSON.stringify(args).slice(0, 300));
        }
        method.apply(this, args);
      },
    },
  },
  { write: () => {} }, // counted above, printed nowhere: the report carries them
);

const running = await startShardline(
  {
    ...DEFAULT_CONFIG,
    httpPort: 0,
    udpPort: 0,
    wsPort: 0,
    maxClients: 1024,
    dataDir: mkdtempSync(join(tmpdir(), 'shardline-soak-')),
    rateLimits: { perIpPerMinute: 1_000_000, perUserPerMinute: 1_000_000 },
  },
  logger,
  game,
);

const startedMs = Date.now();
const samples: MemorySample[] = [];
const sample = () => {
  collectGarbage();
  const memory = process.memoryUsage();
  samples.push({
    atSeconds: (Date.now() - startedMs) / 1000,
    rssMiB: memory.rss / MIB,
    heapUsedMiB: memory.heapUsed / MIB,
    externalMiB: memory.external / MIB,
    arrayBuffersMiB: memory.arrayBuffers / MIB,
  });
};
const sampling = setInterval(sample, SAMPLE_SECONDS * 1000);

/** The measured window: GC pauses (not the forced ones of sampling), allocation, CPU. */
let gcMs = 0;
/** The same pauses by kind (scavenges, full mark-compacts, incremental marking, weak callbacks): count and ms. */
const gcByKind: Record<string, { count: number; ms: number }> = {};
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as (PerformanceEntry & {
    detail?: { flags: number; kind: number };
  })[]) {
    if ((entry.detail?.flags ?? 0) & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) continue;
    gcMs += entry.duration;
    const kind = GC_KINDS[entry.detail?.kind ?? -1] ?? 'other';
    gcByKind[kind] ??= { count: 0, ms: 0 };
    const tally = gcByKind[kind];
    tally.count++;
    tally.ms += entry.duration;
  }
});
const profiler = new GCProfiler();
let windowStart: { atMs: number; cpu: NodeJS.CpuUsage } | undefined;

const heapProfileFile = process.env.SL_HEAP_PROFILE;
const inspector = heapProfileFile ? new Session() : undefined;

async function startWindow(): Promise<void> {
  if (inspector) {
    inspector.connect();
    await inspector.post('HeapProfiler.startSampling', {
      samplingInterval: 32 * 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: !process.env.SL_HEAP_PROFILE_SURVIVORS,
    });
  }
  gcObserver.observe({ entryTypes: ['gc'] });
  profiler.start();
  windowStart = { atMs: performance.now(), cpu: process.cpuUsage() };
}

function report(): ServerReport {
  sample();
  const cpu = process.cpuUsage(windowStart!.cpu);
  const { statistics } = profiler.stop();
  gcObserver.disconnect();
  let allocatedBytes = 0;
  for (let i = 1; i < statistics.length; i++) {
    const grown =
      statistics[i]!.beforeGC.heapStatistics.usedHeapSize -
      statistics[i - 1]!.afterGC.heapStatistics.usedHeapSize;
    if (grown > 0) allocatedBytes += grown;
  }
  // What scavenges kept (a scavenge's work is copying it): left in the young generation, or
  // promoted to the old one. Unlike pause times, it does not depend on how loaded the host is.
  const used = (spaces: { spaceName: string; spaceUsedSize: number }[], name: string) =>
    spaces.find((space) => space.spaceName === name)?.spaceUsedSize ?? 0;
  let scavengeSurvivedBytes = 0;
  let scavengePromotedBytes = 0;
  for (const { gcType, beforeGC, afterGC } of statistics) {
    if (gcType !== 'Scavenge') continue;
    scavengeSurvivedBytes += used(afterGC.heapSpaceStatistics, 'new_space');
    for (const old of ['old_space', 'large_object_space']) {
      scavengePromotedBytes += Math.max(
        0,
        used(afterGC.heapSpaceStatistics, old) - used(beforeGC.heapSpaceStatistics, old),
      );
    }
  }
  return {
    samples,
    cpuMs: (cpu.user + cpu.system) / 1000,
    gcMs,
    gcByKind,
    allocatedBytes,
    scavengeSurvivedBytes,
    scavengePromotedBytes,
    windowSeconds: (performance.now() - windowStart!.atMs) / 1000,
    errorsLogged,
    errorSamples,
  };
}

process.on('message', async (message: ToChild) => {
  if (message.type === 'start') setTimeout(() => void startWindow(), message.measureFromSeconds * 1000);
  if (message.type === 'stop') {
    clearInterval(sampling);
    // SL_HEAP_SNAPSHOT=file: what the live heap holds, with every bot still connected.
    if (process.env.SL_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.SL_HEAP_SNAPSHOT);
    tellParent({ type: 'server-report', report: report() });
    if (inspector) {
      const { profile } = await inspector.post('HeapProfiler.stopSampling');
      writeFileSync(heapProfileFile!, JSON.stringify(profile));
    }
  }
  if (message.type === 'exit') {
    await running.stop();
    process.exit(0);
  }
});
tellParent({ type: 'ready', http: running.addresses.http });
