/**
 * The packages as users get them: `npm pack` of core, client and server (each rebuilds its dist/
 * first, its `prepack` script), installed from the tarballs into a project outside the workspace,
 * where plain `node` runs the game in fixtures/packed-game (no tsx, no `shardline-source` condition,
 * no workspace links) with `npx shardline`. better-sqlite3 compiles from source during the install
 * (no prebuilt binary is reachable here): most of this file's minute or two.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'packed-game');
const PACKAGES = ['core', 'client', 'server'] as const;
/** The oldest Node the packages claim (their `engines`); every dependency must accept it. */
const OLDEST_NODE = '20.19.0';

/** A user's shell: none of the npm_* variables `npm test` sets, no NODE_OPTIONS (conditions, loaders). */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'NODE_OPTIONS'),
);

/** Runs a command to its end; rejects with its output if it fails. */
async function run(command: string, args: string[], cwd: string, timeoutMs = 240_000, env = userEnv) {
  try {
    return await promisify(execFile)(command, args, {
      cwd,
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: timeoutMs,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${(error as Error).message}\n${stdout}\n${stderr}`);
  }
}

interface PackedFile {
  path: string;
  mode: number;
}
interface Packed {
  name: string;
  filename: string;
  files: PackedFile[];
}

let directory: string;
let project: string;
let packed: Packed[];
let installOutput: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'shardline-packed-'));
  const startedMs = performance.now();
  const workspaces = PACKAGES.flatMap((name) => ['--workspace', `packages/${name}`]);
  const pack = await run('npm', ['pack', ...workspaces, '--pack-destination', directory, '--json'], ROOT);
  packed = JSON.parse(pack.stdout) as Packed[];
  const packedMs = performance.now();

  project = join(directory, 'game');
  mkdirSync(project);
  cpSync(FIXTURE, project, { recursive: true });
  const dependencies = Object.fromEntries(
    packed.map((tarball) => [tarball.name, `file:${join(directory, tarball.filename)}`]),
  );
  // What a user's project says: the tarballs, and better-sqlite3's install script approved.
  const manifest = {
    name: 'packed-game',
    private: true,
    type: 'module',
    dependencies,
    allowScripts: { 'better-sqlite3': true },
  };
  writeFileSync(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  // JOBS: node-gyp compiles better-sqlite3's sources in parallel (about a fifth faster on two cores).
  const installEnv = { ...userEnv, JOBS: 'max' };
  const install = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund'],
    project,
    300_000,
    installEnv,
  );
  installOutput = install.stdout + install.stderr;
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  console.info(
    `packed in ${seconds(packedMs - startedMs)} s, installed in ${seconds(performance.now() - packedMs)} s (better-sqlite3 built from source)`,
  );
}, 420_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('the packed packages', () => {
  it("hold each package's built code with declarations and source maps, for every source file", () => {
    expect(packed.map((tarball) => tarball.name)).toEqual(PACKAGES.map((name) => `@shardline/${name}`));
    for (const tarball of packed) {
      const paths = new Set(tarball.files.map((file) => file.path));
      const sources = [...paths].filter((path) => /^src\/.*\.ts$/.test(path));
      expect(sources.length, tarball.name).toBeGreaterThan(0);
      for (const source of sources) {
        const built = source.replace(/^src\//, 'dist/').replace(/\.ts$/, '');
        for (const suffix of ['.js', '.js.map', '.d.ts'])
          expect(paths, tarball.name).toContain(built + suffix);
      }
      expect(
        [...paths].filter((path) => /tsbuildinfo|(^|\/)test\//.test(path)),
        tarball.name,
      ).toEqual([]);
    }
    const client = new Set(packed[1]!.files.map((file) => file.path));
    expect(client).toContain('dist/browser/shardline-client.js');
    const server = packed[2]!.files;
    const modeOf = (path: string) => server.find((file) => file.path === path)?.mode;
    expect(modeOf('bin/shardline.js')! & 0o111).toBe(0o111); // executable
    expect(modeOf('dist/cli.js')! & 0o111).toBe(0o111);
  });

  it('install without a warning, and no dependency wants a newer Node than the packages claim', () => {
    expect(installOutput).not.toMatch(/npm warn|EBADENGINE/i);
    const semver = createRequire(join(ROOT, 'package.json'))('semver') as {
      satisfies(version: string, range: string): boolean;
    };
    const tooNew: string[] = [];
    const visit = (modules: string) => {
      for (const entry of readdirSync(modules)) {
        if (entry.startsWith('.')) continue;
        if (entry.startsWith('@')) {
          visit(join(modules, entry));
          continue;
        }
        const manifest = join(modules, entry, 'package.json');
        if (!existsSync(manifest)) continue;
        const { name, version, engines } = JSON.parse(readFileSync(manifest, 'utf8')) as {
          name: string;
          version: string;
          engines?: { node?: string };
        };
        if (engines?.node && !semver.satisfies(OLDEST_NODE, engines.node))
          tooNew.push(`${name}@${version} wants Node ${engines.node}`);
        if (existsSync(join(modules, entry, 'node_modules'))) visit(join(modules, entry, 'node_modules'));
      }
    };
    visit(join(project, 'node_modules'));
    expect(tooNew).toEqual([]);
  });

  it('give `npx shardline` from the tarball', async () => {
    const help = await run('npx', ['shardline', '--help'], project, 30_000);
    expect(help.stdout).toMatch(/^Usage: shardline /);
    expect(help.stdout).toMatch(/^ {2}start /m);
  }, 60_000);

  it('run a two-kind game: a Node client joins one world, receives state and calls an RPC that replies', async () => {
    // The bin npx runs (previous test), started directly so that signals reach the server itself.
    const bin = join(project, 'node_modules', '.bin', 'shardline');
    const server = spawn(bin, ['start', '--game', './server.mjs'], {
      cwd: project,
      env: {
        ...userEnv,
        SHARDLINE_HTTP_PORT: '0',
        SHARDLINE_UDP_PORT: '0',
        SHARDLINE_WS_PORT: '0',
        SHARDLINE_DATA_DIR: join(project, 'data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(server);
    let output = '';
    server.stdout!.on('data', (chunk) => (output += chunk));
    server.stderr!.on('data', (chunk) => (output += chunk));
    const http = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" log: ${output}`)), 30_000);
      server.stdout!.on('data', () => {
        const listening = output.match(/"http":"(http:\/\/[^"]+)".*"msg":"listening"/);
        if (listening) {
          clearTimeout(timer);
          resolve(listening[1]!);
        }
      });
      server.once('exit', (code) => reject(new Error(`the server exited (${code}): ${output}`)));
    });
    const played = await run(process.execPath, ['client.mjs', http], project, 30_000);
    expect(JSON.parse(played.stdout)).toEqual({
      seat: 's1',
      replies: [{ value: 3 }, { value: 7 }],
      seen: 7,
      worlds: ['counting/…', 'hall/hall'],
    });

    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);

  it('run a cluster: two shards, each its own `shardline shard start --engine nats://…`, see each other, and a player walks from one to the other', async () => {
    const bin = join(project, 'node_modules', '.bin', 'shardline');
    const cluster = `packed-${process.pid}-${Date.now() % 1_000_000}`;
    writeFileSync(
      join(project, 'cluster.json'),
      JSON.stringify({
        cluster: { name: cluster, description: 'installed from the tarballs' },
        server: { dataDir: join(project, 'cluster-data'), httpPort: 0, udpPort: 0, wsPort: 0 },
        shards: {
          above: { role: 'master', worlds: [{ kind: 'hall', id: 'above-hall' }] },
          below: { role: 'secondary', standby: true, worlds: [{ kind: 'hall', id: 'below-hall' }] },
        },
      }),
    );
    const nats = `nats://${process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222'}`.replace(
      'nats://nats://',
      'nats://',
    );
    const shard = (name: string) => {
      const child = spawn(
        bin,
        ['shard', 'start', 'cluster.json', '--shard', name, '--engine', nats, '--game', './server.mjs'],
        {
          cwd: project,
          env: userEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      children.push(child);
      let output = '';
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      const http = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "listening" log: ${output}`)), 30_000);
        child.stdout!.on('data', () => {
          const listening = output.match(/"http":"(http:\/\/[^"]+)".*"msg":"listening"/);
          if (listening) {
            clearTimeout(timer);
            resolve(listening[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`${name} exited (${code}): ${output}`)));
      });
      return { child, http };
    };
    const above = shard('above');
    const below = shard('below');
    const [aboveHttp] = await Promise.all([above.http, below.http]);
    type Stats = { cluster: { master: string; shards: { name: string; status: string; worlds: number }[] } };
    const statsOf = async () => ((await (await fetch(`${aboveHttp}/api/stats`)).json()) as Stats).cluster;
    await expect
      .poll(
        async () => (await statsOf()).shards.map(({ name, status, worlds }) => `${name} ${status} ${worlds}`),
        {
          timeout: 10_000,
        },
      )
      .toEqual(['above up 2', 'below up 2']);
    expect((await statsOf()).master).toBe('above');
    // A player walks through the door (a portal pair the game declares) to the other shard's hall.
    const moved = await run(process.execPath, ['mover.mjs', aboveHttp], project, 30_000);
    expect(JSON.parse(moved.stdout)).toEqual({
      from: 'above-hall',
      to: 'below-hall',
      portal: 'door',
      seated: true,
    });
    for (const { child } of [below, above]) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    // What the cluster left on the engine: its lease buckets, its player directory and its event log.
    const admin = await connect({ servers: nats.replace('nats://', '') });
    const streams = (await jetstreamManager(admin)).streams;
    for (const stream of [
      `KV_${cluster}-shards`,
      `KV_${cluster}-roles`,
      `KV_${cluster}-players`,
      `SHARDLINE_LOG_${cluster}-events`,
    ]) {
      await streams.delete(stream).catch(() => {});
    }
    await admin.drain();
  }, 90_000);

  it("type-check a user's TypeScript against their declarations", async () => {
    writeFileSync(
      join(project, 'uses-types.ts'),
      [
        "import { type JoinedWorld, ShardlineClient } from '@shardline/client';",
        "import { UdpClientTransport } from '@shardline/client/node';",
        "import { defineEntity, defineWorld, t } from '@shardline/core';",
        "import { type ShardlineGame, serveWorld, startShardline } from '@shardline/server';",
        "const Thing = defineEntity('Thing', { hp: t.int({ min: 0, max: 10 }) });",
        "const things = defineWorld('things', { entities: [Thing] });",
        'export const game: ShardlineGame = {',
        '  worlds: [serveWorld(things, (world) => ({ join: (player) => { world.spawn(Thing, { hp: 3 }, { owner: player }); } }))],',
        '};',
        'export async function play(): Promise<number | undefined> {',
        "  const world: JoinedWorld<typeof things> = await new ShardlineClient('http://127.0.0.1:8080').join(things);",
        '  return world.me(Thing)?.state.hp;',
        '}',
        'export const used = [UdpClientTransport, startShardline];',
        '// @ts-expect-error: a field the schema does not have',
        'Thing.create({ hp: 3, mana: 1 });',
      ].join('\n'),
    );
    // The workspace's compiler, on the project's files and installed packages only (no skipLibCheck).
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const options = ['--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022', 'uses-types.ts'];
    await run(process.execPath, [tsc, ...options], project, 60_000);
  }, 90_000);

  it('offer the browser bundle as @shardline/client/browser', async () => {
    const script =
      "const m = await import('@shardline/client/browser'); console.log(typeof m.ShardlineClient);";
    const imported = await run(process.execPath, ['--input-type=module', '-e', script], project, 30_000);
    expect(imported.stdout.trim()).toBe('function');
  }, 60_000);
});
