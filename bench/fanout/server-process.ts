/**
 * A server child process: `server-process.ts <shardline|colyseus> <variant> <bots>`. Tells the runner
 * its address (and bot tokens), then measures itself between the runner's `start` and `stop`. With
 * SL_CPU_PROFILE=dir it also writes a V8 CPU profile of that window there
 * (`server-<stack>-<variant>.cpuprofile`).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { startColyseus } from './colyseus-server.js';
import { type RunnerMessage, tellParent } from './ipc.js';
import { ServerProbe } from './probe.js';
import { variantNamed } from './scenario.js';
import { startShardline, type WorldCounters } from './shardline-server.js';

const [stack, variantName, botsArgument] = process.argv.slice(2);
const variant = variantNamed(variantName!);
const probe = new ServerProbe();
const bots = Number(botsArgument);
const started =
  stack === 'colyseus'
    ? await startColyseus(variant, bots, probe)
    : await startShardline(variant, bots, probe);
const profileDir = process.env.SL_CPU_PROFILE;
const profiler = profileDir ? new Session() : undefined;
profiler?.connect();
let atStart: WorldCounters | null = null;
process.on('message', async (message: RunnerMessage) => {
  if (message.type === 'start') {
    if (profiler) {
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    }
    atStart = started.worldCounters();
    probe.start();
  }
  if (message.type === 'stop') {
    const measurement = probe.stop();
    if (profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(join(profileDir!, `server-${stack}-${variantName}.cpuprofile`), JSON.stringify(profile));
    }
    tellParent({
      type: 'server-measured',
      measurement,
      world: atStart && difference(started.worldCounters()!, atStart),
    });
  }
});
process.on('SIGTERM', () => process.exit(0)); // exit normally, so a --cpu-prof profile is written
tellParent({ type: 'ready', address: started.address, tokens: started.tokens });

function difference(end: WorldCounters, start: WorldCounters): WorldCounters {
  return {
    snapshotBytes: end.snapshotBytes - start.snapshotBytes,
    fullStates: end.fullStates - start.fullStates,
  };
}
