import { ShardlineError } from '@shardline/core';

/** A shard's role in its cluster config: one master, the others secondary. */
export type ShardRole = 'master' | 'secondary';

/** A world as its shard publishes it with its lease (what isWorldAvailable and isWorldFull read). */
export interface WorldStatus {
  /** The instance id (`forest`, or a match's random id). */
  id: string;
  kind: string;
  players: number;
  /** Seats in all (the kind's maxPlayers). */
  capacity: number;
  /**
   * The world's portals (docs/cluster/CLUSTER.md §8), each `portal id → partner world/portal` as
   * this shard's game pairs them; absent when it has none.
   */
  portals?: Record<string, string>;
}

/** What a shard writes into its lease each renewal: who it is, where, and what it hosts. */
export interface ShardStatus {
  shard: string;
  /** Its configured role (the master role itself is a lease of its own: see ShardMembership.master). */
  role: ShardRole;
  /** May take the master role when the master is gone. */
  standby: boolean;
  /** Where players reach it: its HTTP service, UDP and WebSocket transports. */
  addresses: { http: string; udp: string; ws: string };
  worlds: WorldStatus[];
  /** World kinds it creates on demand (matches, lobbies). */
  creates: string[];
  /** Shard RPC calls it served over the last second. */
  rpcPerSecond: number;
  startedAtMs: number;
  /**
   * The fencing token of the lease this status is written under (absent in the lease's first
   * write, which makes the token): a transfer claiming another token is from a fenced-out shard.
   */
  leaseToken?: number;
  /** Players it moved out through portals, took in, and moves rolled back, since it started. */
  moves?: { out: number; in: number; rolledBack: number; orphansResolved: number };
}

/** Longest shard or cluster name; both are 1–this many letters, digits, `_` and `-`. */
export const MAX_SHARD_NAME_LENGTH = 40;
const NAME = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_SHARD_NAME_LENGTH}}$`);

export function isShardName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

export function checkShardName(name: string, what: 'shard' | 'cluster'): void {
  if (!isShardName(name)) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `a ${what} name is 1–${MAX_SHARD_NAME_LENGTH} letters, digits, _ or -, not ${JSON.stringify(name)}`,
    );
  }
}

export function encodeStatus(status: ShardStatus): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(status));
}

/**
 * A status read from another shard's lease, checked field by field (another shard is not trusted):
 * undefined if it is not one.
 */
export function decodeStatus(bytes: Uint8Array): ShardStatus | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const status = value as Partial<ShardStatus> | null;
  if (
    !status ||
    !isShardName(status.shard) ||
    (status.role !== 'master' && status.role !== 'secondary') ||
    typeof status.standby !== 'boolean' ||
    !isAddresses(status.addresses) ||
    !Array.isArray(status.worlds) ||
    !status.worlds.every(isWorldStatus) ||
    !Array.isArray(status.creates) ||
    !status.creates.every((kind) => typeof kind === 'string') ||
    !isCount(status.rpcPerSecond) ||
    !isCount(status.startedAtMs) ||
    (status.leaseToken !== undefined && !isCount(status.leaseToken)) ||
    (status.moves !== undefined && !isMoves(status.moves))
  ) {
    return undefined;
  }
  return status as ShardStatus;
}

function isAddresses(value: unknown): value is ShardStatus['addresses'] {
  const addresses = value as Record<string, unknown> | null;
  return (
    typeof addresses === 'object' &&
    addresses !== null &&
    ['http', 'udp', 'ws'].every((key) => typeof addresses[key] === 'string')
  );
}

function isWorldStatus(value: unknown): value is WorldStatus {
  const world = value as Partial<WorldStatus> | null;
  return (
    typeof world === 'object' &&
    world !== null &&
    typeof world.id === 'string' &&
    typeof world.kind === 'string' &&
    isCount(world.players) &&
    isCount(world.capacity) &&
    (world.portals === undefined || isPortalMap(world.portals))
  );
}

function isMoves(value: unknown): value is NonNullable<ShardStatus['moves']> {
  const moves = value as Record<string, unknown> | null;
  return (
    typeof moves === 'object' &&
    moves !== null &&
    ['out', 'in', 'rolledBack', 'orphansResolved'].every((key) => isCount(moves[key]))
  );
}

function isPortalMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((partner) => typeof partner === 'string')
  );
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
