import type { PlayerRecord } from './player-record.js';

/** What this shard knows of a player its worlds hold: the world, and the directory revision it last saw. */
export interface Claim {
  world: string;
  /** The revision of the player's location as this shard last read or wrote it (what its next CAS names). */
  revision: number;
  /** The transfer that brought the player here, if one did. */
  transfer?: string;
}

/** A player stored by a transfer (the target's side), until it connects or its seat lapses. */
export interface Arrival {
  transfer: string;
  world: string;
  portal: string;
  from: { world: string; portal: string };
  record: PlayerRecord;
  /** When its reserved seat lapses, ms since the epoch: then the directory decides whether it stays. */
  expiresAtMs: number;
  /** The source said its commit won, at this location revision (a hint: admission skips a read). */
  committedAt?: number;
}

/**
 * The players a shard's worlds hold, in memory (the shard index keeps them durably): whose location
 * it has claimed, whose records it keeps while they are away, who is arriving and who is moving.
 */
export class PlayerClaims {
  readonly claims = new Map<string, Claim>();
  /** Records of players held here but not seated, by user id (their world is in `claims`). */
  readonly away = new Map<string, PlayerRecord>();
  readonly arrivals = new Map<string, Arrival>();
  /** Players this shard is moving out now (source side). */
  readonly moving = new Set<string>();
  /** When each player last arrived through a portal, ms since the epoch (the cooldown runs from it). */
  readonly movedAtMs = new Map<string, number>();

  /** Forgets a player that another world holds now. */
  forget(userId: string): void {
    this.claims.delete(userId);
    this.away.delete(userId);
    this.movedAtMs.delete(userId);
  }
}
