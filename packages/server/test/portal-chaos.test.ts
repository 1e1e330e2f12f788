import { describe, expect, it } from 'vitest';
import { runChaos } from '../../../bench/migrate/chaos.js';

/**
 * The portal chaos run, short (issue 20; `npm run test:chaos` is the long one): three real shard
 * processes on NATS, 30 bots walking through portals for ~12–15 s while a shard is killed with
 * SIGKILL twice (restarted 1–3 s later); then graceful stops, a reconciling start and stop, and the
 * ledger: every bot in exactly one record, where the directory says, with each of its items
 * exactly once.
 */
describe('portals under kill -9 (real shard processes on NATS)', () => {
  it('keeps every player in exactly one world and every item exactly once', async () => {
    const report = await runChaos({
      bots: 30,
      seconds: 12,
      killEveryMs: [4_000, 5_000],
      minKills: 2,
      seed: Date.now() % 1_000_000,
      ...(process.env.SHARDLINE_CHAOS_VERBOSE
        ? { log: (line: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${line}`) }
        : {}),
    });
    const { playersLost, playersDuplicated, itemsLost, itemsDuplicated } = report;
    const summary = {
      playersLost,
      playersDuplicated,
      itemsLost,
      itemsDuplicated,
      kills: report.kills,
      moves: report.moves,
      rolledBack: report.rolledBack,
      offenders: report.offenders.slice(0, 5),
      logsDir: report.logsDir,
    };
    expect(summary).toMatchObject({ playersLost: 0, playersDuplicated: 0, itemsLost: 0, itemsDuplicated: 0 });
    expect(report.players).toBe(30);
    expect(report.kills).toBeGreaterThanOrEqual(2);
    expect(report.moves).toBeGreaterThan(0);
    expect(report.stops.every((code) => code === 0)).toBe(true);
  }, 180_000);
});
