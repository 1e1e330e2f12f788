import { ShardlineError } from '@shardline/core';

/**
 * The cluster engine's directory (decision 0028): named buckets of key → bytes entries, each write
 * stamped with a revision. Shards keep their leases, their worlds and the shard index's pointers
 * here. Every implementation passes packages/server/test/cluster-directory-contract.test.ts.
 *
 * Contract:
 * - A revision is a positive integer that grows with every write to the bucket (create, update, put,
 *   delete), whichever key it touched: a revision seen later is larger, so it can fence.
 * - `create` writes only if the key is absent, `update` (and `delete` given a revision) only if the
 *   key's current revision is the one given; otherwise DIRECTORY_CONFLICT and nothing is written (compare-and-set).
 * - With `ttlMs`, an entry is gone ttlMs after its last write (the bucket's TTL: one for all keys).
 *   No event says so: readers find it absent. Opening a directory that exists keeps the options it
 *   was made with (NATS keeps a bucket's configuration the same way).
 * - Keys are 1–MAX_DIRECTORY_KEY_LENGTH characters of letters, digits and `_ = / - .`, not starting
 *   or ending with `.`; values are at most MAX_DIRECTORY_VALUE_BYTES. Anything else: VALUE_INVALID.
 */
export interface Directory {
  get(key: string): Promise<DirectoryEntry | undefined>;
  /** Writes `value` if `key` is absent; its revision. DIRECTORY_CONFLICT if present. */
  create(key: string, value: Uint8Array): Promise<number>;
  /** Writes `value` if `key`'s revision is `revision`; the new revision. DIRECTORY_CONFLICT otherwise. */
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  /** Writes `value` whatever was there; its revision. */
  put(key: string, value: Uint8Array): Promise<number>;
  /**
   * Removes `key` (nothing if absent); with `revision`, only if that is its revision, else
   * DIRECTORY_CONFLICT and nothing removed (a lease's holder releasing only its own lease).
   */
  delete(key: string, revision?: number): Promise<void>;
  /** The keys present, in no particular order. */
  keys(): Promise<string[]>;
  /**
   * Hands `handler` every entry present now, then every write after, each once and in revision
   * order (a delete with no value), one at a time and never inside `watch`. An entry the TTL
   * removes is not told (as NATS 2.9 tells nobody): a watcher applies the TTL itself, from when it
   * heard an entry last. Stops with the result (or when the engine member closes).
   */
  watch(handler: (change: DirectoryChange) => void): Promise<() => Promise<void>>;
}

/** A write a watch hands over: the key's new value and revision, or (deleted) no value. */
export interface DirectoryChange {
  key: string;
  value: Uint8Array | undefined;
  revision: number;
}

/** Where directories come from: one per engine (in-process, or NATS), shared by the shards using it. */
export interface Directories {
  /** The directory `name` (1–64 letters, digits, `_`, `-`), made with `options` if it does not exist. */
  directory(name: string, options?: DirectoryOptions): Promise<Directory>;
}

export interface DirectoryEntry {
  key: string;
  value: Uint8Array;
  revision: number;
}

export interface DirectoryOptions {
  /** Entries expire this long after their last write (ms). Default: never. */
  ttlMs?: number;
}

export const MAX_DIRECTORY_KEY_LENGTH = 256;
export const MAX_DIRECTORY_VALUE_BYTES = 64 * 1024;

const KEY = /^[A-Za-z0-9_=/-](?:[A-Za-z0-9_=/.-]*[A-Za-z0-9_=/-])?$/;
const BUCKET = /^[A-Za-z0-9_-]{1,64}$/;

/** Refuses a key or value the contract does not allow (VALUE_INVALID). */
export function checkEntry(key: string, value?: Uint8Array): void {
  if (typeof key !== 'string' || key.length > MAX_DIRECTORY_KEY_LENGTH || !KEY.test(key)) {
    throw new ShardlineError('VALUE_INVALID', `not a directory key: ${JSON.stringify(key)}`);
  }
  if (value === undefined) return;
  if (!(value instanceof Uint8Array) || value.byteLength > MAX_DIRECTORY_VALUE_BYTES) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `a directory value is a Uint8Array of at most ${MAX_DIRECTORY_VALUE_BYTES} bytes`,
    );
  }
}

/** Refuses a bucket name other than 1–64 letters, digits, `_` and `-` (VALUE_INVALID). */
export function checkBucket(name: string): void {
  if (typeof name !== 'string' || !BUCKET.test(name)) {
    throw new ShardlineError('VALUE_INVALID', `not a directory name: ${JSON.stringify(name)}`);
  }
}

export function conflict(key: string, expected: string): ShardlineError {
  return new ShardlineError('DIRECTORY_CONFLICT', `${key}: expected ${expected}`, { key });
}
