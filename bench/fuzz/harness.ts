import { isShardlineError } from '@shardline/core';
import { SeededRandom } from '../lib/random.js';
import { mutateInput } from './mutate.js';
import { ContractViolation, type FuzzTarget } from './target.js';
import type { Watchdog } from './watchdog.js';

/** An input slower than this counts as a hang, unless its target says otherwise. */
export const DEFAULT_INPUT_MS = 250;
/** Failures kept (with their input) per target; all are counted. */
const KEPT_FAILURES = 5;

export interface FuzzFailure {
  decoder: string;
  seed: number;
  index: number;
  /**
   * `exception`: threw something other than a ShardlineError; `contract`: accepted, but broke a
   * contract (a round trip, an HTTP 5xx); `slow`: over the target's time bound.
   */
  kind: 'exception' | 'contract' | 'slow';
  message: string;
  hex: string;
}

export interface TargetReport {
  decoder: string;
  inputs: number;
  /** Inputs the decoder refused with a ShardlineError. */
  rejected: number;
  /** What the others came to, by the target's outcome names (`accepted` by default). */
  outcomes: Record<string, number>;
  failures: number;
  /** The slowest input's time, ms (an input over the bound counts with its second timing). */
  slowestMs: number;
}

export interface FuzzReport {
  seed: number;
  inputs: number;
  failures: FuzzFailure[];
  failureCount: number;
  targets: TargetReport[];
  durationMs: number;
}

/** Per target, how many of `total` inputs it gets: by weight (largest remainders round up), at least one each. */
export function shares(targets: readonly FuzzTarget[], total: number): number[] {
  const weights = targets.reduce((sum, target) => sum + target.weight, 0);
  const exact = targets.map((target) => (total * target.weight) / weights);
  const counts = exact.map(Math.floor);
  const left = total - counts.reduce((sum, count) => sum + count, 0);
  const byRemainder = exact.map((value, t) => ({ t, remainder: value - Math.floor(value) }));
  byRemainder.sort((a, b) => b.remainder - a.remainder || a.t - b.t);
  for (const { t } of byRemainder.slice(0, left)) counts[t]!++;
  return counts.map((count) => Math.max(1, count));
}

/**
 * Input `index` of `target` under `seed`: the same three always give the same bytes, so a failure
 * replays from its seed and index alone.
 */
export function inputAt(target: FuzzTarget, seed: number, index: number): Uint8Array {
  const random = new SeededRandom(inputSeed(seed, target.name, index));
  return (target.generate ?? mutateInput)(random, target.corpus);
}

/** FNV-1a over the seed, the target's name and the index, then an avalanche: one seed per input. */
function inputSeed(seed: number, name: string, index: number): number {
  let hash = 0x811c9dc5;
  const mix = (value: number) => {
    hash = Math.imul(hash ^ (value & 0xff), 0x01000193);
    hash = Math.imul(hash ^ ((value >>> 8) & 0xff), 0x01000193);
    hash = Math.imul(hash ^ ((value >>> 16) & 0xff), 0x01000193);
    hash = Math.imul(hash ^ (value >>> 24), 0x01000193);
  };
  mix(seed);
  for (let i = 0; i < name.length; i++) mix(name.charCodeAt(i));
  mix(index);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0 || 1;
}

/** Runs one input; a failure, or undefined when the decoder returned or refused it with a ShardlineError. */
export async function runInput(
  target: FuzzTarget,
  seed: number,
  index: number,
  input: Uint8Array,
): Promise<{ failure: FuzzFailure | undefined; rejected: boolean; outcome: string; ms: number }> {
  const started = performance.now();
  let thrown: unknown;
  let threw = false;
  let outcome = 'refused';
  try {
    let result = target.decode(input);
    if (result instanceof Promise) result = await result;
    outcome = target.outcome?.(result) ?? 'accepted';
  } catch (error) {
    thrown = error;
    threw = true;
  }
  const ms = performance.now() - started;
  const fail = (kind: FuzzFailure['kind'], message: string): FuzzFailure => ({
    decoder: target.name,
    seed,
    index,
    kind,
    message,
    hex: Buffer.from(input).toString('hex'),
  });
  if (thrown instanceof ContractViolation)
    return { failure: fail('contract', thrown.message), rejected: false, outcome, ms };
  if (threw && !isShardlineError(thrown)) {
    const message = thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
    return { failure: fail('exception', message), rejected: false, outcome, ms };
  }
  const limit = target.maxInputMs ?? DEFAULT_INPUT_MS;
  if (ms <= limit) return { failure: undefined, rejected: threw, outcome, ms };
  // A slow decoder is slow every time; a pause of the machine (GC, a shared core) is not.
  const again = await timed(target, input);
  if (again <= limit) return { failure: undefined, rejected: threw, outcome, ms: again };
  const message = `took ${ms.toFixed(1)} ms, then ${again.toFixed(1)} ms (bound ${limit} ms)`;
  return { failure: fail('slow', message), rejected: threw, outcome, ms: again };
}

/** How long `target` takes on `input` once more, ms, whatever it throws. */
async function timed(target: FuzzTarget, input: Uint8Array): Promise<number> {
  const started = performance.now();
  try {
    await target.decode(input);
  } catch {
    // Its outcome was taken on the first run; only the time counts here.
  }
  return performance.now() - started;
}

/**
 * Feeds every target its share of `total` generated inputs under `seed`, in index order. A watchdog,
 * if given, learns each input before it runs, so an input that never returns is still reported.
 */
export async function runFuzz(options: {
  targets: readonly FuzzTarget[];
  seed: number;
  total: number;
  watchdog?: Watchdog;
  onProgress?: (report: TargetReport) => void;
}): Promise<FuzzReport> {
  const { targets, seed, total, watchdog } = options;
  const started = performance.now();
  const counts = shares(targets, total);
  const failures: FuzzFailure[] = [];
  let failureCount = 0;
  const reports: TargetReport[] = [];
  for (const [t, target] of targets.entries()) {
    const report: TargetReport = {
      decoder: target.name,
      inputs: 0,
      rejected: 0,
      outcomes: {},
      failures: 0,
      slowestMs: 0,
    };
    let kept = 0;
    for (let index = 0; index < counts[t]!; index++) {
      const input = inputAt(target, seed, index);
      watchdog?.starting(target.name, index, input);
      const outcome = await runInput(target, seed, index, input);
      report.inputs++;
      if (outcome.rejected) report.rejected++;
      else if (!outcome.failure)
        report.outcomes[outcome.outcome] = (report.outcomes[outcome.outcome] ?? 0) + 1;
      report.slowestMs = Math.max(report.slowestMs, outcome.ms);
      if (outcome.failure) {
        report.failures++;
        failureCount++;
        if (kept++ < KEPT_FAILURES) failures.push(outcome.failure);
      }
    }
    report.slowestMs = Math.round(report.slowestMs * 100) / 100;
    reports.push(report);
    options.onProgress?.(report);
  }
  watchdog?.finished();
  const inputs = reports.reduce((sum, report) => sum + report.inputs, 0);
  return {
    seed,
    inputs,
    failures,
    failureCount,
    targets: reports,
    durationMs: Math.round(performance.now() - started),
  };
}
