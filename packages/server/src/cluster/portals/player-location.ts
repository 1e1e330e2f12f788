import { ShardlineError } from '@shardline/core';
import { isShardName } from '../shard-status.js';

/**
 * Where one player is, as the cluster's player directory keeps it (docs/cluster/CLUSTER.md §8):
 * bucket `<cluster>-players`, key `player/<user id as base64url>`, this as JSON. Only compare-and-set
 * changes it, so two shards never both win a write.
 * - `in`: the world `world` on shard `shard` holds the player; `fence` is that shard's lease token
 *   when it claimed the player (a later incarnation of the shard claims it again with a larger one).
 *   `transfer` names the transfer that brought the player there, if one did.
 * - `leaving`: the transfer `transfer` is moving the player from `world` (on `shard`, acting under
 *   lease token `fence`) to `to`; it started at `atMs`.
 */
export type PlayerLocation = PlayerIn | PlayerLeaving;

export interface PlayerIn {
  state: 'in';
  world: string;
  shard: string;
  fence: number;
  transfer?: string;
}

export interface PlayerLeaving {
  state: 'leaving';
  world: string;
  shard: string;
  fence: number;
  transfer: string;
  to: PortalEnd & { shard: string };
  atMs: number;
}

/** One end of a portal: a world instance id and the portal's id in it. */
export interface PortalEnd {
  world: string;
  portal: string;
}

/** Longest user id a player directory key is made from, UTF-8 bytes. */
export const MAX_USER_ID_BYTES = 128;
/** Longest world id, portal id or transfer id, characters. */
export const MAX_PORTAL_NAME_LENGTH = 64;
const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Whether `name` may be a world, portal or transfer id here: 1–64 letters, digits, `_ . : -`. */
export function isPortalName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/** The directory key of a user's location (VALUE_INVALID for an empty or too long user id). */
export function playerKey(userId: string): string {
  const bytes = Buffer.from(userId, 'utf8');
  if (bytes.length === 0 || bytes.length > MAX_USER_ID_BYTES) {
    throw new ShardlineError('VALUE_INVALID', `a user id is 1–${MAX_USER_ID_BYTES} UTF-8 bytes`);
  }
  return `player/${bytes.toString('base64url')}`;
}

export function encodeLocation(location: PlayerLocation): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(location));
}

/**
 * A location read from the directory, checked field by field (any shard may have written it):
 * undefined if it is not one — the entry is then treated as absent by nobody: callers refuse to act.
 */
export function decodeLocation(bytes: Uint8Array): PlayerLocation | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { state, world, shard, fence, transfer } = value;
  if (!isPortalName(world) || !isShardName(shard) || !isFence(fence)) return undefined;
  if (state === 'in') {
    if (transfer !== undefined && !isPortalName(transfer)) return undefined;
    return { state, world, shard, fence, ...(transfer === undefined ? {} : { transfer }) };
  }
  if (state !== 'leaving' || !isPortalName(transfer)) return undefined;
  const to = value.to as Record<string, unknown> | undefined;
  const atMs = value.atMs;
  if (typeof to !== 'object' || to === null || typeof atMs !== 'number' || !Number.isFinite(atMs)) {
    return undefined;
  }
  if (!isPortalName(to.world) || !isPortalName(to.portal) || !isShardName(to.shard)) return undefined;
  return {
    state,
    world,
    shard,
    fence,
    transfer,
    to: { world: to.world, portal: to.portal, shard: to.shard },
    atMs,
  };
}

function isFence(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
