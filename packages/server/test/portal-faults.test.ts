import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type JoinedWorld, ShardlineClient } from '@shardline/client';
import { isShardlineError, StarterBody, starterWorld } from '@shardline/core';
import {
  encodeLocation,
  type PlayerLeaving,
  playerKey,
  type RunningCluster,
  type RunningShardline,
  startCluster,
  TRANSFER_REQUEST_RATE,
  transfersSubject,
  type WorldInstance,
} from '@shardline/server';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultyEngine } from './support/faulty-engine.js';
import { portalCluster, portalGame, seatedItems } from './support/portal-game.js';

/**
 * Every step of the portal hand-off (docs/cluster/CLUSTER.md §8) under loss, duplication and late
 * delivery of its messages between shards, and a source that died mid-move: whatever happens, the
 * player is in exactly one world with its items, and the shards' indexes agree with the directory.
 */

const TRANSFER_TIMEOUT_MS = 300;
const RESERVATION_MS = 600;

let running: RunningCluster | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

interface Setup {
  cluster: RunningCluster;
  forestEngine: FaultyEngine;
  cavesEngine: FaultyEngine;
  forest: WorldInstance;
  caves: WorldInstance;
  world: JoinedWorld<typeof starterWorld>;
  userId: string;
  name: string;
}

async function setUp(): Promise<Setup> {
  const name = `faults-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const engines = new Map<string, FaultyEngine>();
  running = await startCluster(
    portalCluster(mkdtempSync(join(tmpdir(), 'portal-faults-')), name, undefined, {
      seatReservationMs: RESERVATION_MS,
    }),
    pino({ level: 'silent' }),
    portalGame({ cooldownMs: 0, transferTimeoutMs: TRANSFER_TIMEOUT_MS }),
    {
      wrapEngine: (engine, shard) => {
        const faulty = new FaultyEngine(engine);
        engines.set(shard, faulty);
        return faulty;
      },
    },
  );
  const cluster = running;
  const forest = shardOf(cluster, 'forest').worlds.get('forest');
  const caves = shardOf(cluster, 'caves').worlds.get('caves');
  await until(() => forest.portal('sinkhole').open, 'the sinkhole to open');
  const client = new ShardlineClient(shardOf(cluster, 'forest').addresses.http);
  const userId = (await client.signIn()).id;
  const world = await client.joinById(starterWorld, 'forest');
  await until(() => playerIn(forest, userId) && world.me(StarterBody), 'the player in the forest');
  return {
    cluster,
    forestEngine: engines.get('forest')!,
    cavesEngine: engines.get('caves')!,
    forest,
    caves,
    world,
    userId,
    name,
  };
}

function shardOf(cluster: RunningCluster, name: string): RunningShardline {
  return cluster.shards.get(name)!;
}

function playerIn(instance: WorldInstance, userId: string) {
  return [...instance.players.values()].find((player) => player.id === userId);
}

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Where the directory holds the player, and which shards' indexes keep a record of it. */
async function ledger(setup: Setup, userId = setup.userId) {
  const players = (shard: string) => shardOf(setup.cluster, shard).players!;
  const location = (await players('forest').directory.read(userId))?.location;
  const rows = [];
  for (const shard of ['forest', 'caves']) {
    for (const row of await players(shard).stored()) if (row.userId === userId) rows.push({ shard, ...row });
  }
  return { location, rows: rows.map(({ shard, world, state }) => ({ shard, world, state })) };
}

async function expectOnlyInForest(setup: Setup): Promise<void> {
  const { forest, caves, userId } = setup;
  expect(playerIn(forest, userId)?.connected).toBe(true);
  expect(playerIn(caves, userId)).toBeUndefined();
  expect(setup.world.id).toBe('forest');
  expect(seatedItems.get('forest')?.get(userId)).toEqual([`${userId}-sword`, `${userId}-shield`]);
  await eventually(async () => {
    const { location, rows } = await ledger(setup);
    return (
      location?.state === 'in' &&
      location.world === 'forest' &&
      rows.length === 1 &&
      rows[0]!.shard === 'forest' &&
      shardOf(setup.cluster, 'caves').players!.claims.arrivals.size === 0
    );
  }, 'the forest alone holding the player');
}

async function moveSucceeds(setup: Setup): Promise<void> {
  const { forest, caves, userId, world } = setup;
  await forest.migrate(playerIn(forest, userId)!, 'sinkhole');
  await until(
    () => world.id === 'caves' && world.state === 'connected' && playerIn(caves, userId),
    'in the caves',
  );
  expect(playerIn(forest, userId)).toBeUndefined();
  expect(seatedItems.get('caves')?.get(userId)).toEqual([`${userId}-sword`, `${userId}-shield`]);
  await eventually(async () => {
    const { location, rows } = await ledger(setup);
    return location?.world === 'caves' && rows.length === 1 && rows[0]!.shard === 'caves';
  }, 'the caves alone holding the player');
}

async function moveFails(setup: Setup): Promise<void> {
  const refused = await setup.forest
    .migrate(playerIn(setup.forest, setup.userId)!, 'sinkhole')
    .catch((error: unknown) => error);
  expect(isShardlineError(refused, 'MIGRATION_FAILED')).toBe(true);
}

describe('the portal hand-off under faults', () => {
  it('a transfer that never arrives is rolled back: the player stays, unfrozen, and can move later', async () => {
    const setup = await setUp();
    setup.forestEngine.add({ subject: '.transfers', op: 'transfer', fault: 'lose-request' });
    await moveFails(setup);
    expect(shardOf(setup.cluster, 'forest').players!.counts.rolledBack).toBe(1);
    await expectOnlyInForest(setup);
    await moveSucceeds(setup);
  });

  it('a transfer stored by the target whose answer is lost is rolled back, and the target drops it when its seat lapses', async () => {
    const setup = await setUp();
    setup.forestEngine.add({ subject: '.transfers', op: 'transfer', fault: 'lose-reply' });
    await moveFails(setup);
    await Promise.all(setup.forestEngine.stragglers);
    // The target holds the arrival until its reserved seat lapses; the directory does not name it.
    await expectOnlyInForest(setup);
    await moveSucceeds(setup);
  });

  it('a transfer delivered twice is applied once', async () => {
    const setup = await setUp();
    setup.forestEngine.add({ subject: '.transfers', op: 'transfer', fault: 'duplicate' });
    await moveSucceeds(setup);
    await Promise.all(setup.forestEngine.stragglers);
    expect(setup.caves.players.size).toBe(1);
    await until(() => setup.caves.stats().entities === 1, 'one body in the caves');
    expect(setup.caves.occupancy).toBe(1); // no second seat reserved
    expect((await ledger(setup)).rows).toEqual([{ shard: 'caves', world: 'caves', state: 'held' }]);
  });

  it('a transfer delivered after the source gave up changes nothing', async () => {
    const setup = await setUp();
    setup.forestEngine.add({ subject: '.transfers', op: 'transfer', fault: 'late', lateByMs: 100 });
    await moveFails(setup);
    await Promise.all(setup.forestEngine.stragglers); // it reached the target late, and was stored
    await expectOnlyInForest(setup);
    await moveSucceeds(setup);
  });

  it('a client whose link drops while it moves rejoins into the world that holds it now', async () => {
    const setup = await setUp();
    setup.forestEngine.add({ subject: '.transfers', op: 'transfer', fault: 'slow', lateByMs: 150 });
    const player = playerIn(setup.forest, setup.userId)!;
    const moving = setup.forest.migrate(player, 'sinkhole');
    await new Promise((resolve) => setTimeout(resolve, 50));
    shardOf(setup.cluster, 'forest').server.kick(player.session!.session, 'timeout');
    await moving;
    // Back on its old seat before the commit (then redirected), or rejoining after it (then seated
    // where the cluster holds it): either way, in the caves.
    await until(
      () => setup.world.id === 'caves' && setup.world.state === 'connected' && setup.world.me(StarterBody),
      'its body in the caves',
    );
    expect(seatedItems.get('caves')?.get(setup.userId)).toEqual([
      `${setup.userId}-sword`,
      `${setup.userId}-shield`,
    ]);
    expect(playerIn(setup.forest, setup.userId)).toBeUndefined();
  });

  it('without the commit hint the target admits the player from the directory', async () => {
    const setup = await setUp();
    setup.forestEngine.add({ subject: '.transfers', op: 'committed', fault: 'lose-request' });
    await moveSucceeds(setup);
  });

  it('a transfer from a fenced-out source is refused and nothing is stored', async () => {
    const setup = await setUp();
    // The forest's live lease has another token: this is a process that lost its lease.
    const request = transferRequest('ghost', 'fenced-1', 999_999);
    const refused = await setup.cavesEngine
      .request(transfersSubject(setup.name, 'caves'), request, 1_000)
      .catch((error: unknown) => error);
    expect(isShardlineError(refused, 'MIGRATION_FENCED')).toBe(true);
    expect((await ledger(setup, 'ghost')).rows).toEqual([]);
  });

  it('hostile bytes on the transfer subject are refused with a wire error; the shard goes on', async () => {
    const setup = await setUp();
    for (const payload of ['', '{', '{"op":"transfer"}', '{"op":"holds","transfer":"x"}', '[1,2]']) {
      const refused = await setup.cavesEngine
        .request(transfersSubject(setup.name, 'caves'), new TextEncoder().encode(payload), 1_000)
        .catch((error: unknown) => error);
      expect(isShardlineError(refused)).toBe(true);
      expect((refused as { code: string }).code).toMatch(/^WIRE_/);
    }
    await moveSucceeds(setup);
  });

  it('a flood of transfer requests is refused past the rate, and the shard goes on', async () => {
    const setup = await setUp();
    const subject = transfersSubject(setup.name, 'caves');
    const holds = new TextEncoder().encode(JSON.stringify({ op: 'holds', transfer: 'x1', userId: 'nobody' }));
    const answers = await Promise.all(
      Array.from({ length: TRANSFER_REQUEST_RATE.burst + TRANSFER_REQUEST_RATE.perSecond }, () =>
        setup.cavesEngine.request(subject, holds, 5_000).then(
          () => 'answered',
          (error: unknown) => (isShardlineError(error) ? error.code : 'ERROR'),
        ),
      ),
    );
    expect(answers.filter((answer) => answer === 'RATE_LIMITED').length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer !== 'RATE_LIMITED' && answer !== 'answered')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the bucket refills
    await moveSucceeds(setup);
  });

  it('the master resolves a move whose source died: back to the source if the target never stored it', async () => {
    const setup = await setUp();
    const directory = shardOf(setup.cluster, 'forest').players!.directory;
    await orphan(setup, 'ghost-a', 'never-stored', 1);
    await eventually(
      async () => (await directory.read('ghost-a'))?.location.state === 'in',
      'resolution',
      8_000,
    );
    expect((await directory.read('ghost-a'))?.location).toMatchObject({ state: 'in', world: 'forest' });
  });

  it('the master resolves a move whose source died: on to the target if it stored the player', async () => {
    const setup = await setUp();
    const forestToken = shardOf(setup.cluster, 'forest').shard!.membership.token;
    const stored = await setup.cavesEngine.request(
      transfersSubject(setup.name, 'caves'),
      transferRequest('ghost-b', 'stored-1', forestToken),
      1_000,
    );
    expect(JSON.parse(new TextDecoder().decode(stored))).toHaveProperty('token');
    const directory = shardOf(setup.cluster, 'forest').players!.directory;
    await orphan(setup, 'ghost-b', 'stored-1', forestToken, Date.now() - 10 * TRANSFER_TIMEOUT_MS);
    await eventually(
      async () => (await directory.read('ghost-b'))?.location.state === 'in',
      'resolution',
      8_000,
    );
    expect((await directory.read('ghost-b'))?.location).toMatchObject({
      state: 'in',
      world: 'caves',
      shard: 'caves',
      transfer: 'stored-1',
    });
  });
});

/** A transfer of a made-up player from the forest's sinkhole to the caves' stairs. */
function transferRequest(userId: string, transfer: string, fence: number): Uint8Array {
  const record = { entities: [], data: { items: [`${userId}-sword`] } };
  return new TextEncoder().encode(
    JSON.stringify({
      op: 'transfer',
      transfer,
      userId,
      from: { shard: 'forest', world: 'forest', portal: 'sinkhole', fence },
      to: { world: 'caves', portal: 'stairs' },
      revision: 1,
      record: Buffer.from(JSON.stringify(record)).toString('base64'),
    }),
  );
}

/** Writes the location a source that died after its checkout leaves behind. */
async function orphan(setup: Setup, userId: string, transfer: string, fence: number, atMs = Date.now()) {
  const leaving: PlayerLeaving = {
    state: 'leaving',
    world: 'forest',
    shard: 'forest',
    fence,
    transfer,
    to: { world: 'caves', portal: 'stairs', shard: 'caves' },
    atMs,
  };
  const bucket = await setup.forestEngine.directories.directory(`${setup.name}-players`);
  await bucket.put(playerKey(userId), encodeLocation(leaving));
}
