/**
 * The shard index's store seam: what one cluster keeps per shard (a server process hosting
 * persistent worlds), the shard's saves, and the records of the players its worlds hold. Two
 * implementations, SQLite and Postgres, pass one contract suite
 * (packages/server/test/shard-index-contract.test.ts).
 *
 * Units and names: times are ms since the Unix epoch; sizes are bytes; cluster and shard names are
 * SHARD_INDEX_NAME. A save is an opaque blob (the shard's encoded worlds and game data), and so is a
 * player record's data; the store never looks inside either. Invalid arguments are refused with
 * VALUE_INVALID before anything is written.
 *
 * Player records (decision 0031, issue 20): a player's record lives with the shard whose world holds
 * them, one per (cluster, shard, user id). A shard receiving a player through a portal stores the
 * record ('arriving', with the transfer's id) before it answers the transfer; the source shard
 * deletes its own copy only after the directory names the target. The store keeps no link between
 * a player record and the shard's saves.
 *
 * Versions: each shard has a counter of the saves it ever took; a save's version is the counter
 * after it counts that save (1, 2, 3…). The counter only grows, so a version is never reused, not
 * even after the saves above it were rolled back and deleted.
 *
 * Atomicity: `save` and `rollback` are each one transaction that holds the shard's counter (a row
 * lock on Postgres, the write lock on SQLite), so concurrent saves and rollbacks of one shard take
 * turns and each sees what the one before it committed. `putPlayers` is one transaction too: all of
 * its records are written or none. Every write is durable once it returns.
 */
export interface ShardIndexStore {
  /** The shard's record, or undefined if it was never written. */
  readShard(cluster: string, shard: string): Promise<ShardRecord | undefined>;
  /** Replaces the shard's record whole (creates it if new). Leaves its saves alone. */
  writeShard(cluster: string, shard: string, record: ShardRecord): Promise<void>;
  /**
   * Takes a save, in one transaction: deletes the shard's undone saves (a rollback keeps them only
   * until the next save), stores `save.data` as the next version with its SHA-256, then deletes the
   * oldest saves until at most `keepSaves` (a whole number ≥ 1, default DEFAULT_KEEP_SAVES) remain.
   * Returns the new save's metadata.
   */
  save(cluster: string, shard: string, save: NewShardSave, keepSaves?: number): Promise<ShardSaveInfo>;
  /** The shard's saves' metadata (no data), newest (highest version) first, undone ones included. */
  saves(cluster: string, shard: string): Promise<ShardSaveInfo[]>;
  /** One save with its data, undone or not; undefined if there is no such version (any more). */
  readSave(cluster: string, shard: string, version: number): Promise<ShardSaveRecord | undefined>;
  /**
   * Marks the newest `count` saves that are not undone as undone, in one transaction, and returns
   * the newest save left not undone: the one a load now starts from. Refuses with VALUE_INVALID,
   * changing nothing, if `count` is not a whole number ≥ 1 or if no save would be left to load.
   */
  rollback(cluster: string, shard: string, count: number): Promise<ShardSaveInfo>;
  /**
   * Writes player records, replacing each one the shard already has for the same user id, all in
   * one transaction: when it returns every record is stored durably; if it fails, none is. An empty
   * list writes nothing. Refuses with VALUE_INVALID, writing nothing, a list of more than
   * MAX_PLAYER_RECORDS_PER_WRITE records, one naming a user id twice, or one with an invalid record
   * (see ShardPlayerRecord).
   */
  putPlayers(cluster: string, shard: string, records: readonly ShardPlayerRecord[]): Promise<void>;
  /** Every player record of the shard, ordered by user id (by code point, as their bytes sort). */
  players(cluster: string, shard: string): Promise<ShardPlayerRecord[]>;
  /** The shard's record of one player, or undefined if it has none. */
  player(cluster: string, shard: string, userId: string): Promise<ShardPlayerRecord | undefined>;
  /**
   * Deletes the shard's record of one player and returns whether there was one to delete. With
   * `only`, a compare-and-delete: the record is deleted only if its transfer id is `only.transfer`
   * (when given) and its world is `only.world` (when given); a record that does not match stays, and
   * the call returns false. A record with no transfer never matches `only.transfer`.
   */
  deletePlayer(
    cluster: string,
    shard: string,
    userId: string,
    only?: { transfer?: string; world?: string },
  ): Promise<boolean>;
  /** Lets go of what the store opened itself (a pool or database passed in stays its owner's). */
  close(): Promise<void>;
}

/** What the index keeps about a shard besides its saves. */
export interface ShardRecord {
  /** The world's session: SHARD_INDEX_NAME, random per generated world (see newSessionId). */
  sessionId: string;
  /** The worlds' generation settings: a JSON object. */
  worldOptions: JsonObject;
  /** The server's own data: a JSON object. */
  serverData: JsonObject;
  /** Enabled features, each a non-empty string; kept in the order given. */
  features: string[];
  updatedAtMs: number;
}

/** A save as the shard hands it to the store. */
export interface NewShardSave {
  /** The session the save was taken in (SHARD_INDEX_NAME). */
  sessionId: string;
  /** The shard's encoded snapshot, at most MAX_SHARD_SAVE_BYTES. */
  data: Uint8Array;
  savedAtMs: number;
}

/** A save's metadata. */
export interface ShardSaveInfo {
  /** 1, 2, 3… per shard, never reused. */
  version: number;
  sessionId: string;
  /** SHA-256 of the data, computed by the store when saving: lower-case hex. */
  checksum: string;
  /** Bytes of data. */
  size: number;
  savedAtMs: number;
  /** Rolled back: kept (and readable) until the shard's next save, then deleted; loads skip it. */
  undone: boolean;
}

export interface ShardSaveRecord extends ShardSaveInfo {
  data: Uint8Array;
}

/** A player's record as a shard keeps it (decision 0031): the player's entities and game data, opaque here. */
export interface ShardPlayerRecord {
  /** The player's user id: SHARD_PLAYER_USER_ID (a services user id or a dev client id). */
  userId: string;
  /**
   * The world instance id that holds (or will hold) the player: 1–64 UTF-8 bytes (MAX_WORLD_BYTES),
   * with no lone surrogate and no control character.
   */
  world: string;
  /**
   * 'held': the world holds the player; 'arriving': stored by a transfer not yet completed by the
   * player's arrival (such a record always names its transfer).
   */
  state: 'held' | 'arriving';
  /** The transfer that brought it here (a SHARD_TRANSFER_ID), or undefined for a player who joined here. */
  transfer: string | undefined;
  /** The encoded record (opaque bytes), at most MAX_PLAYER_RECORD_BYTES. */
  data: Uint8Array;
  updatedAtMs: number;
}

export type JsonObject = { [key: string]: unknown };

/** Cluster, shard and session names: 1–64 ASCII letters, digits, `_` or `-`. */
export const SHARD_INDEX_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The largest save the store takes, bytes (64 MiB). */
export const MAX_SHARD_SAVE_BYTES = 64 * 1024 * 1024;

/** Saves kept per shard when the caller does not say (like Don't Starve Together's max_snapshots). */
export const DEFAULT_KEEP_SAVES = 6;

/** A player's user id: 1–128 ASCII letters, digits, `_`, `-`, `.`, `:` or `@`. */
export const SHARD_PLAYER_USER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** A transfer id: 1–64 ASCII letters, digits, `_`, `-`, `.` or `:` (as the portals' ids are). */
export const SHARD_TRANSFER_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The largest player record's data the store takes, bytes (256 KiB). */
export const MAX_PLAYER_RECORD_BYTES = 256 * 1024;

/** The most player records one putPlayers call writes. */
export const MAX_PLAYER_RECORDS_PER_WRITE = 1000;
