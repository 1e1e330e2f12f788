import type { ShardlineError } from '@shardline/core';
import type { PlayerRecord } from '../cluster/portals/player-record.js';
import type { Player } from './player.js';
import type { PortalState } from './serve-world.js';
import type { WorldInstance } from './world-instance.js';

/**
 * How a player comes into a world that keeps player records (a persistent world of a cluster
 * shard, docs/cluster/CLUSTER.md §8), decided before its hello is answered:
 * - `new`: the cluster never held the player; the game's `join` runs.
 * - `returning`: the world holds the player's record (kept from an earlier visit or a save, or
 *   stored by the transfer that brought it through `arrival.portal`): its entities are spawned
 *   again, owned by the player, and the game's `arrive` runs.
 * - `refused`: it may not come in here (PLAYER_ELSEWHERE, MIGRATION_BUSY, …).
 */
export type Admission =
  | { kind: 'new' }
  | { kind: 'returning'; record: PlayerRecord; arrival?: PortalArrival }
  | { kind: 'refused'; error: ShardlineError };

/** Where a player came through: the portal it arrives at here, and the world and portal it left. */
export interface PortalArrival {
  portal: string;
  from: { world: string; portal: string };
}

/**
 * What a world that keeps player records asks its shard (the cluster's player directory and the
 * shard index behind it). Implemented by ShardPlayers; worlds of a process that is not a shard have none.
 */
export interface PlayerHomes {
  /** Whether and how `clientId` comes into `world` (see Admission); never rejects. */
  admit(world: WorldInstance, clientId: string): Promise<Admission>;
  /** An admitted player took its seat (after the game's `join` or `arrive`): its record is kept from now on. */
  seated(world: WorldInstance, player: Player, admission: Admission): void;
  /** A player gave up its seat here (not through a portal): the world keeps its record until it returns. */
  away(world: WorldInstance, player: Player, record: PlayerRecord): void;
  /** See HostedWorld.migrate. */
  migrate(world: WorldInstance, player: Player, portal: string): Promise<void>;
  /** See HostedWorld.portal. */
  portal(world: WorldInstance, id: string): PortalState;
  /** The portal ids the cluster's pairs name in `world`. */
  portalsOf(world: WorldInstance): readonly string[];
}
