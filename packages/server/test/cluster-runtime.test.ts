import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShardlineClient } from '@shardline/client';
import { isShardlineError, StarterBody, starterWorld } from '@shardline/core';
import {
  type ClusterConfig,
  openSqlite,
  parseClusterConfig,
  type RunningCluster,
  type ShardlineGame,
  serveWorld,
  startCluster,
} from '@shardline/server';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { jsonCaller } from './support/json-http.js';
import { TEST_POSTGRES_URL, throwawaySchemaName } from './support/postgres.js';

/**
 * `shardline cluster start` as a function: every shard of a config in one process on the
 * in-process engine, each a whole server with its own shard index; saves taken on shutdown and
 * loaded on start, a corrupt one skipped, a rolled-back one not loaded.
 */

/** The starter world, with the game's own data: how many times it was loaded from a save. */
const game: ShardlineGame = {
  worlds: [
    serveWorld(starterWorld, () => {
      let loads = 0;
      return {
        save: () => ({ loads }),
        restore: ({ data }) => {
          loads = Number(data.loads) + 1;
        },
      };
    }),
  ],
};

function config(dataDir: string): ClusterConfig {
  return parseClusterConfig({
    cluster: {
      name: `runtime-${process.pid}-${Date.now() % 100_000}`,
      description: 'Above and below',
      maxPlayers: 16,
    },
    engine: 'in-process',
    leaseMs: 600,
    keepSaves: 3,
    server: { host: '127.0.0.1', dataDir, logLevel: 'silent', httpPort: 0, udpPort: 0, wsPort: 0 },
    shards: {
      forest: { role: 'master', worlds: [{ kind: 'starter', id: 'forest' }] },
      caves: { role: 'secondary', standby: true, worlds: [{ kind: 'starter', id: 'caves' }] },
    },
  });
}

/** Log lines of the cluster, as objects. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

let running: RunningCluster | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('cluster start (in-process engine)', () => {
  it('runs every shard as a server that sees the others’ worlds', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shardline-cluster-'));
    running = await startCluster(config(dataDir), capturingLogger().logger, game);
    const forest = running.shards.get('forest')!;
    const caves = running.shards.get('caves')!;
    await expect.poll(() => forest.shard?.isWorldAvailable('caves'), { timeout: 2_000 }).toBe(true);
    expect(caves.shard?.isWorldAvailable('forest')).toBe(true);
    expect(forest.shard?.isMaster).toBe(true);
    expect(caves.shard?.master).toBe('forest');
    const located = forest.shard?.locate('caves');
    expect(located?.world).toEqual({ id: 'caves', kind: 'starter', players: 0, capacity: 64 });
    expect(forest.addresses.http).not.toBe(caves.addresses.http);

    // The dashboard's cluster view (GET /api/stats, also pushed on /live).
    const stats = (await (await fetch(`${forest.addresses.http}/api/stats`)).json()) as {
      cluster: { name: string; shard: string; master: string; shards: Record<string, unknown>[] };
    };
    expect(stats.cluster.shard).toBe('forest');
    expect(stats.cluster.master).toBe('forest');
    expect(
      stats.cluster.shards.map(({ name, role, standby, status, worlds, players }) => ({
        name,
        role,
        standby,
        status,
        worlds,
        players,
      })),
    ).toEqual([
      { name: 'forest', role: 'master', standby: false, status: 'up', worlds: 1, players: 0 },
      { name: 'caves', role: 'secondary', standby: true, status: 'up', worlds: 1, players: 0 },
    ]);
    expect(stats.cluster.shards[1]!.http).toBe(caves.addresses.http);
    await caves.stop();
    running.shards.delete('caves');
    await expect
      .poll(
        async () =>
          ((await (await fetch(`${forest.addresses.http}/api/stats`)).json()) as typeof stats).cluster
            .shards[1]!.status,
        { timeout: 3_000 },
      )
      .toBe('down');
  });

  it('saves the persistent worlds on shutdown and loads them on the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shardline-cluster-'));
    const cluster = config(dataDir);
    running = await startCluster(cluster, capturingLogger().logger, game);
    const forest = running.shards.get('forest')!.worlds.get('forest');
    forest.spawn(StarterBody, { x: 5, y: 7 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // a tick takes the spawn in
    const before = forest.saved();
    expect(before.entities).toHaveLength(1);
    await running.stop();

    const { logger, lines } = capturingLogger();
    running = await startCluster(cluster, logger, game);
    const after = running.shards.get('forest')!.worlds.get('forest').saved();
    expect(after.entities.map((entity) => [entity.schema, entity.state])).toEqual(
      before.entities.map((entity) => [entity.schema, entity.state]),
    );
    expect(after.data).toEqual({ loads: 1 });
    expect(lines.some((line) => line.shard === 'forest' && line.msg === 'shard index: loading save 1')).toBe(
      true,
    );
  });

  it('keeps the session’s world options and the enabled features in the shard index, and says when they change', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shardline-cluster-'));
    const cluster = config(dataDir);
    running = await startCluster(cluster, capturingLogger().logger, {
      ...game,
      cluster: { features: ['caves'] },
    });
    await running.stop();
    const changed = structuredClone(cluster);
    changed.shards[0]!.server = {
      ...changed.shards[0]!.server,
      worlds: [{ kind: 'starter', id: 'forest', options: { seed: 7 } }],
    };
    const { logger, lines } = capturingLogger();
    running = await startCluster(changed, logger, { ...game, cluster: { features: ['caves', 'winter'] } });
    const forest = (message: string) =>
      lines.filter((line) => line.shard === 'forest' && line.msg === message);
    expect(forest('shard index: the enabled features changed since the last start')).toMatchObject([
      { added: ['winter'], dropped: [] },
    ]);
    expect(
      forest(
        'shard index: the config gives other world options than the session was generated with; `shardline shard regenerate` to use them',
      ),
    ).toMatchObject([{ session: { forest: {} }, config: { forest: { seed: 7 } } }]);
    expect(lines.filter((line) => line.shard === 'caves' && /world options/.test(String(line.msg)))).toEqual(
      [],
    );
  });

  it('skips a corrupted newest save (flipped byte) with its reason, and loads the one before', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shardline-cluster-'));
    const cluster = config(dataDir);
    running = await startCluster(cluster, capturingLogger().logger, game);
    await running.stop(); // save 1: no entities
    running = await startCluster(cluster, capturingLogger().logger, game);
    running.shards.get('caves')!.worlds.get('caves').spawn(StarterBody, { x: 1, y: 2 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await running.stop(); // save 2: one entity
    running = undefined;

    const database = openSqlite(join(dataDir, 'caves', 'shardline.db'));
    const row = database.prepare('SELECT data FROM shard_index_saves WHERE version = 2').get() as {
      data: Buffer;
    };
    const flipped = Buffer.from(row.data);
    flipped[10] = flipped[10]! ^ 0x01;
    database.prepare('UPDATE shard_index_saves SET data = ? WHERE version = 2').run(flipped);
    database.close();

    const { logger, lines } = capturingLogger();
    running = await startCluster(cluster, logger, game);
    expect(
      lines.filter((line) => line.shard === 'caves' && line.reason === 'checksum-mismatch'),
    ).toHaveLength(1);
    expect(lines.some((line) => line.shard === 'caves' && line.msg === 'shard index: loading save 1')).toBe(
      true,
    );
    expect(running.shards.get('caves')!.worlds.get('caves').saved().entities).toEqual([]);
  });

  it('serves lobbies from every shard, coordinated by the master, and starts their worlds on a shard that creates the kind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shardline-cluster-'));
    const schema = throwawaySchemaName();
    const shared = parseClusterConfig({
      cluster: { name: `lobbies-${process.pid}-${Date.now() % 100_000}` },
      leaseMs: 600,
      // Accounts and sessions shared: a player signed in on one shard is known on the other.
      server: {
        dataDir,
        logLevel: 'silent',
        httpPort: 0,
        udpPort: 0,
        wsPort: 0,
        postgresUrl: TEST_POSTGRES_URL,
        postgresSchema: schema,
      },
      shards: {
        forest: { role: 'master', worlds: [{ kind: 'starter', id: 'forest' }] },
        caves: { role: 'secondary', creates: ['starter'], worlds: [{ kind: 'starter', id: 'caves' }] },
      },
    });
    running = await startCluster(shared, capturingLogger().logger, game);
    const forest = running.shards.get('forest')!;
    const caves = running.shards.get('caves')!;
    await expect.poll(() => forest.shard?.isWorldAvailable('caves'), { timeout: 3_000 }).toBe(true);
    const viaForest = jsonCaller(`${forest.addresses.http}/v1`);
    const viaCaves = jsonCaller(`${caves.addresses.http}/v1`);
    const signUp = async (call: typeof viaForest, username: string) =>
      (await call('POST', '/accounts/register', { body: { username, password: 'correct horse battery' } }))
        .body;
    const ann = await signUp(viaCaves, 'ann');
    const bob = await signUp(viaForest, 'bob');
    const bobHears: { type: string; connect?: { world: { id: string; kind: string } } }[] = [];
    const socket = new WebSocket(
      `${forest.addresses.http.replace('http', 'ws')}/v1/stream?access_token=${bob.accessToken}`,
    );
    socket.on('message', (data) => bobHears.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    try {
      // Ann opens a lobby through caves (not the coordinator); Bob finds and joins it through forest.
      const created = await viaCaves('POST', '/lobbies', {
        body: { maxPlayers: 4, access: 'public', world: 'starter' },
        token: ann.accessToken,
      });
      expect(created.status).toBe(201);
      expect(
        (await viaForest('POST', `/lobbies/${created.body.id}/join`, { body: {}, token: bob.accessToken }))
          .status,
      ).toBe(200);
      const started = await viaCaves('POST', `/lobbies/${created.body.id}/start`, { token: ann.accessToken });
      expect(started.status).toBe(200);
      await expect
        .poll(() => bobHears.some((message) => message.type === 'lobby.started'), { timeout: 3_000 })
        .toBe(true);
      // Placed on caves, the only shard that creates starter worlds on demand.
      const world = started.body.world as { id: string };
      expect(caves.worlds.get(world.id).visibility).toBe('restricted');
      expect(() => forest.worlds.get(world.id)).toThrow(/WORLD_NOT_FOUND/);
    } finally {
      socket.close();
      await running.stop();
      running = undefined;
      const { Pool } = await import('pg');
      const admin = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('asks every seat on every shard for the cluster’s password (WORLD_PASSWORD_INVALID, 403), the client giving it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'shardline-cluster-'));
    const guarded = parseClusterConfig({
      cluster: { name: `guarded-${process.pid}-${Date.now() % 100_000}`, password: 'hunter2' },
      server: { dataDir, logLevel: 'silent', httpPort: 0, udpPort: 0, wsPort: 0 },
      shards: {
        forest: { role: 'master', worlds: [{ kind: 'starter', id: 'forest' }] },
        caves: { role: 'secondary', worlds: [{ kind: 'starter', id: 'caves' }] },
      },
    });
    expect(guarded.shards.map((shard) => shard.server.password)).toEqual(['hunter2', 'hunter2']);
    running = await startCluster(guarded, capturingLogger().logger, game);
    const caves = running.shards.get('caves')!;
    const call = jsonCaller(`${caves.addresses.http}/v1`);
    const { body: user } = await call('POST', '/accounts/register', {
      body: { username: 'ann', password: 'correct horse battery' },
    });
    const seat = (password?: string) =>
      call('POST', '/worlds/caves/join', {
        body: {
          kind: 'starter',
          fingerprints: starterWorld.fingerprints,
          ...(password === undefined ? {} : { password }),
        },
        token: user.accessToken,
      });
    expect([(await seat()).status, (await seat()).body.code]).toEqual([403, 'WORLD_PASSWORD_INVALID']);
    expect([(await seat('hunter3')).status, (await seat('hunter3')).body.code]).toEqual([
      403,
      'WORLD_PASSWORD_INVALID',
    ]);
    expect((await seat('hunter2')).status).toBe(200);
    const token = (query: string) => fetch(`${caves.addresses.http}/api/token?client=bob${query}`);
    expect((await token('')).status).toBe(403);
    expect((await token('&password=hunter2')).status).toBe(200);

    const without = new ShardlineClient(caves.addresses.http);
    const refused = await without.joinById(starterWorld, 'caves').catch((error: unknown) => error);
    expect(isShardlineError(refused, 'WORLD_PASSWORD_INVALID')).toBe(true);
    const player = new ShardlineClient(caves.addresses.http, { password: 'hunter2' });
    const world = await player.joinById(starterWorld, 'caves');
    expect(world.id).toBe('caves');
    await world.leave();
  });
});
