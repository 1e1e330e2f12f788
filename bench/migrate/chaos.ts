/**
 * The portal chaos run (`npm run test:chaos`, issue 20): three real shard processes on NATS —
 * forest (master), caves (its standby) and ruins, each hosting the world of its name
 * (portal-world-game.ts) — and N bots (`--bots`, default 150) walking through portals continuously
 * (each calls enterPortal on a random portal of its world every 0.5–1.5 s) while a random shard is
 * killed with SIGKILL every 10–15 s (`--kill-every-ms 10000-15000`) and restarted 1–3 s later,
 * never two down at once, for `--seconds` (default 60). Then: no more kills or moves, every bot
 * seated again, a few seconds past the lease, every shard stopped with SIGTERM (it saves its seated
 * players' records), all three started again (each start reconciles its records with the player
 * directory) and stopped again; then the **ledger**, from the directory and every shard's
 * `shard_index_players` rows: every bot has exactly one record, on the shard whose world the
 * directory names, in that world, and each of its three items is in exactly one record.
 *
 * For hunting beyond kill -9: `--term-share 0.3` stops that share of the chaos events' shards with
 * SIGTERM instead (a graceful restart with moves under way), `--pause-share 0.3` freezes them with
 * SIGSTOP for 1–2.5 leases and then SIGCONT (a stall past the lease: the others resolve its moves
 * while it still runs them), `--stall-share 0.3` freezes them for 0.3–0.9 of the lease (a stall they
 * survive: everything they were doing arrives late at once); `--kill-every-ms`, `--down-ms`, `--min-kills`, `--seed`, `--keep-logs`.
 *
 * Prints the report (playersLost, playersDuplicated, itemsLost, itemsDuplicated, kills, moves,
 * rolledBack, offenders…) and writes bench/results/migrate-chaos.json (`--no-write` not to);
 * exits 1 if the ledger is not clean or nothing moved or nothing was killed. The shards' logs stay
 * in the run's directory (printed) when the ledger is not clean. `runChaos` is the same run for
 * packages/server/test/portal-chaos.test.ts (a short one inside `npm test`).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  decodePlayerRecord,
  NatsEngine,
  openPostgres,
  openShardIndexStore,
  PlayerDirectory,
} from '@shardline/server';
import { TEST_POSTGRES_URL } from '../../packages/server/test/support/postgres.js';
import type { LogEntry } from '../../packages/server/test/support/shard-processes.js';
import { SeededRandom } from '../lib/random.js';
import { summarize } from '../lib/stats.js';
import { type MoveSample, PortalBot } from './bots.js';
import { killOnExit, NATS, PortalCluster } from './cluster.js';
import { COOLDOWN_ENV, itemsOf, WORLDS } from './portal-world-game.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CHAOS_RESULTS = join(HERE, '..', 'results', 'migrate-chaos.json');

export interface ChaosOptions {
  bots: number;
  seconds: number;
  /** The pause between kills, ms: uniform in [min, max] (from the last kill, and ≥ 1 s after the last restart). */
  killEveryMs: readonly [number, number];
  /** How long a killed shard stays down, ms: uniform in [min, max]. */
  downMs: readonly [number, number];
  /** The walk goes on past `seconds` until this many kills happened (a short run's guarantee). */
  minKills: number;
  /**
   * Of the chaos events, the share that stop the shard with SIGTERM instead (a graceful restart with
   * moves under way) and the share that freeze it (SIGSTOP for 1–2.5 leases, then SIGCONT: a stall
   * past its lease, the others resolving its moves meanwhile); the rest are SIGKILL. Default 0 and 0.
   */
  termShare: number;
  pauseShare: number;
  /** The share that freeze it for less than its lease (0.3–0.9 of it): a stall it survives. Default 0. */
  stallShare: number;
  leaseMs: number;
  cooldownMs: number;
  /** How often each shard saves (its seated players' records too), ms. */
  saveIntervalMs: number;
  seed: number;
  /** Keep the run's directory (the shards' logs) even when the ledger is clean. */
  keepLogs?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export const DEFAULT_CHAOS: ChaosOptions = {
  bots: 150,
  seconds: 60,
  killEveryMs: [10_000, 15_000],
  downMs: [1_000, 3_000],
  minKills: 1,
  termShare: 0,
  pauseShare: 0,
  stallShare: 0,
  leaseMs: 1_500,
  cooldownMs: 300,
  saveIntervalMs: 2_000,
  seed: 20,
};

export interface LedgerOffender {
  user: string;
  bot: number;
  problem: string;
  directory: unknown;
  rows: {
    shard: string;
    world: string;
    state: string;
    transfer: string | undefined;
    items: unknown;
    /** When the row was written, ms since the epoch (to find the write in the shards' logs). */
    updatedAtMs: number;
  }[];
}

export interface Ledger {
  players: number;
  rows: number;
  /** Rows still `arriving` (stored by a transfer; the player never came in since). */
  arrivingRows: number;
  /**
   * Rows other than the one where the directory holds the player: \`held\` ones (a world's record of
   * a player it no longer holds) and \`arriving\` ones (a transfer stored but not committed, kept
   * until its seat reservation lapses or the shard's next start drops it).
   */
  strayRows: { held: number; arriving: number };
  playersLost: number;
  playersDuplicated: number;
  itemsLost: number;
  itemsDuplicated: number;
  /** Rows of players that are not bots of the run (none expected). */
  strangers: number;
  offenders: LedgerOffender[];
}

export interface ChaosReport extends Ledger {
  cluster: string;
  /**
   * The same ledger taken after the first graceful stop, before the shards started again: rows a
   * running shard left behind that only its next start deletes show here (informative: the test
   * asserts the final ledger).
   */
  beforeReconcile: Ledger;
  seed: number;
  bots: number;
  seconds: number;
  walkedSeconds: number;
  wallSeconds: number;
  /** Shards killed with SIGKILL during the walk. */
  kills: number;
  /** Shards stopped with SIGTERM during the walk (termShare), and frozen past their lease (pauseShare). */
  terms: number;
  pauses: number;
  stalls: number;
  killed: {
    shard: string;
    how: 'kill' | 'term' | 'pause' | 'stall';
    atSeconds: number;
    downMs: number;
    backMs: number;
  }[];
  /** Moves the bots made (each `onMigrated`). */
  moves: number;
  /** Moves out the shards logged (`portal: moved out`; a source killed right after its commit logs none). */
  movesLogged: number;
  movesInLogged: number;
  /** Moves the shards rolled back (`portal: rolled back`: MIGRATION_FAILED to the mover). */
  rolledBack: number;
  /** Transfers the master (or a restarted source) resolved after their source died. */
  orphansResolved: number;
  /** enterPortal refusals by code. */
  refused: Record<string, number>;
  /** Moves during which the bot's world ended (it seated itself again). */
  lostMoves: number;
  /** Why bots' worlds ended, by reason. */
  leaves: Record<string, number>;
  /** Why bots' joins failed while seating themselves again, by code. */
  joinErrors: Record<string, number>;
  seats: number;
  rejoined: number;
  bodyAnomalies: number;
  /** Bots not seated when the walk ended (after waiting). */
  unseatedAtEnd: number;
  move: { p50Ms: number; p99Ms: number; samples: number } | undefined;
  /** Exit codes of the SIGTERM stops (0 each: they saved). */
  stops: (number | null | 'killed')[];
  /** Warnings and errors the shards logged, by message. */
  logged: Record<string, number>;
  logsDir: string | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(test: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

export async function runChaos(overrides: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const options: ChaosOptions = { ...DEFAULT_CHAOS, ...overrides };
  const log = options.log ?? (() => {});
  const random = new SeededRandom(options.seed);
  const between = ([min, max]: readonly [number, number]) => random.range(min, max);
  const startedMs = Date.now();
  const counted = {
    movesLogged: 0,
    movesInLogged: 0,
    rolledBack: 0,
    orphansResolved: 0,
    logged: {} as Record<string, number>,
  };
  const onLog = (shard: string, entry: LogEntry) => {
    const msg = String(entry.msg ?? '');
    if (msg === 'portal: moved out') counted.movesLogged++;
    else if (msg === 'portal: moved in') counted.movesInLogged++;
    else if (msg === 'portal: rolled back') counted.rolledBack++;
    else if (msg === 'players: orphaned transfer resolved') counted.orphansResolved++;
    if (typeof entry.level === 'number' && entry.level >= 40) {
      const key = `${shard}: ${msg}`.slice(0, 120);
      counted.logged[key] = (counted.logged[key] ?? 0) + 1;
    }
  };
  const cluster = await PortalCluster.create({
    shards: WORLDS,
    prefix: 'chaos',
    leaseMs: options.leaseMs,
    saveIntervalMs: options.saveIntervalMs,
    env: { [COOLDOWN_ENV]: String(options.cooldownMs) },
    onLog,
  });
  killOnExit(() => [cluster]);
  log(`cluster ${cluster.name} in ${cluster.dir}`);
  const bots: PortalBot[] = [];
  let clean = false;
  try {
    await Promise.all(WORLDS.map((shard) => cluster.start(shard)));
    log(`3 shards up after ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
    const network = { worlds: WORLDS, httpOf: (world: string) => cluster.httpOf(world) };
    for (let i = 0; i < options.bots; i++) {
      bots.push(new PortalBot(i, network, new SeededRandom(options.seed * 7919 + i + 1), WORLDS[i % 3]!));
    }
    for (let first = 0; first < bots.length; first += 25) {
      await Promise.all(bots.slice(first, first + 25).map((bot) => bot.start()));
    }
    log(`${bots.length} bots seated after ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);

    // The walk: every bot through a random portal every 0.5–1.5 s.
    const samples: MoveSample[] = [];
    let walking = true;
    const walk = async (bot: PortalBot) => {
      const own = new SeededRandom(options.seed * 104_729 + bot.index + 1);
      while (walking) {
        await sleep(own.range(500, 1_500));
        if (!walking) break;
        if (!bot.ready) continue;
        const outcome = await bot.move();
        if (outcome.kind === 'moved') samples.push(outcome.sample);
      }
    };
    const walkedFromMs = Date.now();
    const walkers = bots.map(walk);

    // The chaos: a random shard killed every so often, restarted 1–3 s later; never two down.
    const killed: ChaosReport['killed'] = [];
    const walkUntilMs = walkedFromMs + options.seconds * 1_000;
    let lastKillMs = walkedFromMs;
    let lastBackMs = walkedFromMs;
    for (;;) {
      const nextMs = Math.max(lastKillMs + between(options.killEveryMs), lastBackMs + 1_000);
      const kills = killed.filter((event) => event.how === 'kill').length;
      if (nextMs >= walkUntilMs && kills >= options.minKills) break;
      await sleep(Math.max(0, nextMs - Date.now()));
      const victim = WORLDS[random.index(WORLDS.length)]!;
      const roll = random.next();
      const how =
        roll < options.termShare
          ? 'term'
          : roll < options.termShare + options.pauseShare
            ? 'pause'
            : roll < options.termShare + options.pauseShare + options.stallShare
              ? 'stall'
              : 'kill';
      let downMs = between(options.downMs);
      lastKillMs = Date.now();
      const at = `${((lastKillMs - walkedFromMs) / 1000).toFixed(1)} s`;
      if (how === 'pause' || how === 'stall') {
        downMs =
          how === 'pause'
            ? random.range(options.leaseMs, 2.5 * options.leaseMs)
            : random.range(0.3 * options.leaseMs, 0.9 * options.leaseMs);
        log(`SIGSTOP ${victim} at ${at} for ${downMs.toFixed(0)} ms`);
        await cluster.pause(victim, downMs);
      } else {
        log(`${how === 'kill' ? 'kill -9' : 'SIGTERM'} ${victim} at ${at} (down ${downMs.toFixed(0)} ms)`);
        if (how === 'kill') {
          cluster.kill(victim);
          await cluster.processes.get(victim)!.exited;
        } else {
          await cluster.stop(victim);
        }
        await sleep(downMs);
        await cluster.start(victim);
      }
      lastBackMs = Date.now();
      killed.push({
        shard: victim,
        how,
        atSeconds: (lastKillMs - walkedFromMs) / 1000,
        downMs: Math.round(downMs),
        backMs: lastBackMs - lastKillMs,
      });
      log(`${victim} back after ${lastBackMs - lastKillMs} ms`);
    }
    await sleep(Math.max(0, walkUntilMs - Date.now()));
    walking = false;
    // Moves under way end on their own (a bot whose link is down waits for its rejoin): the settling
    // below waits for every bot to be seated and still, so a walker is not waited for here past 2 s.
    await Promise.race([Promise.all(walkers), sleep(2_000)]);
    const walkedSeconds = (Date.now() - walkedFromMs) / 1000;
    log(`walk over after ${walkedSeconds.toFixed(1)} s: ${samples.length} moves timed`);

    // Settle: anything down back up, every bot seated, a few seconds past the lease.
    for (const shard of WORLDS) if (!cluster.isUp(shard)) await cluster.start(shard);
    await until(() => bots.every((bot) => bot.world?.state === 'connected' && !bot.moving), 30_000);
    const unseatedAtEnd = bots.filter((bot) => bot.world?.state !== 'connected').length;
    await sleep(options.leaseMs + 1_000);
    for (const bot of bots) bot.stop();

    // Stop gracefully (they save seated players), start once more (reconciling), stop again.
    log('stopping every shard (SIGTERM)…');
    const stops = await Promise.all(WORLDS.map((shard) => cluster.stop(shard)));
    await Promise.all(bots.map((bot) => bot.leave()));
    // What the shard indexes hold as the graceful stops left them, before any start reconciles them.
    const beforeReconcile = await buildLedger(cluster, bots);
    log(
      `before the reconciling start: ${beforeReconcile.rows} rows; lost ${beforeReconcile.playersLost}, ` +
        `duplicated ${beforeReconcile.playersDuplicated}, items lost ${beforeReconcile.itemsLost}, ` +
        `items duplicated ${beforeReconcile.itemsDuplicated} (stray rows: ${beforeReconcile.strayRows.held} held, ` +
        `${beforeReconcile.strayRows.arriving} arriving)`,
    );
    log('starting every shard once more…');
    await Promise.all(WORLDS.map((shard) => cluster.start(shard)));
    // A sweep or two: arrivals the directory names are kept, others dropped (their rows deleted).
    // Under load the first sweep may come late: wait (up to 20 s) until no stray row is left.
    await sleep(2_500);
    for (let waited = 0; waited < 20_000; waited += 1_000) {
      const { strayRows } = await buildLedger(cluster, bots);
      if (strayRows.held + strayRows.arriving === 0) break;
      await sleep(1_000);
    }
    stops.push(...(await Promise.all(WORLDS.map((shard) => cluster.stop(shard)))));

    const ledger = await buildLedger(cluster, bots);
    clean = ledger.playersLost + ledger.playersDuplicated + ledger.itemsLost + ledger.itemsDuplicated === 0;
    const moveMs = samples.map((sample) => sample.snapshotMs - sample.startedMs);
    const sum = (pick: (bot: PortalBot) => number) => bots.reduce((total, bot) => total + pick(bot), 0);
    const merge = (pick: (bot: PortalBot) => Record<string, number>) => {
      const merged: Record<string, number> = {};
      for (const bot of bots) {
        for (const [key, count] of Object.entries(pick(bot))) merged[key] = (merged[key] ?? 0) + count;
      }
      return merged;
    };
    return {
      cluster: cluster.name,
      seed: options.seed,
      bots: options.bots,
      seconds: options.seconds,
      walkedSeconds,
      wallSeconds: (Date.now() - startedMs) / 1000,
      ...ledger,
      beforeReconcile: { ...beforeReconcile, offenders: beforeReconcile.offenders.slice(0, 20) },
      kills: killed.filter((event) => event.how === 'kill').length,
      terms: killed.filter((event) => event.how === 'term').length,
      pauses: killed.filter((event) => event.how === 'pause').length,
      stalls: killed.filter((event) => event.how === 'stall').length,
      killed,
      moves: sum((bot) => bot.counts.moves),
      movesLogged: counted.movesLogged,
      movesInLogged: counted.movesInLogged,
      rolledBack: counted.rolledBack,
      orphansResolved: counted.orphansResolved,
      refused: merge((bot) => bot.counts.refused),
      lostMoves: sum((bot) => bot.counts.lost),
      leaves: merge((bot) => bot.counts.leaves),
      joinErrors: merge((bot) => bot.counts.joinErrors),
      seats: sum((bot) => bot.counts.seats),
      rejoined: sum((bot) => bot.counts.rejoined),
      bodyAnomalies: sum((bot) => bot.counts.bodyAnomalies),
      unseatedAtEnd,
      move:
        moveMs.length > 0
          ? { p50Ms: summarize(moveMs).median, p99Ms: summarize(moveMs).p99, samples: moveMs.length }
          : undefined,
      stops,
      logged: counted.logged,
      logsDir: clean && !options.keepLogs ? undefined : join(cluster.dir, 'logs'),
    };
  } finally {
    for (const bot of bots) bot.stop();
    await Promise.all(bots.map((bot) => bot.leave()));
    await cluster.dispose();
    if (clean && !options.keepLogs) rmSync(cluster.dir, { recursive: true, force: true });
  }
}

/** The ledger: the directory against every shard's player records, bot by bot and item by item. */
export async function buildLedger(cluster: PortalCluster, bots: readonly PortalBot[]): Promise<Ledger> {
  const engine = await NatsEngine.connect({ url: NATS, name: `${cluster.name}-ledger` });
  const pool = await openPostgres({ url: TEST_POSTGRES_URL, schema: cluster.schema, max: 2 });
  try {
    const directory = await PlayerDirectory.open(engine, cluster.name);
    const store = await openShardIndexStore({ kind: 'postgres', pool });
    const rows = [];
    for (const shard of cluster.options.shards) {
      for (const row of await store.players(cluster.name, shard)) {
        let items: unknown;
        try {
          items = decodePlayerRecord(row.data).data.items;
        } catch (error) {
          items = `undecodable: ${(error as Error).message}`;
        }
        rows.push({
          shard,
          world: row.world,
          state: row.state,
          transfer: row.transfer,
          user: row.userId,
          items,
          updatedAtMs: row.updatedAtMs,
        });
      }
    }
    const byUser = new Map<string, typeof rows>();
    for (const row of rows) {
      const list = byUser.get(row.user) ?? [];
      list.push(row);
      byUser.set(row.user, list);
    }
    const itemCounts = new Map<string, number>();
    for (const row of rows) {
      if (!Array.isArray(row.items)) continue;
      for (const item of row.items) itemCounts.set(String(item), (itemCounts.get(String(item)) ?? 0) + 1);
    }
    const ledger: Ledger = {
      players: 0,
      rows: rows.length,
      arrivingRows: rows.filter((row) => row.state === 'arriving').length,
      strayRows: { held: 0, arriving: 0 },
      playersLost: 0,
      playersDuplicated: 0,
      itemsLost: 0,
      itemsDuplicated: 0,
      strangers: 0,
      offenders: [],
    };
    const known = new Set<string>();
    for (const bot of bots) {
      if (!bot.userId) continue; // never signed in: the cluster never held it
      known.add(bot.userId);
      ledger.players++;
      const at = await directory.read(bot.userId).catch((error: unknown) => ({ error: String(error) }));
      const location = at && 'location' in at ? at.location : undefined;
      const own = byUser.get(bot.userId) ?? [];
      const problems: string[] = [];
      const home =
        location?.state === 'in'
          ? own.filter((row) => row.shard === location.shard && row.world === location.world)
          : [];
      if (location?.state !== 'in' || home.length !== 1) {
        ledger.playersLost++;
        problems.push(
          location?.state !== 'in'
            ? `directory says ${location ? location.state : 'nothing'}`
            : `no record where the directory says (${location.world} on ${location.shard})`,
        );
      }
      for (const row of own) {
        if (home.length === 1 && row === home[0]) continue;
        if (row.state === 'arriving') ledger.strayRows.arriving++;
        else ledger.strayRows.held++;
      }
      if (own.length > 1) {
        ledger.playersDuplicated++;
        problems.push(`${own.length} records`);
      }
      for (const item of itemsOf(bot.userId)) {
        const count = itemCounts.get(item) ?? 0;
        if (count === 0) {
          ledger.itemsLost++;
          problems.push(`${item} lost`);
        } else if (count > 1) {
          ledger.itemsDuplicated += count - 1;
          problems.push(`${item} ×${count}`);
        }
      }
      if (problems.length > 0) {
        ledger.offenders.push({
          user: bot.userId,
          bot: bot.index,
          problem: problems.join('; '),
          directory: at,
          rows: own.map(({ shard, world, state, transfer, items, updatedAtMs }) => ({
            shard,
            world,
            state,
            transfer,
            items,
            updatedAtMs,
          })),
        });
      }
    }
    ledger.strangers = [...byUser.keys()].filter((user) => !known.has(user)).length;
    await store.close();
    return ledger;
  } finally {
    await pool.end();
    await engine.close();
  }
}

// ---- the command line: npm run test:chaos [-- --bots N --seconds S --kill-every-ms A-B --no-write] ----

function parseArgs(argv: readonly string[]): { options: Partial<ChaosOptions>; write: boolean } {
  const options: Partial<ChaosOptions> = {};
  let write = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const range = (text: string): [number, number] => {
      const [min, max = min] = text.split('-').map(Number);
      if (!(Number.isFinite(min) && Number.isFinite(max))) throw new Error(`${arg}: not a range: ${text}`);
      return [min!, max!];
    };
    if (arg === '--bots') options.bots = Number(value());
    else if (arg === '--seconds') options.seconds = Number(value());
    else if (arg === '--seed') options.seed = Number(value());
    else if (arg === '--kill-every-ms') options.killEveryMs = range(value());
    else if (arg === '--down-ms') options.downMs = range(value());
    else if (arg === '--term-share') options.termShare = Number(value());
    else if (arg === '--pause-share') options.pauseShare = Number(value());
    else if (arg === '--stall-share') options.stallShare = Number(value());
    else if (arg === '--min-kills') options.minKills = Number(value());
    else if (arg === '--save-every-ms') options.saveIntervalMs = Number(value());
    else if (arg === '--cooldown-ms') options.cooldownMs = Number(value());
    else if (arg === '--no-write') write = false;
    else if (arg === '--keep-logs') options.keepLogs = true;
    else
      throw new Error(
        `unknown argument ${arg} (--bots, --seconds, --seed, --kill-every-ms, --down-ms, --term-share, --pause-share, --stall-share, --min-kills, --save-every-ms, --cooldown-ms, --no-write, --keep-logs)`,
      );
  }
  return { options, write };
}

async function main(): Promise<void> {
  const { options, write } = parseArgs(process.argv.slice(2));
  // The whole run gives up after this (its processes are killed on exit).
  const limitMs = ((options.seconds ?? DEFAULT_CHAOS.seconds) + 240) * 1_000;
  const limit = setTimeout(() => {
    console.error(`chaos: not done within ${limitMs / 1000} s; giving up`);
    process.exit(2);
  }, limitMs);
  limit.unref();
  const report = await runChaos({ ...options, log: (line) => console.log(line) });
  const { offenders, ...rest } = report;
  console.log(JSON.stringify({ ...rest, offenders: offenders.slice(0, 20) }, null, 2));
  console.log(
    `\nledger: playersLost ${report.playersLost}, playersDuplicated ${report.playersDuplicated}, ` +
      `itemsLost ${report.itemsLost}, itemsDuplicated ${report.itemsDuplicated} — ` +
      `${report.players} bots, ${report.kills} kills, ${report.moves} moves, ${report.rolledBack} rolled back`,
  );
  if (write) {
    writeFileSync(
      CHAOS_RESULTS,
      `${JSON.stringify({ command: ['npm run test:chaos', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '), date: new Date().toISOString(), node: process.version, ...report }, null, 2)}\n`,
    );
    console.log(`wrote ${CHAOS_RESULTS}`);
  }
  const failed =
    report.playersLost + report.playersDuplicated + report.itemsLost + report.itemsDuplicated > 0 ||
    report.moves === 0 ||
    report.kills === 0;
  if (report.logsDir) console.log(`the shards' logs: ${report.logsDir}`);
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(2);
  });
}
