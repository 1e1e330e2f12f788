/**
 * Feel benchmark (npm run bench:feel): the arena of arena.ts (BOTS bots, each a client that predicts
 * itself, interpolates the others and shoots) at three link profiles, in one process on a simulated
 * clock. Per profile: input-to-visible delay in frames (p99), reconciliation correction p50/p99
 * (world units), the fraction of remote-entity frames that extrapolated or held, and of shots: hits
 * on the shooter's screen the server confirmed, and clear misses it confirmed (should be none).
 * Writes bench/results/feel.json and feel.md. SL_SECONDS sets the simulated time (default 60).
 */
import { LINK_PROFILES } from '@shardline/core';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { type FeelResult, FRAME_HZ, MAX_REWIND_MS, runArena, SEND_HZ, TICK_HZ } from './arena.js';

const SECONDS = Number(process.env.SL_SECONDS ?? 60);
const BOTS = 6;
const SEED = 6;

/** Round trips as the issue states them: each leg is half, jitter and loss on each leg. */
const PROFILES = (['lan', 'broadband', 'mobile'] as const).map((name) => ({
  name,
  label: LINK_PROFILES[name].label,
  link: LINK_PROFILES[name].settings,
}));
const TARGETS = {
  inputDelayFrames: 0,
  p99Correction: 0.1,
  stallFraction: 0.01,
  hitConfirmed: 0.99,
  missConfirmed: 0,
};

const results: Record<string, FeelResult> = {};
for (const profile of PROFILES) {
  console.log(`${profile.name}…`);
  results[profile.name] = runArena(profile.link, BOTS, SECONDS, SEED);
}
console.log(results);
const broadband = results.broadband!;
const met = {
  inputDelayFrames: PROFILES.every((p) => results[p.name]!.inputDelayFrames <= TARGETS.inputDelayFrames),
  p99Correction: broadband.p99Correction < TARGETS.p99Correction,
  stallFraction: broadband.stallFraction < TARGETS.stallFraction,
  hitConfirmed: PROFILES.every((p) => results[p.name]!.hitConfirmed >= TARGETS.hitConfirmed),
  missConfirmed: PROFILES.every((p) => results[p.name]!.missConfirmed <= TARGETS.missConfirmed),
};
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const markdown = `# bench:feel

${BOTS} bots in a 80 × 80 arena, each a client: it steers toward random waypoints at 10 units/s,
predicts its own player, draws the others by snapshot interpolation, and every ~${(1000 / FRAME_HZ) * 20} ms fires at the
nearest player it sees, alternately dead centre and ${4 * 0.5} units beside it (hit radius 0.5). Server ticks at
${TICK_HZ} Hz, snapshots at ${SEND_HZ} Hz, client frames at ${FRAME_HZ} Hz; inputs repeated 4 times, a jitter buffer
of 2; interpolation delay one send interval plus twice the measured jitter; lag compensation up to
${MAX_REWIND_MS} ms back. One process on a simulated clock, ${SECONDS} s per profile, seed ${SEED}; client clocks
offset from the server's (rendering follows the snapshots' arrival, so no clock sync is needed).

${markdownTable(
  [
    'profile',
    'input delay (frames, p99)',
    'correction p50',
    'correction p99',
    'frames extrapolated or held',
    'hits confirmed',
    'clear misses confirmed',
    'shots',
  ],
  PROFILES.map((p) => {
    const r = results[p.name]!;
    return [
      p.label,
      String(r.inputDelayFrames),
      r.p50Correction.toFixed(4),
      r.p99Correction.toFixed(4),
      pct(r.stallFraction),
      pct(r.hitConfirmed),
      pct(r.missConfirmed),
      String(r.shots),
    ];
  }),
)}

Targets: input delay 0 frames (${met.inputDelayFrames ? 'met' : 'MISSED'}); correction p99 < ${TARGETS.p99Correction} units at broadband
(${met.p99Correction ? 'met' : 'MISSED'}); extrapolated or held < 1% at broadband (${met.stallFraction ? 'met' : 'MISSED'}); hits confirmed
≥ 99% (${met.hitConfirmed ? 'met' : 'MISSED'}); clear misses confirmed 0 (${met.missConfirmed ? 'met' : 'MISSED'}).
`;
const json = Object.fromEntries(
  PROFILES.map((p) => {
    const r = results[p.name]!;
    return [
      p.name,
      {
        inputDelayFrames: r.inputDelayFrames,
        p99Correction: r.p99Correction,
        stallFraction: r.stallFraction,
        hitConfirmed: r.hitConfirmed,
        missConfirmed: r.missConfirmed,
        p50Correction: r.p50Correction,
        shots: r.shots,
        frames: r.frames,
      },
    ];
  }),
);
writeResults(
  'feel',
  { environment: environment(), seconds: SECONDS, bots: BOTS, seed: SEED, ...json, targets: TARGETS, met },
  markdown,
);
console.log(markdown);
