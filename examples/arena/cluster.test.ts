import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type JoinedWorld, ShardlineClient, type WorldMigration } from '@shardline/client';
import '@shardline/client/node';
import { type ClusterConfig, parseClusterConfig, type RunningCluster, startCluster } from '@shardline/server';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { arena, BOSS_HEALTH, type Body, Boss, Fighter, SHOTS_PER_SECOND } from './game.js';
import { ArenaSession } from './play/session.js';
import { type ArenaGameOptions, arenaGame, BOSS_NAME, PORTAL_SPOTS } from './server.js';

/**
 * The arena demo as the cluster `npm start` runs (examples/arena/cluster.json: the Forest and the
 * Caves, each on a shard of its own): a fighter walking into the Forest's sinkhole comes out beside
 * the Caves' stairs with its score and health, the cooldown keeps it from going straight back, the
 * dashboards count the move, and the Mole King's defeat in the Caves is a global event the Forest's
 * players hear too. The same config runs as two `shardline shard start` processes on NATS.
 */

const CONFIG = fileURLToPath(new URL('./cluster.json', import.meta.url));
const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../packages/server/src/cli.ts', import.meta.url));
const NATS = `nats://${(process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222').replace('nats://', '')}`;

/** The demo's cluster.json with a name of its own, free ports, a fresh data directory and no logs. */
function demoConfig(): Record<string, unknown> & { cluster: { name: string } } {
  const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
  raw.cluster.name = `arena-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  raw.server = { ...raw.server, dataDir: mkdtempSync(join(tmpdir(), 'arena-cluster-')), logLevel: 'silent' };
  for (const shard of Object.values(raw.shards) as Record<string, unknown>[]) {
    Object.assign(shard, { httpPort: 0, udpPort: 0, wsPort: 0 });
  }
  return raw;
}

let running: RunningCluster | undefined;
const worlds: JoinedWorld<typeof arena>[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((world) => world.leave().catch(() => {})));
  await running?.stop();
  running = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function startDemo(options: ArenaGameOptions = {}): Promise<RunningCluster> {
  const config: ClusterConfig = parseClusterConfig(demoConfig());
  running = await startCluster(config, pino({ level: 'silent' }), arenaGame(options));
  // Both shards see each other's world (the portal opens) before anyone walks in.
  const forest = running.shards.get('forest')!.worlds.get('forest');
  await until(() => forest.portal('sinkhole').open, 'the sinkhole to open');
  return running;
}

const httpOf = (cluster: RunningCluster, shard: string) => cluster.shards.get(shard)!.addresses.http;

/** A guest joins world `id` through `http` (as the page does in a cluster: by id); its session drives it. */
async function play(http: string, id: string) {
  const client = new ShardlineClient(http);
  await client.signIn();
  const world = await client.joinById(arena, id);
  worlds.push(world);
  const session = new ArenaSession(world, () => performance.now());
  await until(() => world.me(Fighter), 'its fighter');
  return { world, session, name: world.me(Fighter)!.state.name };
}

/** Steers toward `target` at the frame rate (as the page does) until `done` says so. */
async function walk(session: ArenaSession, target: Body, done: () => boolean, timeoutMs = 15_000) {
  const sign = (v: number) => (Math.abs(v) < 0.3 ? 0 : Math.sign(v));
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out walking to ${target.x}, ${target.y}`);
    const me = session.frame().me;
    session.steer(me ? { dx: sign(target.x - me.x), dy: sign(target.y - me.y) } : { dx: 0, dy: 0 });
    await sleep(1000 / 60);
  }
  session.steer({ dx: 0, dy: 0 });
}

/** `shooter` fires at the fighter named `target` (or the boss) where its newest snapshot has it. */
async function fireAt(shooter: JoinedWorld<typeof arena>, target: string): Promise<string> {
  const me = shooter.me(Fighter)!.state;
  const them =
    target === BOSS_NAME
      ? shooter.entities(Boss).all()[0]!.state
      : shooter
          .entities(Fighter)
          .all()
          .find((fighter) => fighter.state.name === target)!.state;
  const length = Math.hypot(them.x - me.x, them.y - me.y);
  const reply = await shooter.rpc.fire({
    renderTimeMs: shooter.view.tick * arena.tickMs,
    dx: (them.x - me.x) / length,
    dy: (them.y - me.y) / length,
  });
  return reply.victim;
}

const SHOT_GAP_MS = 1000 / SHOTS_PER_SECOND + 20;

/** The dashboard's cluster view (GET /api/stats), as far as these tests read it. */
interface ClusterFigures {
  shards: { name: string; moves: Record<string, number> | null }[];
  events: { kind: string; reporter: string }[];
}

async function clusterFigures(http: string): Promise<ClusterFigures> {
  const stats = (await (await fetch(`${http}/api/stats`)).json()) as { cluster: ClusterFigures };
  return stats.cluster;
}

describe('the arena demo as a cluster', () => {
  it('takes a fighter through the sinkhole into the Caves with its score and health, and not straight back', async () => {
    const cluster = await startDemo({ portalCooldownMs: 2_000 });
    const forestHttp = httpOf(cluster, 'forest');
    const alice = await play(forestHttp, 'forest');
    const bob = await play(forestHttp, 'forest');
    await until(() => alice.world.entities(Fighter).all().length === 2, 'alice to see bob');
    await until(() => bob.world.entities(Fighter).all().length === 2, 'bob to see alice');
    // Alice takes a hit and scores a kill (4 hits): what her record carries.
    expect(await fireAt(bob.world, alice.name)).toBe(alice.name);
    for (let shot = 0; shot < 4; shot++) {
      await sleep(SHOT_GAP_MS);
      expect(await fireAt(alice.world, bob.name)).toBe(bob.name);
    }
    await until(
      () => alice.world.me(Fighter)?.state.health === 75 && alice.world.me(Fighter)?.state.score === 1,
      'her hit and her kill',
    );

    const migrated = new Promise<WorldMigration>((resolve) => {
      alice.world.onMigrated = resolve;
    });
    await walk(alice.session, PORTAL_SPOTS.forest!.sinkhole!, () => alice.world.id === 'caves');
    expect(await migrated).toMatchObject({ from: 'forest', portal: 'stairs' });
    const there = await until(() => alice.world.me(Fighter)?.state, 'her fighter in the caves');
    expect(there).toMatchObject({ health: 75, score: 1, name: alice.name, connected: true });
    // Beside the stairs, a step toward the middle (outside the ring, so she does not bounce back).
    const stairs = PORTAL_SPOTS.caves!.stairs!;
    expect(Math.hypot(there.x - stairs.x, there.y - stairs.y)).toBeGreaterThan(3);
    expect(Math.hypot(there.x - stairs.x, there.y - stairs.y)).toBeLessThan(6);
    // Bob, still in the Forest, sees her go.
    await until(() => bob.world.entities(Fighter).all().length === 1, 'her fighter gone from the forest');

    // Straight back into the stairs: the cooldown holds her, and the page is told why.
    const refused = new Promise<{ portal: string; reason: string }>((resolve) => {
      alice.session.onPortalRefused = resolve;
    });
    let told: { portal: string; reason: string } | undefined;
    void refused.then((refusal) => {
      told = refusal;
    });
    await walk(alice.session, stairs, () => told !== undefined, 5_000);
    expect(told).toEqual({ portal: 'stairs', reason: 'you just came through: step out and try again' });
    expect(alice.world.id).toBe('caves');
    // Each shard's dashboard counts its side of the move, and shows the other's from its lease.
    const forestView = await clusterFigures(forestHttp);
    expect(forestView.shards.find((shard) => shard.name === 'forest')!.moves).toEqual({
      out: 1,
      in: 0,
      rolledBack: 0,
      orphansResolved: 0,
    });
    const cavesView = await clusterFigures(httpOf(cluster, 'caves'));
    expect(cavesView.shards.find((shard) => shard.name === 'caves')!.moves).toMatchObject({ out: 0, in: 1 });
    await expect
      .poll(
        async () => (await clusterFigures(forestHttp)).shards.find((shard) => shard.name === 'caves')!.moves,
        {
          timeout: 3_000,
        },
      )
      .toMatchObject({ out: 0, in: 1 });

    // Once the cooldown is over, stepping out and in again takes her back up, score and health kept.
    await walk(alice.session, { x: stairs.x + 6, y: stairs.y + 6 }, () => {
      const me = alice.world.me(Fighter)?.state;
      return me !== undefined && Math.hypot(me.x - stairs.x, me.y - stairs.y) > 5;
    });
    await sleep(2_000);
    await walk(alice.session, stairs, () => alice.world.id === 'forest');
    const back = await until(() => alice.world.me(Fighter)?.state, 'her fighter back in the forest');
    expect(back).toMatchObject({ health: 75, score: 1 });
  }, 60_000);

  it("counts a player's arrival on the Caves' dashboard", async () => {
    const cluster = await startDemo();
    const alice = await play(httpOf(cluster, 'forest'), 'forest');
    const forest = cluster.shards.get('forest')!.worlds.get('forest');
    const player = [...forest.players.values()].find((each) => each.name === alice.name)!;
    await forest.migrate(player, 'sinkhole');
    await until(() => alice.world.id === 'caves' && alice.world.me(Fighter), 'her fighter in the caves');
    const cavesView = await clusterFigures(httpOf(cluster, 'caves'));
    expect(cavesView.shards.find((shard) => shard.name === 'caves')!.moves).toMatchObject({ out: 0, in: 1 });
  }, 30_000);

  it("shows the Mole King's defeat in the Caves in both worlds (a global event), and brings it back", async () => {
    const cluster = await startDemo({ bossRespawnMs: 1_500 });
    const carol = await play(httpOf(cluster, 'caves'), 'caves');
    const dave = await play(httpOf(cluster, 'forest'), 'forest');
    expect(dave.world.entities(Boss).all()).toEqual([]); // no boss up there
    const boss = await until(() => carol.world.entities(Boss).all()[0]?.state, 'the boss');
    expect(boss).toMatchObject({ name: BOSS_NAME, health: BOSS_HEALTH });

    let hits = 0;
    while (carol.world.entities(Boss).all()[0]!.state.health > 0) {
      if (await fireAt(carol.world, BOSS_NAME).then((victim) => victim === BOSS_NAME)) hits++;
      expect(hits).toBeLessThan(40);
      await sleep(SHOT_GAP_MS);
      await until(() => carol.world.entities(Boss).all()[0], 'the boss');
    }
    const news = { boss: BOSS_NAME, by: carol.name, world: 'caves' };
    await until(() => dave.session.defeats.length > 0, 'the forest to hear of it');
    expect(dave.session.defeats).toEqual([expect.objectContaining(news)]);
    await until(() => carol.session.defeats.length > 0, 'the caves to hear of it');
    expect(carol.session.defeats).toEqual([expect.objectContaining(news)]);
    expect(carol.session.kills[0]).toEqual({ killer: carol.name, victim: BOSS_NAME });
    await until(() => carol.world.me(Fighter)?.state.score === 5 || undefined, 'the boss score');
    // Every shard applied the event once (the Forest's dashboard lists it).
    const events = (await clusterFigures(httpOf(cluster, 'forest'))).events;
    expect(events).toEqual([expect.objectContaining({ kind: 'bossDefeated', reporter: 'caves' })]);
    // Down for a while (a countdown on the page), then back at full health.
    expect(carol.world.entities(Boss).all()[0]!.state.returnsIn).toBeGreaterThan(0);
    await until(
      () => carol.world.entities(Boss).all()[0]?.state.health === BOSS_HEALTH || undefined,
      'the boss to come back',
      5_000,
    );
  }, 60_000);
});

// ── The same config as two shard processes on NATS ──────────────────────────────────────────────

const children: ChildProcess[] = [];
const clustersMade: string[] = [];
afterAll(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  if (clustersMade.length === 0) return;
  // The cluster's buckets and event log on NATS go with it.
  const admin = await connect({ servers: NATS.replace('nats://', '') });
  const manager = await jetstreamManager(admin);
  for await (const stream of manager.streams.list()) {
    const name = stream.config.name;
    if (clustersMade.some((cluster) => name.includes(`_${cluster}-`))) {
      await manager.streams.delete(name).catch(() => {});
    }
  }
  await admin.drain();
});

/** `shardline shard start <file> --shard <shard> --engine nats://…` from source; resolves with its HTTP address. */
function startShardProcess(file: string, shard: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=shardline-source',
      CLI,
      'shard',
      'start',
      file,
      '--shard',
      shard,
      '--engine',
      NATS,
      '--game',
      SERVER,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${shard} did not start: ${output.slice(-2000)}`)),
      30_000,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /"http":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(output);
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]!);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`${shard} exited (${code}): ${output.slice(-2000)}`)));
  });
}

describe('the arena demo as shard processes', () => {
  it('runs cluster.json as two `shardline shard start` processes on NATS: a fighter walks from one to the other', async () => {
    const config = demoConfig();
    (config.server as Record<string, unknown>).logLevel = 'info'; // the test reads the "listening" line
    clustersMade.push(config.cluster.name);
    const file = join(mkdtempSync(join(tmpdir(), 'arena-nats-')), 'cluster.json');
    writeFileSync(file, JSON.stringify(config));
    const [forestHttp] = await Promise.all([
      startShardProcess(file, 'forest'),
      startShardProcess(file, 'caves'),
    ]);
    const alice = await play(forestHttp!, 'forest');
    await until(
      () => alice.world.entities(Fighter).all().length > 0 && alice.session.frame().portals[0]?.open,
      'the sinkhole to open',
      15_000,
    );
    const migrated = new Promise<WorldMigration>((resolve) => {
      alice.world.onMigrated = resolve;
    });
    await walk(alice.session, PORTAL_SPOTS.forest!.sinkhole!, () => alice.world.id === 'caves');
    expect(await migrated).toMatchObject({ from: 'forest', portal: 'stairs' });
    // In the other process's world: its boss is there, and her fighter walks.
    await until(() => alice.world.entities(Boss).all()[0], 'the boss of the caves');
    const arrived = await until(() => alice.world.me(Fighter)?.state, 'her fighter in the caves');
    await walk(alice.session, { x: arrived.x + 4, y: arrived.y }, () => {
      const me = alice.world.me(Fighter)?.state;
      return me !== undefined && me.x > arrived.x + 3;
    });
  }, 90_000);
});
