import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { isShardlineError, NatsEngine, Shard } from '@shardline/server';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { clusterEvents, clusterRpcs } from './support/cluster-game.js';

/**
 * The cluster as real processes (issue 19's multi-process tests): three shards started with
 * `shardline shard start … --engine nats://…` and killed with SIGKILL, watched by a probe shard in
 * this process; and `cluster start` with `shard saves` and `shard rollback` from the CLI.
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', 'src', 'cli.ts');
const GAME = join(HERE, 'support', 'cluster-game.ts');
const NATS = `nats://${process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222'}`.replace(
  'nats://nats://',
  'nats://',
);
const LEASE_MS = 1_500;

const children: ChildProcess[] = [];
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

function clusterFile(engine: string, shards: Record<string, unknown>): { file: string; name: string } {
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
      server: { host: '127.0.0.1', dataDir: join(dir, 'data'), httpPort: 0, udpPort: 0, wsPort: 0 },
      shards,
    }),
  );
  return { file, name };
}

/** `shardline …` from source; its log lines parsed as they come. */
function shardline(...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=shardline-source', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs = () =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const waitForLog = async (
    match: (entry: Record<string, unknown>) => boolean,
    what: string,
    timeoutMs = 30_000,
  ) => {
    const started = Date.now();
    for (;;) {
      const found = logs().find(match);
      if (found) return found;
      if (Date.now() - started > timeoutMs)
        throw new Error(`no ${what} log; stderr: ${stderr}; stdout: ${stdout.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  return { child, exited, logs, waitForLog, stdout: () => stdout, stderr: () => stderr };
}

type Cli = ReturnType<typeof shardline>;

function startShard(file: string, name: string): Cli {
  return shardline('shard', 'start', file, '--shard', name, '--engine', NATS, '--game', GAME);
}

const running = (cli: Cli) =>
  cli.waitForLog((entry) => /shards running here$/.test(String(entry.msg)), 'running');
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
});
