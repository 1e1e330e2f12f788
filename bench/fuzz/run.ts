/**
 * Fuzzing (npm run fuzz): generated and mutated inputs for every decoder (packets, handshake,
 * snapshots, world and seat messages, RPC, the services' HTTP bodies). Any exception other than a
 * ShardlineError, broken round trip, HTTP 5xx or hang fails the run, printed with its decoder, seed,
 * input index and input hex. Writes bench/results/fuzz.json and fuzz.md.
 *
 *   --seed N          seed of the run (default: drawn, and printed)
 *   --inputs N        inputs in all (default 1,000,000), shared among decoders by weight
 *   --replay D:I      runs only input I of decoder D under --seed, and prints the outcome
 *   --replay D --hex X  runs decoder D on the bytes X
 *   --no-results      leaves bench/results alone
 */
import { parseArgs } from 'node:util';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { type FuzzReport, inputAt, runFuzz, runInput } from './harness.js';
import { fuzzTargets } from './targets/index.js';
import { Watchdog } from './watchdog.js';

/** No new input for this long is a hang: far above any decoder's time, below a CI's patience. */
const STALL_MS = 30_000;

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    inputs: { type: 'string', default: '1000000' },
    replay: { type: 'string' },
    hex: { type: 'string' },
    'no-results': { type: 'boolean', default: false },
  },
});
const seed = values.seed === undefined ? (Math.random() * 0x1_0000_0000) >>> 0 : Number(values.seed);
const { targets, close } = await fuzzTargets();

try {
  process.exitCode = values.replay ? await replay(values.replay) : await fuzz();
} finally {
  await close();
}

async function replay(spec: string): Promise<number> {
  const [name, index] = values.hex === undefined ? spec.split(':') : [spec, '-1'];
  const target = targets.find((candidate) => candidate.name === name);
  if (!target) throw new Error(`no decoder ${name}: ${targets.map((t) => t.name).join(', ')}`);
  const input =
    values.hex === undefined ? inputAt(target, seed, Number(index)) : Buffer.from(values.hex, 'hex');
  const outcome = await runInput(target, seed, Number(index), input);
  console.log(`${name} seed ${seed} input ${index}: ${Buffer.from(input).toString('hex')}`);
  console.log(
    outcome.failure
      ? `FAILS (${outcome.failure.kind}): ${outcome.failure.message}`
      : outcome.rejected
        ? 'refused with a ShardlineError'
        : 'accepted',
  );
  return outcome.failure ? 1 : 0;
}

async function fuzz(): Promise<number> {
  const total = Number(values.inputs);
  console.log(`fuzzing ${targets.length} decoders with ${total.toLocaleString('en')} inputs, seed ${seed}`);
  const watchdog = new Watchdog(seed, STALL_MS);
  const report = await runFuzz({
    targets,
    seed,
    total,
    watchdog,
    onProgress: (target) =>
      console.log(
        `  ${target.decoder}: ${target.inputs} inputs, ${target.rejected} refused, ${target.failures} failures`,
      ),
  });
  for (const failure of report.failures) {
    console.error(`\nFAIL ${failure.decoder} (${failure.kind}) seed ${failure.seed} input ${failure.index}`);
    console.error(
      `  replay: npm run fuzz -- --seed ${failure.seed} --replay ${failure.decoder}:${failure.index}`,
    );
    console.error(`  input: ${failure.hex.slice(0, 4000)}\n  ${failure.message}`);
  }
  console.log(
    `${report.inputs.toLocaleString('en')} inputs in ${(report.durationMs / 1000).toFixed(1)} s, ${report.failureCount} failures`,
  );
  if (!values['no-results'])
    writeResults('fuzz', { environment: environment(), ...report }, markdown(report));
  return report.failureCount === 0 ? 0 : 1;
}

function markdown(report: FuzzReport): string {
  const rows = report.targets.map((target) => [
    target.decoder,
    target.inputs.toLocaleString('en'),
    target.rejected.toLocaleString('en'),
    Object.entries(target.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([outcome, count]) => `${outcome} ${count.toLocaleString('en')}`)
      .join(', '),
    String(target.failures),
    target.slowestMs.toFixed(2),
  ]);
  return [
    '# Fuzzing',
    '',
    `\`npm run fuzz -- --seed ${report.seed}\`: ${report.inputs.toLocaleString('en')} inputs in ${(report.durationMs / 1000).toFixed(1)} s, **${report.failureCount} failures**.`,
    'Refused: the decoder threw a ShardlineError. The others: what the rest came to (decoders that answer',
    'hostile bytes with a verdict instead of throwing say which; `accepted` decoded, and round-tripped where that is a contract).',
    '',
    markdownTable(['decoder', 'inputs', 'refused', 'the others', 'failures', 'slowest input (ms)'], rows),
    '',
  ].join('\n');
}
