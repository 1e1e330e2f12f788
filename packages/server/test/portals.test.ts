import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JoinedWorld, ShardlineClient, type WorldMigration } from '@shardline/client';
import { ConditionedClientTransport, isShardlineError, StarterBody, starterWorld } from '@shardline/core';
import {
  type ClusterConfig,
  type RunningCluster,
  type RunningShardline,
  startCluster,
  type WorldInstance,
} from '@shardline/server';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { bodiesSeenOnArrival, portalCluster, portalGame, seatedItems } from './support/portal-game.js';
import { throwawaySchemaName } from './support/postgres.js';

/**
 * Portals in one process (the in-process engine, two shards, each its own server and shard index):
 * a player walks from the Forest into the Caves with its body and items, exactly once; the client
 * follows the redirect on its own; a cooldown holds it there; a restart keeps it where the
 * directory says, with its items.
 */

let running: RunningCluster | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

const silent = pino({ level: 'silent' });

function clusterName(): string {
  return `portals-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
}

function shardOf(cluster: RunningCluster, name: string): RunningShardline {
  return cluster.shards.get(name)!;
}

function worldOf(cluster: RunningCluster, shard: string, id: string): WorldInstance {
  return shardOf(cluster, shard).worlds.get(id);
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startWith(config: ClusterConfig, options: Parameters<typeof portalGame>[0] = {}) {
  running = await startCluster(config, silent, portalGame(options));
  // Both shards see each other's worlds (and their portals) before anyone moves.
  await until(
    () => worldOf(running!, 'forest', 'forest').portal('sinkhole').open || undefined,
    'the sinkhole to open',
  );
  return running;
}

async function joinForest(
  cluster: RunningCluster,
): Promise<{ world: JoinedWorld<typeof starterWorld>; userId: string; client: ShardlineClient }> {
  const client = new ShardlineClient(shardOf(cluster, 'forest').addresses.http);
  const user = await client.signIn();
  const world = await client.joinById(starterWorld, 'forest');
  await until(() => world.me(StarterBody), 'the body to show');
  return { world, userId: user.id, client };
}

function playerIn(instance: WorldInstance, userId: string) {
  return [...instance.players.values()].find((player) => player.id === userId);
}

describe('portals between two shards', () => {
  it('opens a declared pair once both worlds are up, and names what it leads to', async () => {
    const cluster = await startWith(portalCluster(mkdtempSync(join(tmpdir(), 'portals-')), clusterName()));
    const forest = worldOf(cluster, 'forest', 'forest');
    expect(forest.portals).toEqual(['sinkhole']);
    expect(forest.portal('sinkhole')).toEqual({
      id: 'sinkhole',
      to: { world: 'caves', portal: 'stairs' },
      open: true,
    });
    expect(worldOf(cluster, 'caves', 'caves').portal('stairs').to).toEqual({
      world: 'forest',
      portal: 'sinkhole',
    });
    expect(() => forest.portal('chimney')).toThrow(expect.objectContaining({ code: 'PORTAL_UNKNOWN' }));
  });

  it('moves a player with its body and items; the client follows on its own, nothing is left behind', async () => {
    const cluster = await startWith(portalCluster(mkdtempSync(join(tmpdir(), 'portals-')), clusterName()));
    const { world, userId, client } = await joinForest(cluster);
    const forest = worldOf(cluster, 'forest', 'forest');
    const caves = worldOf(cluster, 'caves', 'caves');
    const player = await until(() => playerIn(forest, userId), 'the player in the forest');
    const migrated = new Promise<WorldMigration>((resolve) => {
      world.onMigrated = resolve;
    });
    const despawned: number[] = [];
    world.entities(StarterBody).onDespawn((id) => despawned.push(id));
    const oldBody = world.me(StarterBody)!.id;

    await forest.migrate(player, 'sinkhole');

    expect(playerIn(forest, userId)).toBeUndefined();
    expect(seatedItems.get('forest')?.has(userId)).toBe(false);
    const migration = await migrated;
    expect(migration).toMatchObject({ from: 'forest', portal: 'stairs' });
    expect(migration.world).toBe(world); // the same kind: the same handle, following
    expect(world.id).toBe('caves');
    expect(world.state).toBe('connected');
    expect(despawned).toContain(oldBody);
    const arrived = await until(() => playerIn(caves, userId), 'the player in the caves');
    expect(seatedItems.get('caves')?.get(userId)).toEqual([`${userId}-sword`, `${userId}-shield`]);
    expect(bodiesSeenOnArrival.at(-1)).toBe(true); // `arrive` reads what it was given at once
    await until(() => caves.stats().entities === 1, 'its body in the caves');
    await until(() => forest.stats().entities === 0, 'no body in the forest');
    const body = await until(() => world.me(StarterBody), 'the body in the caves');
    expect(body.state.x).toBeCloseTo(1, 1);
    expect(arrived.connected).toBe(true);

    const at = await shardOf(cluster, 'forest').players!.directory.read(userId);
    expect(at?.location).toMatchObject({ state: 'in', world: 'caves', shard: 'caves' });
    expect(shardOf(cluster, 'forest').players!.counts).toMatchObject({ movedOut: 1, movedIn: 0 });
    expect(shardOf(cluster, 'caves').players!.counts).toMatchObject({ movedOut: 0, movedIn: 1 });
    await world.leave();
    // Quick play through the Forest's shard seats it where the cluster holds it.
    const again = await client.join(starterWorld);
    expect(again.id).toBe('caves');
    await until(() => again.me(StarterBody), 'its body back in the caves');
    await again.leave();
  });

  it('over a slow link the redirect still arrives before the close, and the client follows it', async () => {
    const cluster = await startWith(portalCluster(mkdtempSync(join(tmpdir(), 'portals-')), clusterName()));
    const client = new ShardlineClient(shardOf(cluster, 'forest').addresses.http, {
      wrapTransport: (transport) => new ConditionedClientTransport(transport, { latencyMs: 20 }),
    });
    const userId = (await client.signIn()).id;
    const world = await client.joinById(starterWorld, 'forest');
    const forest = worldOf(cluster, 'forest', 'forest');
    let reconnected = false;
    world.onReconnecting = () => {
      reconnected = true;
    };
    const migrated = new Promise<WorldMigration>((resolve) => {
      world.onMigrated = resolve;
    });
    await forest.migrate(await until(() => playerIn(forest, userId), 'the player'), 'sinkhole');
    expect((await migrated).world.id).toBe('caves');
    expect(reconnected).toBe(false);
    await world.leave();
  });

  it('holds a player that just moved for the cooldown, then lets it back', async () => {
    const cluster = await startWith(portalCluster(mkdtempSync(join(tmpdir(), 'portals-')), clusterName()), {
      cooldownMs: 400,
    });
    const { world, userId } = await joinForest(cluster);
    const forest = worldOf(cluster, 'forest', 'forest');
    const caves = worldOf(cluster, 'caves', 'caves');
    await forest.migrate((await until(() => playerIn(forest, userId), 'the player'))!, 'sinkhole');
    const there = await until(() => playerIn(caves, userId), 'the player in the caves');
    const early = await caves.migrate(there, 'stairs').catch((error: unknown) => error);
    expect(isShardlineError(early, 'PORTAL_COOLDOWN')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 450));
    await caves.migrate(there, 'stairs');
    await until(
      () => world.id === 'forest' && world.state === 'connected' && world.me(StarterBody),
      'back in the forest',
    );
    expect(seatedItems.get('forest')?.get(userId)).toEqual([`${userId}-sword`, `${userId}-shield`]);
    expect(playerIn(caves, userId)).toBeUndefined();
    await world.leave();
  });

  it('a client whose link drops after a move takes its seat back there, through the shard it first asked', async () => {
    const cluster = await startWith(portalCluster(mkdtempSync(join(tmpdir(), 'portals-')), clusterName()));
    const { world, userId } = await joinForest(cluster);
    const forest = worldOf(cluster, 'forest', 'forest');
    const caves = worldOf(cluster, 'caves', 'caves');
    await forest.migrate(await until(() => playerIn(forest, userId), 'the player'), 'sinkhole');
    const arrived = await until(() => playerIn(caves, userId), 'the player in the caves');
    await until(() => world.id === 'caves' && world.state === 'connected', 'the client in the caves');
    const seat = arrived.seat;
    const rejoined = new Promise<boolean>((resolve) => {
      world.onRejoined = resolve;
    });
    shardOf(cluster, 'caves').server.kick(arrived.session!.session, 'timeout');
    expect(await rejoined).toBe(true); // its seat, resumed
    expect(world.id).toBe('caves');
    expect(world.seat).toBe(seat);
    expect(playerIn(caves, userId)?.connected).toBe(true);
    await world.leave();
  });

  it('after a restart the player is where the directory says, with its items, and nowhere else', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portals-'));
    const config = portalCluster(dataDir, clusterName(), throwawaySchemaName());
    let cluster = await startWith(config);
    const storage = memoryStorage();
    const viaForest = new ShardlineClient(shardOf(cluster, 'forest').addresses.http, { storage });
    const userId = (await viaForest.signIn()).id;
    const world = await viaForest.joinById(starterWorld, 'forest');
    const forest = worldOf(cluster, 'forest', 'forest');
    await forest.migrate(await until(() => playerIn(forest, userId), 'the player'), 'sinkhole');
    await until(() => world.id === 'caves' && world.me(StarterBody), 'in the caves');
    await world.leave(); // the caves keep its record while it is away
    await until(() => !playerIn(worldOf(cluster, 'caves', 'caves'), userId) || undefined, 'it left');
    await running!.stop();
    running = undefined;

    cluster = await startWith(config);
    expect(worldOf(cluster, 'caves', 'caves').stats().entities).toBe(0); // its body is with its record
    // Asking for the Forest (through the Forest's shard) seats it where the directory holds it.
    const again = new ShardlineClient(shardOf(cluster, 'forest').addresses.http, { storage });
    const back = await again.joinById(starterWorld, 'forest');
    expect(back.id).toBe('caves');
    const body = await until(() => back.me(StarterBody), 'its body back');
    expect(body.state.x).toBeCloseTo(1, 1);
    expect(seatedItems.get('caves')?.get(userId)).toEqual([`${userId}-sword`, `${userId}-shield`]);
    await until(() => worldOf(cluster, 'caves', 'caves').stats().entities === 1, 'one body in the caves');
    expect(worldOf(cluster, 'forest', 'forest').stats().entities).toBe(0);
    await back.leave();
  });
});

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}
