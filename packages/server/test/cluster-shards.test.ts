import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { defineRpcs, type RpcCatalog, rpc, t } from '@shardline/core';
import {
  type ClusterEngine,
  type ClusterEventCatalog,
  clusterEvent,
  defineClusterEvents,
  InProcessCluster,
  isShardlineError,
  type MembershipEvent,
  NatsEngine,
  Shard,
  type WorldStatus,
} from '@shardline/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * Shards of one cluster on each engine: availability, the master role and its standby, shard RPC
 * and global events, with a short lease so that a shard going quiet is noticed quickly. (The
 * multi-process kill -9 tests are in cluster-processes.test.ts.)
 */
const NATS_URL = process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222';
const LEASE_MS = 600;
let admin: NatsConnection;
const clustersMade: string[] = [];

beforeAll(async () => {
  admin = await connect({ servers: NATS_URL });
});
afterAll(async () => {
  const manager = await jetstreamManager(admin);
  for (const cluster of clustersMade) {
    for (const stream of [`KV_${cluster}-shards`, `KV_${cluster}-roles`, `SHARDLINE_LOG_${cluster}-events`]) {
      await manager.streams.delete(stream).catch(() => {});
    }
  }
  await admin.drain();
});

const engines: [string, () => () => Promise<ClusterEngine>][] = [
  [
    'in-process',
    () => {
      const cluster = new InProcessCluster();
      return async () => cluster.member();
    },
  ],
  ['nats', () => () => NatsEngine.connect({ url: NATS_URL })],
];

const rpcs = defineRpcs({
  giveItem: rpc({
    params: { item: t.u16(), count: t.u8() },
    reply: { accepted: t.u8() },
    validate: (params) => (params.count === 0 ? 'give at least one' : undefined),
  }),
  ping: rpc({ params: {}, rate: { perSecond: 1, burst: 2 } }),
  slow: rpc({ params: {}, reply: { done: t.u8() } }),
  unhandled: rpc({ params: {} }),
});

const events = defineClusterEvents({
  bossDefeated: clusterEvent({
    params: { boss: t.u8(), day: t.u16() },
    key: (params) => `boss-${params.boss}`,
    validate: (params) => (params.day === 0 ? 'no boss dies on day 0' : undefined),
  }),
  cavesOnly: clusterEvent({ params: { quake: t.u8() }, shards: () => ['caves'] }),
});

const SHARDS = ['forest', 'caves', 'ruins'] as const;
type TestShard = Shard<
  typeof rpcs extends RpcCatalog<infer R> ? R : never,
  typeof events extends ClusterEventCatalog<infer E> ? E : never
>;
type ShardName = (typeof SHARDS)[number];
const WORLDS: Record<ShardName, WorldStatus[]> = {
  forest: [{ id: 'forest', kind: 'overworld', players: 3, capacity: 16 }],
  caves: [{ id: 'caves', kind: 'underworld', players: 8, capacity: 8 }],
  ruins: [],
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function failureOf(run: () => Promise<unknown>): Promise<string> {
  return run().then(
    () => 'nothing thrown',
    (error: unknown) => (isShardlineError(error) ? error.code : String(error)),
  );
}

describe.each(engines)('cluster shards: %s', (_name, engineFactory) => {
  let running: TestShard[] = [];
  let member: () => Promise<ClusterEngine>;
  let engines: ClusterEngine[] = [];
  let cluster = '';
  let clusters = 0;

  type Setup = (shard: TestShard) => void;
  const start = async (
    name: ShardName,
    options: { appliedThrough?: number; setup?: Setup } = {},
  ): Promise<TestShard> => {
    const engine = await member();
    engines.push(engine);
    const shard = await Shard.join({
      engine,
      settings: {
        name: cluster,
        description: 'test',
        maxPlayers: 32,
        gameMode: 'survival',
        hasPassword: false,
      },
      shard: name,
      role: name === 'forest' ? 'master' : 'secondary',
      standby: name === 'caves',
      shards: SHARDS,
      configuredMaster: 'forest',
      leaseMs: LEASE_MS,
      game: { rpcs, events, ...(options.setup ? { setup: options.setup } : {}) },
      status: () => ({
        addresses: { http: 'http://127.0.0.1:1', udp: '127.0.0.1:2', ws: 'ws://127.0.0.1:3' },
        worlds: WORLDS[name],
        creates: [],
        startedAtMs: Date.now(),
      }),
      ...(options.appliedThrough === undefined ? {} : { appliedThrough: options.appliedThrough }),
    });
    await shard.followEvents();
    running.push(shard);
    return shard;
  };
  /** Stops a shard as kill -9 would: no lease released, nothing said. */
  const kill = (shard: TestShard) => {
    shard.membership.abandon();
    running = running.filter((other) => other !== shard);
    return shard.rpc.stop().then(() => shard.events.stop());
  };

  afterEach(async () => {
    for (const shard of running) await shard.leave().catch(() => {});
    for (const engine of engines) await engine.close();
    running = [];
    engines = [];
  });
  const fresh = () => {
    cluster = `test-${process.pid}-${Date.now() % 1_000_000}-${clusters++}`;
    clustersMade.push(cluster);
    member = engineFactory();
  };

  it('publishes each shard’s worlds: available, full, and gone within the lease when a shard dies', async () => {
    fresh();
    const forest = await start('forest');
    const caves = await start('caves');
    const heard: MembershipEvent[] = [];
    forest.onChange((event) => heard.push(event));
    await expect.poll(() => forest.isWorldAvailable('caves'), { timeout: 2_000 }).toBe(true);
    expect(forest.isWorldFull('caves')).toBe(true);
    expect(forest.isWorldFull('forest')).toBe(false);
    expect(forest.isWorldAvailable('volcano')).toBe(false);
    expect(caves.locate('forest')?.shard).toBe('forest');
    const killedAtMs = Date.now();
    await kill(caves);
    await expect.poll(() => forest.isWorldAvailable('caves'), { timeout: LEASE_MS * 3 }).toBe(false);
    expect(Date.now() - killedAtMs).toBeLessThanOrEqual(LEASE_MS + LEASE_MS / 6 + 300);
    expect(heard).toContainEqual({ kind: 'world-unavailable', world: 'caves', shard: 'caves' });
    expect(heard).toContainEqual({ kind: 'shard-down', shard: 'caves' });
  });

  it('takes its lease again after losing it (the engine out of reach for longer than a lease)', async () => {
    fresh();
    const forest = await start('forest');
    const caves = await start('caves');
    const lost = caves.membership.token;
    const leases = await engines[1]!.directories.directory(`${cluster}-shards`, { ttlMs: LEASE_MS });
    await leases.delete('shard/caves'); // as the TTL would have, had renewals not reached the engine
    await expect.poll(() => caves.membership.token, { timeout: LEASE_MS * 3 }).toBeGreaterThan(lost);
    await expect.poll(() => forest.isWorldAvailable('caves'), { timeout: LEASE_MS * 3 }).toBe(true);
  });

  it('starts watching again when its watch ends (its own renewals unheard for two leases)', async () => {
    fresh();
    await start('forest');
    const caves = await start('caves');
    // What a watch ending with its connection looks like from inside: nothing more is heard.
    const inside = caves.membership as unknown as { watches: (() => Promise<void>)[] };
    for (const stop of inside.watches.splice(0)) await stop();
    await start('ruins');
    await expect
      .poll(() => [...caves.membership.liveShards().keys()].sort(), { timeout: LEASE_MS * 5 })
      .toEqual(['caves', 'forest', 'ruins']);
  });

  it('gives the role to the configured master when its standby starts just before it', async () => {
    fresh();
    const caves = await start('caves');
    const forest = await start('forest');
    await expect.poll(() => caves.master, { timeout: LEASE_MS * 3 }).toBe('forest');
    expect(forest.isMaster).toBe(true);
  });

  it('refuses a second process running the same shard (SHARD_ALREADY_RUNNING)', async () => {
    fresh();
    await start('caves');
    expect(await failureOf(() => start('caves'))).toBe('SHARD_ALREADY_RUNNING');
  });

  it('answers typed shard RPC, checks it, and names what went wrong with a stable code', async () => {
    fresh();
    const forest = await start('forest');
    const caves = await start('caves');
    const calls: string[] = [];
    caves.rpc.handle('giveItem', (params, { from }) => {
      calls.push(`${from} gives ${params.count}× ${params.item}`);
      return { accepted: params.count };
    });
    caves.rpc.handle('ping', () => {});
    caves.rpc.handle('slow', () => new Promise(() => {}));
    expect(await forest.rpc.call('caves', 'giveItem', { item: 7, count: 3 })).toEqual({ accepted: 3 });
    expect(calls).toEqual(['forest gives 3× 7']);
    expect(await failureOf(() => forest.rpc.call('caves', 'giveItem', { item: 7, count: 0 }))).toBe(
      'RPC_BAD_PARAMS',
    );
    expect(await failureOf(() => forest.rpc.call('volcano', 'ping', {}))).toBe('SHARD_UNKNOWN');
    expect(await failureOf(() => forest.rpc.call('ruins', 'ping', {}))).toBe('SHARD_UNAVAILABLE');
    expect(await failureOf(() => forest.rpc.call('caves', 'unhandled', {}))).toBe('RPC_UNKNOWN');
    expect(await failureOf(() => forest.rpc.call('caves', 'slow', {}, { timeoutMs: 150 }))).toBe(
      'SHARD_RPC_TIMEOUT',
    );
    await forest.rpc.call('caves', 'ping', {});
    await forest.rpc.call('caves', 'ping', {});
    expect(await failureOf(() => forest.rpc.call('caves', 'ping', {}))).toBe('RPC_RATE_LIMITED');
    const all = await forest.rpc.callAll('giveItem', { item: 1, count: 1 });
    expect(all.get('caves')).toEqual({ reply: { accepted: 1 } });
    const ruins = all.get('ruins');
    expect(ruins && 'error' in ruins ? ruins.error.code : ruins).toBe('SHARD_UNAVAILABLE');
  });

  it('gives the master role to the configured master, and to the standby when the master dies', async () => {
    fresh();
    const forest = await start('forest');
    const caves = await start('caves');
    const ruins = await start('ruins');
    for (const shard of [forest, caves, ruins]) {
      shard.rpc.handle('giveItem', () => ({ accepted: shard.name.length }));
    }
    await expect.poll(() => ruins.master, { timeout: 2_000 }).toBe('forest');
    expect(forest.isMaster).toBe(true);
    expect(await ruins.rpc.call('master', 'giveItem', { item: 1, count: 1 })).toEqual({ accepted: 6 });
    await kill(forest);
    await expect.poll(() => caves.isMaster, { timeout: LEASE_MS * 4 }).toBe(true);
    await expect.poll(() => ruins.master, { timeout: LEASE_MS }).toBe('caves');
    expect(ruins.isMaster).toBe(false);
    expect(await ruins.rpc.call('master', 'giveItem', { item: 1, count: 1 })).toEqual({ accepted: 5 });
    // The secondaries kept serving each other meanwhile.
    expect(await caves.rpc.call('ruins', 'giveItem', { item: 1, count: 1 })).toEqual({ accepted: 5 });
  });

  it('logs a reported event once and hands it to every shard it concerns, in order', async () => {
    fresh();
    const forest = await start('forest');
    const caves = await start('caves');
    const ruins = await start('ruins');
    const heard: Record<string, string[]> = { forest: [], caves: [], ruins: [] };
    for (const shard of [forest, caves, ruins]) {
      shard.onEvent('bossDefeated', (params, info) => {
        heard[shard.name]!.push(`boss ${params.boss} day ${params.day} by ${info.reporter}`);
      });
      shard.onEvent('cavesOnly', (params) => {
        heard[shard.name]!.push(`quake ${params.quake}`);
      });
    }
    await expect.poll(() => caves.master, { timeout: 2_000 }).toBe('forest');
    await caves.report('bossDefeated', { boss: 1, day: 12 });
    await ruins.report('cavesOnly', { quake: 5 });
    await forest.report('bossDefeated', { boss: 2, day: 13 });
    await expect.poll(() => heard.caves!.length, { timeout: 2_000 }).toBe(3);
    await expect.poll(() => heard.forest!.length, { timeout: 2_000 }).toBe(2);
    await sleep(100);
    expect(heard.forest).toEqual(['boss 1 day 12 by caves', 'boss 2 day 13 by forest']);
    expect(heard.ruins).toEqual(heard.forest);
    expect(heard.caves).toEqual(['boss 1 day 12 by caves', 'quake 5', 'boss 2 day 13 by forest']);
    expect(await failureOf(() => caves.report('bossDefeated', { boss: 3, day: 0 }))).toBe(
      'CLUSTER_EVENT_REJECTED',
    );
  });

  it('catches a restarted shard up on the newest event of each subject, applying each once', async () => {
    fresh();
    const forest = await start('forest');
    let ruins = await start('ruins');
    await expect.poll(() => ruins.master, { timeout: 2_000 }).toBe('forest');
    const applied: string[] = [];
    ruins.onEvent('bossDefeated', (params) => void applied.push(`boss ${params.boss} day ${params.day}`));
    await forest.report('bossDefeated', { boss: 1, day: 1 });
    await expect.poll(() => applied.length, { timeout: 2_000 }).toBe(1);
    const appliedThrough = ruins.events.appliedThrough;
    await kill(ruins);
    await sleep(LEASE_MS + 200); // its lease runs out, as a killed process's would
    await forest.report('bossDefeated', { boss: 2, day: 5 });
    await forest.report('bossDefeated', { boss: 2, day: 6 }); // replaces day 5: same boss
    await forest.report('bossDefeated', { boss: 3, day: 7 });
    await forest.events.setWorldSettings({ season: 'winter', dayLengthS: 480 });
    const caughtUp: string[] = [];
    ruins = await start('ruins', {
      appliedThrough,
      setup: (shard) =>
        void shard.onEvent('bossDefeated', (params: { boss: number; day: number }) => {
          caughtUp.push(`boss ${params.boss} day ${params.day}`);
        }),
    });
    await expect.poll(() => caughtUp.length, { timeout: 2_000 }).toBe(2);
    await sleep(100);
    expect(caughtUp).toEqual(['boss 2 day 6', 'boss 3 day 7']);
    expect(ruins.events.appliedThrough).toBeGreaterThan(appliedThrough);
    const late = await start('caves', { appliedThrough });
    await expect
      .poll(() => late.worldSettings, { timeout: 2_000 })
      .toEqual({ season: 'winter', dayLengthS: 480 });
    expect(late.events.recent.map((event) => event.subject)).toEqual([
      'event.bossDefeated.boss-3',
      'event.bossDefeated.boss-2',
    ]);
    expect(late.events.recent.map((event) => event.sequence)).toEqual(
      [...late.events.recent.map((event) => event.sequence)].sort((a, b) => b - a),
    );
  });
});
