/**
 * The shard index's store seam: what one cluster keeps per shard (a server process hosting
 * persistent worlds), and the shard's saves. Two implementations, SQLite and Postgres, pass one
 * contract suite (packages/server/test/shard-index-contract.test.ts).
 *
 * Units and names: times are ms since the Unix epoch; sizes are bytes; cluster and shard names are
 * SHARD_INDEX_NAME. A save is an opaque blob (the shard's encoded worlds and game data); the store
 * never looks inside it. Invalid arguments are refused with VALUE_INVALID before anything is written.
 *
 * Versions: each shard has a counter of the saves it ever took; a save's version is the counter
 * after it counts that save (1, 2, 3…). The counter only grows, so a version is never reused, not
 * even after the saves above it were rolled back and deleted.
 *
 * Atomicity: `save` and `rollback` are each one transaction that holds the shard's counter (a row
 * lock on Postgres, the write lock on SQLite), so concurrent saves and rollbacks of one shard take
 * turns and each sees what the one before it committed. Every write is durable once it returns.
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

export type JsonObject = { [key: string]: unknown };

/** Cluster, shard and session names: 1–64 ASCII letters, digits, `_` or `-`. */
export const SHARD_INDEX_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The largest save the store takes, bytes (64 MiB). */
export const MAX_SHARD_SAVE_BYTES = 64 * 1024 * 1024;

/** Saves kept per shard when the caller does not say (like Don't Starve Together's max_snapshots). */
export const DEFAULT_KEEP_SAVES = 6;
