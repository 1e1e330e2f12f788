import type { ConnectTicket } from '@shardline/core';
import type { PlayerTicket } from '../connect-tickets.js';

/** A world a placement started for a lobby: its instance id, and the shard hosting it (in a cluster). */
export interface PlacedWorld {
  worldId: string;
  /** The shard hosting it; absent when this process hosts it. */
  shard?: string;
}

/**
 * Where lobbies' and matches' worlds are made, and who signs their connect tokens: this process's
 * WorldRuntime, or (in a cluster) the least-loaded shard that creates the kind. A lobby's start
 * calls `start`, then `ticket` for each member; `end` undoes a start whose tokens could not all be
 * issued. Failures are ShardlineErrors: WORLD_KIND_UNKNOWN, WORLD_FULL (no room for the members),
 * WORLD_NOT_FOUND (a world that ended), SHARD_UNAVAILABLE (no shard reachable that creates the kind).
 */
export interface WorldPlacement {
  /** How many players an instance of `kind` seats; undefined if no world of that kind can be made. */
  maxPlayersOf(kind: string): number | undefined;
  /**
   * Starts a private instance of `kind` that only `memberIds` may join, kept even while empty until
   * `keepUntilMs` (ms since the epoch: while the started lobby hands out tokens).
   */
  start(
    kind: string,
    lobbyId: string,
    memberIds: readonly string[],
    keepUntilMs: number,
  ): Promise<PlacedWorld>;
  /** Reserves a seat in `world` for the player and returns a token naming it, signed by its host. */
  ticket(world: PlacedWorld, player: PlayerTicket): Promise<ConnectTicket>;
  /** Ends a world `start` made (nothing if it has ended already). */
  end(world: PlacedWorld): Promise<void>;
}
