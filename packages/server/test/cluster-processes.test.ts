import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { isShardlineError, NatsEngine, Shard } from '@shardline/server';
import { Pool } from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { clusterEvents, clusterRpcs } from './support/cluster-game.js';
import { jsonCaller } from './support/json-http.js';
import { TEST_POSTGRES_URL, throwawaySchemaName } from './support/postgres.js';
import { isRunningLog, NATS, shardlineProcess } from './support/shard-processes.js';

/**
 * The cluster as real processes (issue 19's multi-process tests): three shards started with
 * `shardline shard start … --engine nats://…` and killed with SIGKILL, watched by a probe shard in
 * this process; and `cluster start` with `shard saves` and `shard rollback` from the CLI.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const GAME = join(HERE, 'support', 'cluster-game.ts');
const LEASE_MS = 1_500;

const children: ChildProcess[] = [];
const sockets: WebSocket[] = [];
const clustersMade: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});
afterAll(async () => {
  const admin = await connect({ servers: NATS.replace('nats://', '') });
  const manager = await jetstreamManager(admin);
  for (const cluster of clustersMade) {
    for (const stream of [`KV_${cluster}-shards`, `KV_${cluster}-roles`, `SHARDLINE_LOG_${cluster}-events`]) {
      await manager.streams.delete(stream).catch(() => {});
    }
  }
  await admin.drain();
});

function clusterFile(
  engine: string,
  shards: Record<string, unknown>,
  server: Record<string, unknown> = {},
): { file: string; name: string } {
  const dir = mkdtempSync(join(tmpdir(), 'shardline-cluster-'));
  const name = `proc-${process.pid}-${Date.now() % 1_000_000}`;
  clustersMade.push(name);
  const file = join(dir, 'cluster.json');
  writeFileSync(
    file,
    JSON.stringify({
      cluster: { name, description: 'Forest above, caves below', maxPlayers: 16, gameMode: 'survival' },
      engine,
      leaseMs: LEASE_MS,
      saveIntervalMs: 1_000,
      server: {
        host: '127.0.0.1',
        dataDir: join(dir, 'data'),
        httpPort: 0,
        udpPort: 0,
        wsPort: 0,
        ...server,
      },
      shards,
    }),
  );
  return { file, name };
}

/** `shardline …` from source; its log lines parsed as they come. */
function shardline(...args: string[]) {
  return shardlineProcess(args, { children });
}

type Cli = ReturnType<typeof shardline>;

function startShard(file: string, name: string): Cli {
  return shardline('shard', 'start', file, '--shard', name, '--engine', NATS, '--game', GAME);
}

const running = (cli: Cli) => cli.waitForLog(isRunningLog, 'running');
const msg = (text: string) => (entry: Record<string, unknown>) => entry.msg === text;

describe('a cluster of shard processes on NATS', () => {
  it('sees a killed shard gone within its lease, catches it up once on restart, and hands the master role to the standby', async () => {
    const { file, name } = clusterFile('in-process', {
      forest: { role: 'master', worlds: [{ kind: 'starter', id: 'forest' }] },
      caves: { role: 'secondary', standby: true, worlds: [{ kind: 'starter', id: 'caves' }] },
      ruins: { role: 'secondary', worlds: [{ kind: 'starter', id: 'ruins' }] },
      probe: { role: 'secondary' },
    });
    const forest = startShard(file, 'forest');
    await running(forest);
    const caves = startShard(file, 'caves');
    let ruins = startShard(file, 'ruins');
    await Promise.all([running(caves), running(ruins)]);

    const engine = await NatsEngine.connect({ url: NATS });
    const probe = await Shard.join({
      engine,
      settings: { name, description: '', maxPlayers: 16, gameMode: 'survival', hasPassword: false },
      shard: 'probe',
      role: 'secondary',
      standby: false,
      shards: ['forest', 'caves', 'ruins', 'probe'],
      configuredMaster: 'forest',
      leaseMs: LEASE_MS,
      game: { rpcs: clusterRpcs, events: clusterEvents },
      status: () => ({
        addresses: { http: '', udp: '', ws: '' },
        worlds: [],
        creates: [],
        startedAtMs: Date.now(),
      }),
    });
    try {
      await probe.followEvents();
      for (const world of ['forest', 'caves', 'ruins']) {
        await expect.poll(() => probe.isWorldAvailable(world), { timeout: 5_000 }).toBe(true);
      }
      expect(probe.master).toBe('forest');
      expect(await probe.rpc.call('ruins', 'whoAreYou', {})).toEqual({ shard: 'ruins' });
      expect(await probe.rpc.call('master', 'whoAreYou', {})).toEqual({ shard: 'forest' });
      const unknown = await probe.rpc.call('volcano', 'whoAreYou', {}).catch((error: unknown) => error);
      expect(isShardlineError(unknown, 'SHARD_UNKNOWN')).toBe(true);

      // An event ruins applies (and saves with) before it dies.
      const first = await probe.report('bossDefeated', { boss: 1, day: 3 });
      await ruins.waitForLog(
        (entry) => entry.msg === 'applied event' && entry.event === first.id,
        'first event',
      );
      await ruins.waitForLog(
        (entry) => entry.msg === 'shard index: saved 1' || entry.why === 'event',
        'a save',
      );

      // kill -9 ruins: the master and the probe see its world go within the lease (plus one read).
      await new Promise((resolve) => setTimeout(resolve, 300)); // its save after the event lands
      const killedAtMs = Date.now();
      ruins.child.kill('SIGKILL');
      await expect.poll(() => probe.isWorldAvailable('ruins'), { timeout: LEASE_MS * 3 }).toBe(false);
      const detectMs = Date.now() - killedAtMs;
      expect(detectMs).toBeLessThanOrEqual(LEASE_MS + 1_000);
      await forest.waitForLog(
        (entry) =>
          entry.msg === 'cluster: world-unavailable' &&
          (entry.change as { world?: string }).world === 'ruins',
        'forest seeing ruins go',
        LEASE_MS * 2,
      );

      // Events while it is down: the newest of each subject reaches it when it comes back.
      await probe.report('bossDefeated', { boss: 2, day: 5 });
      const replacing = await probe.report('bossDefeated', { boss: 2, day: 6 });
      const third = await probe.report('bossDefeated', { boss: 3, day: 7 });
      ruins = startShard(file, 'ruins');
      await running(ruins);
      await ruins.waitForLog((entry) => entry.event === third.id, 'caught up');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const applied = ruins.logs().filter(msg('applied event'));
      expect(applied.map((entry) => entry.event)).toEqual([replacing.id, third.id]);
      expect(ruins.logs().some((entry) => /^shard index: loading save \d+$/.test(String(entry.msg)))).toBe(
        true,
      );
      await expect.poll(() => probe.isWorldAvailable('ruins'), { timeout: 5_000 }).toBe(true);

      // kill -9 the master: the standby takes the role; shard RPC to "master" works again.
      forest.child.kill('SIGKILL');
      await expect.poll(() => probe.master, { timeout: LEASE_MS * 3 }).toBe('caves');
      expect(await probe.rpc.call('master', 'whoAreYou', {})).toEqual({ shard: 'caves' });
      expect(await probe.rpc.call('ruins', 'whoAreYou', {})).toEqual({ shard: 'ruins' });
    } finally {
      await probe.leave();
      await engine.close();
    }
  }, 90_000);

  it('runs a whole cluster from `cluster start`, lists its saves and rolls a shard back by N', async () => {
    const { file } = clusterFile('in-process', {
      forest: { role: 'master', worlds: [{ kind: 'starter', id: 'forest' }] },
      caves: { role: 'secondary', worlds: [{ kind: 'starter', id: 'caves' }] },
    });
    let cluster = shardline('cluster', 'start', file, '--game', GAME);
    await cluster.waitForLog(
      (entry) => entry.msg === 'shard index: saved 3' && entry.shard === 'caves',
      'three saves',
    );
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);

    const listed = shardline('shard', 'saves', file, '--shard', 'caves');
    expect(await listed.exited).toBe(0);
    const versions = [...listed.stdout().matchAll(/^save (\d+):/gm)].map((match) => Number(match[1]));
    expect(versions.length).toBeGreaterThanOrEqual(4);
    const newest = versions[0]!;

    const rollback = shardline('shard', 'rollback', file, '--shard', 'caves', '--saves', '2');
    expect(await rollback.exited).toBe(0);
    expect(rollback.stdout()).toContain(`its next start loads save ${newest - 2}:`);

    const tooFar = shardline('shard', 'rollback', file, '--shard', 'caves', '--saves', '99');
    expect(await tooFar.exited).toBe(2);
    expect(tooFar.stderr()).toMatch(/VALUE_INVALID/);

    cluster = shardline('cluster', 'start', file, '--game', GAME);
    await cluster.waitForLog(
      (entry) => entry.msg === `shard index: loading save ${newest - 2}` && entry.shard === 'caves',
      'rolled back',
    );
    await cluster.waitForLog(
      (entry) => entry.msg === `shard index: saved ${newest + 1}` && entry.shard === 'caves',
      'next save',
    );
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    const after = shardline('shard', 'saves', file, '--shard', 'caves');
    await after.exited;
    expect(after.stdout()).not.toContain('(undone)');
    expect(after.stdout()).not.toMatch(new RegExp(`^save ${newest}:`, 'm'));
  }, 90_000);

  it('serves lobbies and the matchmaking queue from two shard processes: members on either see each other, each ticket matched once', async () => {
    const schema = throwawaySchemaName();
    const { file } = clusterFile(
      'in-process',
      {
        alpha: { role: 'master', creates: ['starter'] },
        beta: { role: 'secondary', standby: true, creates: ['starter'] },
      },
      { postgresUrl: TEST_POSTGRES_URL, postgresSchema: schema },
    );
    try {
      const alpha = startShard(file, 'alpha');
      await running(alpha);
      const beta = startShard(file, 'beta');
      await running(beta);
      const httpOf = async (cli: Cli) => String((await cli.waitForLog(msg('listening'), 'listening')).http);
      const processes = { alpha: await httpOf(alpha), beta: await httpOf(beta) };
      const player = async (username: string, via: keyof typeof processes) => {
        const call = jsonCaller(`${processes[via]}/v1`);
        const { body } = await call('POST', '/accounts/register', {
          body: { username, password: 'correct horse battery' },
        });
        // biome-ignore lint/suspicious/noExplicitAny: pushed messages are JSON of several shapes
        const heard: any[] = [];
        const socket = new WebSocket(
          `${processes[via].replace('http', 'ws')}/v1/stream?access_token=${body.accessToken}`,
        );
        sockets.push(socket);
        socket.on('message', (data) => heard.push(JSON.parse(String(data))));
        await new Promise((resolve) => socket.once('open', resolve));
        return { id: body.user.id as string, token: body.accessToken as string, call, heard };
      };
      // biome-ignore lint/suspicious/noExplicitAny: pushed messages are JSON of several shapes
      const started = (heard: any[]): any[] => heard.filter((message) => message.type === 'lobby.started');

      // A lobby opened through beta (not the coordinator), joined through alpha, started through beta.
      const ann = await player('ann', 'beta');
      const bob = await player('bob', 'alpha');
      const lobby = await ann.call('POST', '/lobbies', {
        body: { maxPlayers: 4, access: 'public', world: 'starter' },
        token: ann.token,
      });
      expect(lobby.status).toBe(201);
      expect(
        (await bob.call('POST', `/lobbies/${lobby.body.id}/join`, { body: {}, token: bob.token })).status,
      ).toBe(200);
      await expect
        .poll(
          () =>
            ann.heard.some(
              (message) => message.type === 'lobby.updated' && message.lobby.members.length === 2,
            ),
          { timeout: 5_000 },
        )
        .toBe(true);
      expect((await ann.call('POST', `/lobbies/${lobby.body.id}/start`, { token: ann.token })).status).toBe(
        200,
      );
      await expect.poll(() => started(bob.heard).length, { timeout: 5_000 }).toBe(1);
      expect(started(bob.heard)[0].connect.world).toEqual(started(ann.heard)[0].connect.world);

      // Four tickets, two queued through each process: two matches, every player in one.
      const queued = await Promise.all([
        player('cat', 'alpha'),
        player('dan', 'beta'),
        player('eve', 'alpha'),
        player('fay', 'beta'),
      ]);
      const answers = await Promise.all(
        queued.map((each) =>
          each.call('POST', '/matchmaking/ticket', {
            body: { skill: 1000, region: 'eu' },
            token: each.token,
          }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
      await expect
        .poll(() => queued.map((each) => started(each.heard).length), { timeout: 10_000 })
        .toEqual([1, 1, 1, 1]);
      await new Promise((resolve) => setTimeout(resolve, 600)); // a tick more: nobody is matched again
      expect(queued.map((each) => started(each.heard).length)).toEqual([1, 1, 1, 1]);
      const lobbies = new Map<string, number>();
      for (const each of queued) {
        const { lobbyId } = started(each.heard)[0];
        lobbies.set(lobbyId, (lobbies.get(lobbyId) ?? 0) + 1);
      }
      expect([...lobbies.values()]).toEqual([2, 2]);
    } finally {
      for (const socket of sockets.splice(0)) socket.close();
      for (const child of children.splice(0)) child.kill('SIGKILL');
      const admin = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  }, 90_000);
});
