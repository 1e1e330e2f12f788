/**
 * A server child process: `server-process.ts <shardline|colyseus> <variant> <bots>`. Tells the runner
 * its address (and bot tokens), then measures itself between the runner's `start` and `stop`.
 */
import { startColyseus } from './colyseus-server.js';
import { type RunnerMessage, tellParent } from './ipc.js';
import { ServerProbe } from './probe.js';
import { variantNamed } from './scenario.js';
import { startShardline, type WorldCounters } from './shardline-server.js';

const [stack, variantName, botsArgument] = process.argv.slice(2);
const variant = variantNamed(variantName!);
const probe = new ServerProbe();
const started =
  stack === 'shardline'
    ? await startShardline(variant, Number(botsArgument), probe)
    : await startColyseus(variant, probe);
let atStart: WorldCounters | null = null;
process.on('message', (message: RunnerMessage) => {
  if (message.type === 'start') {
    atStart = started.worldCounters();
    probe.start();
  }
  if (message.type === 'stop') {
    const measurement = probe.stop();
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
