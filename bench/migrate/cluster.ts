/**
 * A cluster of real shard processes running the portal game (portal-world-game.ts) on NATS, for the
 * chaos run and bench:migrate: one shard per world (named after it), fixed ports (a restarted shard
 * is reached where it was), accounts and shard indexes in a throwaway Postgres schema (a player
 * signed in through one shard is the same player on the others), a unique cluster name. Shards
 * are started, killed with SIGKILL, stopped with SIGTERM and restarted; everything the run made
 * (processes, the schema, the cluster's NATS streams) goes in `dispose`.
 */
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsEngine } from '@shardline/server';
import { Pool } from 'pg';
import { TEST_POSTGRES_URL } from '../../packages/server/test/support/postgres.js';
import {
  isRunningLog,
  type LogEntry,
  NATS,
  type ShardlineProcess,
  shardlineProcess,
} from '../../packages/server/test/support/shard-processes.js';

const HERE = dirname(fileURLToPath(import.meta.url));
export const GAME = join(HERE, 'portal-world-game.ts');
export { NATS };

/** How long a shard process may take to say it runs, ms (tsx compiles the sources first). */
const START_LIMIT_MS = 90_000;
/** How long a SIGTERM'd shard may take to save and exit before it is killed, ms. */
const STOP_LIMIT_MS = 30_000;

export interface PortalClusterOptions {
  /** The shards, each hosting the world of its name; the first is the master, the second its standby. */
  shards: readonly string[];
  /** A prefix of the cluster's name (a unique suffix is added). */
  prefix: string;
  leaseMs: number;
  saveIntervalMs: number;
  /** Environment of the shard processes (the game's cooldown, its profile). */
  env?: NodeJS.ProcessEnv;
  /** Node's own flags for the shard processes (`--cpu-prof`). */
  execArgv?: string[];
  /** Every JSON log line of every shard process, with its shard's name. */
  onLog?: (shard: string, entry: LogEntry) => void;
}

interface Ports {
  http: number;
  ws: number;
  udp: number;
}

/** A free TCP port on 127.0.0.1 (closed again: the shard takes it). */
async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(() => resolve(undefined)));
  return port;
}

export class PortalCluster {
  readonly processes = new Map<string, ShardlineProcess>();
  /** Every process started (the dispose kills what is left). */
  private readonly children = new Set<ChildProcess>();
  /** Each shard's starts so far (1 after its first). */
  readonly starts = new Map<string, number>();

  private constructor(
    readonly options: PortalClusterOptions,
    readonly name: string,
    readonly schema: string,
    readonly dir: string,
    readonly file: string,
    readonly ports: ReadonlyMap<string, Ports>,
  ) {}

  static async create(options: PortalClusterOptions): Promise<PortalCluster> {
    const suffix = `${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e4)}`;
    const name = `${options.prefix}-${suffix}`.slice(0, 40);
    const schema = `mig_${suffix.replace(/-/g, '_')}`;
    const dir = mkdtempSync(join(tmpdir(), `${options.prefix}-`));
    mkdirSync(join(dir, 'logs'));
    const ports = new Map<string, Ports>();
    const taken = new Set<number>();
    const distinct = async (pick: () => Promise<number>) => {
      for (;;) {
        const port = await pick();
        if (!taken.has(port)) {
          taken.add(port);
          return port;
        }
      }
    };
    for (const shard of options.shards) {
      ports.set(shard, {
        http: await distinct(freeTcpPort),
        ws: await distinct(freeTcpPort),
        udp: await distinct(freeUdpPort),
      });
    }
    // The schema made once here: shards starting together on a new schema race in openPostgres's
    // CREATE SCHEMA IF NOT EXISTS, and one of them fails (a unique violation on pg_namespace).
    const admin = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
    const file = join(dir, 'cluster.json');
    writeFileSync(
      file,
      JSON.stringify(
        {
          cluster: { name, description: 'Forest, caves and ruins', maxPlayers: 2_000 },
          engine: NATS,
          leaseMs: options.leaseMs,
          saveIntervalMs: options.saveIntervalMs,
          server: {
            host: '127.0.0.1',
            dataDir: join(dir, 'data'),
            logLevel: 'info',
            postgresUrl: TEST_POSTGRES_URL,
            postgresSchema: schema,
            rateLimits: { perIpPerMinute: 10_000_000, perUserPerMinute: 10_000_000 },
          },
          shards: Object.fromEntries(
            options.shards.map((shard, i) => {
              const own = ports.get(shard)!;
              return [
                shard,
                {
                  role: i === 0 ? 'master' : 'secondary',
                  ...(i === 1 ? { standby: true } : {}),
                  worlds: [{ kind: 'portalworld', id: shard }],
                  httpPort: own.http,
                  wsPort: own.ws,
                  udpPort: own.udp,
                },
              ];
            }),
          ),
        },
        null,
        2,
      ),
    );
    return new PortalCluster(options, name, schema, dir, file, ports);
  }

  /** The HTTP address of the shard hosting `world` (its fixed port). */
  httpOf(world: string): string | undefined {
    const ports = this.ports.get(world);
    return ports && `http://127.0.0.1:${ports.http}`;
  }

  isUp(shard: string): boolean {
    const running = this.processes.get(shard);
    return running !== undefined && running.child.exitCode === null && running.child.signalCode === null;
  }

  /** Starts a shard process and waits until it runs (its start reconciled its records with the directory). */
  async start(shard: string): Promise<ShardlineProcess> {
    if (this.isUp(shard)) throw new Error(`${shard} runs already`);
    const starts = (this.starts.get(shard) ?? 0) + 1;
    this.starts.set(shard, starts);
    const running = shardlineProcess(
      ['shard', 'start', this.file, '--shard', shard, '--engine', NATS, '--game', GAME],
      {
        children: this.children,
        keep: false,
        logFile: join(this.dir, 'logs', `${shard}.log`),
        ...(this.options.env ? { env: this.options.env } : {}),
        ...(this.options.execArgv ? { execArgv: this.options.execArgv } : {}),
      },
    );
    this.processes.set(shard, running);
    const onLog = this.options.onLog;
    if (onLog) running.onLog((entry) => onLog(shard, entry));
    running.child.once('exit', () => this.children.delete(running.child));
    await running.waitForLog(isRunningLog, `${shard} running (start ${starts})`, START_LIMIT_MS);
    return running;
  }

  /** kill -9. */
  kill(shard: string): void {
    this.processes.get(shard)?.child.kill('SIGKILL');
  }

  /** Freezes a shard process (SIGSTOP) for `ms`, then lets it go on (SIGCONT): a stall past its lease. */
  async pause(shard: string, ms: number): Promise<void> {
    const child = this.processes.get(shard)?.child;
    if (!child) return;
    child.kill('SIGSTOP');
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      child.kill('SIGCONT');
    }
  }

  /** SIGTERM (the shard saves its seated players and leaves), and its exit code; SIGKILL past the limit. */
  async stop(shard: string): Promise<number | null | 'killed'> {
    const running = this.processes.get(shard);
    if (!running || !this.isUp(shard)) return null;
    running.child.kill('SIGTERM');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'killed'>((resolve) => {
      timer = setTimeout(() => {
        running.child.kill('SIGKILL');
        resolve('killed');
      }, STOP_LIMIT_MS);
    });
    try {
      return await Promise.race([running.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills every process left, then drops the Postgres schema and deletes the cluster's NATS streams. */
  async dispose(options: { keepSchema?: boolean } = {}): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    await Promise.all([...this.processes.values()].map((running) => running.exited));
    if (!options.keepSchema) {
      const admin = new Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
      } finally {
        await admin.end();
      }
    }
    const engine = await NatsEngine.connect({ url: NATS, name: `${this.name}-cleanup` });
    try {
      const manager = await jetstreamManager(engine.connection);
      for await (const stream of manager.streams.list()) {
        if (stream.config.name.includes(this.name)) await manager.streams.delete(stream.config.name);
      }
    } finally {
      await engine.close();
    }
  }
}

/** Kills every child of every cluster of this process on exit (a run that throws leaves none behind). */
export function killOnExit(clusters: () => Iterable<PortalCluster>): void {
  const killAll = () => {
    for (const cluster of clusters()) {
      for (const running of cluster.processes.values()) running.child.kill('SIGKILL');
    }
  };
  process.once('exit', killAll);
}
