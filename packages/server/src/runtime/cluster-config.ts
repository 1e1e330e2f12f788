import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_KEEP_SAVES } from '../cluster/shard-index/shard-index-store.js';
import { DEFAULT_LEASE_MS } from '../cluster/shard-membership.js';
import { isShardName, type ShardRole } from '../cluster/shard-status.js';
import { ConfigError, DEFAULT_CONFIG, parseConfig, type ShardlineConfig } from './config.js';

/**
 * A cluster as one JSON file (the seed's cluster.ini and each shard's server.ini together):
 *
 * ```json
 * {
 *   "cluster": { "name": "forest-and-caves", "description": "Above and below", "maxPlayers": 16,
 *                "gameMode": "survival", "password": "" },
 *   "engine": "in-process",
 *   "leaseMs": 3000,
 *   "server": { "host": "127.0.0.1", "dataDir": "data" },
 *   "shards": {
 *     "forest": { "role": "master", "worlds": [{ "kind": "overworld", "id": "forest" }],
 *                 "creates": ["duel"], "httpPort": 8080, "udpPort": 40000, "wsPort": 8081 },
 *     "caves": { "role": "secondary", "standby": true, "worlds": [{ "kind": "underworld", "id": "caves" }],
 *                "httpPort": 8090, "udpPort": 40010, "wsPort": 8091 }
 *   }
 * }
 * ```
 *
 * `server` holds any `shardline start` setting (ShardlineConfig) every shard shares; a shard's own
 * entry may set any of them too, over the shared ones. A shard's data lives in `<dataDir>/<shard>`
 * unless its entry names a dataDir.
 */
export interface ClusterConfig {
  name: string;
  description: string;
  /** Players the whole cluster admits; each shard's maxClients defaults to it. */
  maxPlayers: number;
  gameMode: string;
  /** Every shard's join password when set (ShardlineConfig.password); never published. */
  password: string | undefined;
  /** `in-process` (every shard in one process) or a NATS URL (`nats://127.0.0.1:4222`). */
  engine: string;
  /** How long a shard's lease lives unrenewed, ms: a killed shard is seen gone within it. */
  leaseMs: number;
  /** How often each shard saves its persistent worlds into its shard index, ms (and on shutdown). */
  saveIntervalMs: number;
  /** Saves kept per shard (the seed's max_snapshots); `shard rollback` goes back through them. */
  keepSaves: number;
  /** Every shard, in the file's order. */
  shards: ShardConfig[];
}

export interface ShardConfig {
  name: string;
  role: ShardRole;
  /** A secondary that takes the master role while the master is gone. */
  standby: boolean;
  /** World kinds it creates on demand (lobbies' and matches' instances). */
  creates: string[];
  /** What `shardline start` would run this shard with (its persistent worlds in `worlds`). */
  server: ShardlineConfig;
}

/** How often a shard saves by default, ms. */
export const DEFAULT_SAVE_INTERVAL_MS = 120_000;

const TOP_KEYS = ['cluster', 'engine', 'leaseMs', 'saveIntervalMs', 'keepSaves', 'server', 'shards'];
const CLUSTER_KEYS = ['name', 'description', 'maxPlayers', 'gameMode', 'password'];

/** Reads and checks a cluster config file; ConfigError names the first bad key. */
export function loadClusterConfig(file: string): ClusterConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError('(file)', `${file} is not readable JSON: ${(error as Error).message}`);
  }
  return parseClusterConfig(raw);
}

/** Checks every key (unknown keys are errors, so typos do not pass silently). */
export function parseClusterConfig(raw: unknown): ClusterConfig {
  const top = object('(file)', raw);
  for (const key of Object.keys(top)) {
    if (!TOP_KEYS.includes(key)) throw new ConfigError(key, `is not a setting (${TOP_KEYS.join(', ')})`);
  }
  const cluster = object('cluster', top.cluster);
  for (const key of Object.keys(cluster)) {
    if (!CLUSTER_KEYS.includes(key))
      throw new ConfigError(`cluster.${key}`, `is not a setting (${CLUSTER_KEYS.join(', ')})`);
  }
  if (!isShardName(cluster.name)) {
    throw new ConfigError('cluster.name', 'must be 1–40 letters, digits, _ or -', { value: cluster.name });
  }
  const maxPlayers = cluster.maxPlayers ?? DEFAULT_CONFIG.maxClients;
  if (!Number.isInteger(maxPlayers) || (maxPlayers as number) < 1 || (maxPlayers as number) > 100_000) {
    throw new ConfigError('cluster.maxPlayers', 'must be a whole number 1–100000', { value: maxPlayers });
  }
  const password = cluster.password ? text('cluster.password', cluster.password) : undefined;
  const shared = parseConfig(top.server ?? {}, {
    ...DEFAULT_CONFIG,
    maxClients: maxPlayers as number,
    // The cluster's password guards every shard's seats (a shard's own `password` overrides it).
    password,
  });
  const shards = Object.entries(object('shards', top.shards)).map(([name, entry]) =>
    shard(name, entry, shared),
  );
  checkShards(shards);
  const leaseMs = top.leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isInteger(leaseMs) || (leaseMs as number) < 300 || (leaseMs as number) > 60_000) {
    throw new ConfigError('leaseMs', 'must be a whole number of ms 300–60000', { value: leaseMs });
  }
  return {
    name: cluster.name,
    description: text('cluster.description', cluster.description ?? ''),
    maxPlayers: maxPlayers as number,
    gameMode: text('cluster.gameMode', cluster.gameMode ?? 'default'),
    password,
    engine: engine(top.engine ?? 'in-process'),
    leaseMs: leaseMs as number,
    saveIntervalMs: whole(
      'saveIntervalMs',
      top.saveIntervalMs ?? DEFAULT_SAVE_INTERVAL_MS,
      1_000,
      86_400_000,
    ),
    keepSaves: whole('keepSaves', top.keepSaves ?? DEFAULT_KEEP_SAVES, 1, 1_000),
    shards,
  };
}

/** `in-process`, or a nats:// URL; ConfigError otherwise (for `--engine` too). */
export function engine(value: unknown): string {
  if (value === 'in-process' || (typeof value === 'string' && /^nats:\/\/[^\s/]+$/.test(value))) return value;
  throw new ConfigError('engine', 'must be "in-process" or a nats://host:port URL', { value });
}

function shard(name: string, entry: unknown, shared: ShardlineConfig): ShardConfig {
  const key = `shards.${name}`;
  if (!isShardName(name)) throw new ConfigError(key, 'is not a shard name: 1–40 letters, digits, _ or -');
  const { role, standby, creates, ...server } = object(key, entry);
  if (role !== 'master' && role !== 'secondary')
    throw new ConfigError(`${key}.role`, 'must be "master" or "secondary"');
  if (standby !== undefined && typeof standby !== 'boolean')
    throw new ConfigError(`${key}.standby`, 'must be true or false');
  if (standby && role === 'master')
    throw new ConfigError(`${key}.standby`, 'is for a secondary (the master needs no standby of itself)');
  const kinds = creates ?? [];
  if (!Array.isArray(kinds) || !kinds.every((kind) => typeof kind === 'string' && kind.length > 0)) {
    throw new ConfigError(`${key}.creates`, 'must be a list of world kind names');
  }
  let config: ShardlineConfig;
  try {
    config = parseConfig(server, { ...shared, dataDir: join(shared.dataDir, name) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${key}.${error.key}`, error.problem);
  }
  return { name, role, standby: standby ?? false, creates: kinds, server: config };
}

/** One master; no port or persistent world named twice across shards. */
function checkShards(shards: ShardConfig[]): void {
  const masters = shards.filter((shard) => shard.role === 'master');
  if (masters.length !== 1) {
    throw new ConfigError(
      'shards',
      `must have exactly one master, not ${masters.length} (${masters.map((s) => s.name).join(', ')})`,
    );
  }
  const ports = new Map<number, string>();
  const worlds = new Map<string, string>();
  for (const shard of shards) {
    for (const key of ['httpPort', 'udpPort', 'wsPort'] as const) {
      const port = shard.server[key];
      const owner = ports.get(port);
      if (port !== 0 && owner !== undefined) {
        throw new ConfigError(`shards.${shard.name}.${key}`, `is ${port}, which ${owner} uses too`);
      }
      ports.set(port, `${shard.name}.${key}`);
    }
    for (const world of shard.server.worlds) {
      const owner = worlds.get(world.id);
      if (owner !== undefined)
        throw new ConfigError(`shards.${shard.name}.worlds`, `names ${world.id}, which ${owner} hosts`);
      worlds.set(world.id, shard.name);
    }
  }
}

function whole(key: string, value: unknown, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new ConfigError(key, `must be a whole number ${min}–${max}`, { value });
  }
  return value as number;
}

function object(key: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(key, 'must be an object');
  return value as Record<string, unknown>;
}

function text(key: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 1_000)
    throw new ConfigError(key, 'must be text (at most 1000 characters)');
  return value;
}
