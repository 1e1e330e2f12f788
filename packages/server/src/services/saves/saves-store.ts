import { type SaveMeta, ShardlineError } from '@shardline/core';

/**
 * The cloud saves service's store seam: each user's save slots, a blob apiece with its metadata and
 * a version that counts the slot's writes. Every write and delete is decided by the database, not by
 * JS reading first: a conditional statement inside one transaction that holds the user's write lock
 * (SQLite's database lock; a per-user advisory lock on Postgres), so two writers naming one version
 * never both win, and the slot limit holds exactly even when new slots race. Two implementations,
 * SQLite and Postgres, pass one contract suite (packages/server/test/saves-store-contract.test.ts).
 * User ids are opaque strings; times are ms since the Unix epoch; sizes are in bytes.
 */
export interface SavesStore {
  /**
   * Writes `content` to the slot as `rule` allows and returns its new metadata: version 1 for a new
   * slot, else the previous version + 1. Refuses, writing nothing, with SAVE_SLOT_EXISTS (`replace`
   * false and the slot is written), SAVE_VERSION_CONFLICT (`expectedVersion` is not the slot's
   * version, 0 standing for "no slot") or SAVE_SLOTS_FULL (a new slot past `maxSlots`).
   */
  write(userId: string, slot: string, content: SaveContent, rule: WriteRule): Promise<SaveMeta>;
  read(userId: string, slot: string): Promise<SaveRecord | undefined>;
  /** The metadata of all the user's slots (no data), by slot name in byte order. */
  list(userId: string): Promise<SaveMeta[]>;
  /** Empties a slot: SAVE_NOT_FOUND, or SAVE_VERSION_CONFLICT if `expectedVersion` is not its version. */
  delete(userId: string, slot: string, expectedVersion?: number): Promise<void>;
  close(): Promise<void>;
}

/** What a write stores (the service has checked it). */
export interface SaveContent {
  title: string;
  description: string;
  data: Uint8Array;
  /** SHA-256 of `data`, lower-case hex. */
  checksum: string;
  updatedAtMs: number;
}

/** When a write may happen. */
export interface WriteRule {
  /** False: only into an empty slot. */
  replace: boolean;
  /** The version the writer last saw (0: the slot is empty); absent: whatever it is. */
  expectedVersion?: number;
  /** Slots a user may have; a write that would make one more is refused. */
  maxSlots: number;
}

export interface SaveRecord extends SaveMeta {
  data: Uint8Array;
}

/**
 * The one conditional statement a write runs: `update` a slot at the expected version, `insert` a
 * new slot only, `upsert` either; `refuse` when the rule cannot be met at all (an empty slot wanted,
 * with a version other than 0).
 */
export type WriteMode = 'update' | 'insert' | 'upsert' | 'refuse';

export function writeMode({ replace, expectedVersion }: WriteRule): WriteMode {
  if (expectedVersion !== undefined && expectedVersion > 0) return replace ? 'update' : 'refuse';
  return expectedVersion === 0 || !replace ? 'insert' : 'upsert';
}

/**
 * Why a write's statement changed nothing, from the slot's version read in the same transaction
 * (undefined: empty). Checked in the order the contract states: exists, version, then room.
 */
export function writeRefusal(slot: string, current: number | undefined, rule: WriteRule): ShardlineError {
  if (current !== undefined && !rule.replace) {
    return new ShardlineError('SAVE_SLOT_EXISTS', `save slot ${slot} is already written`);
  }
  if (rule.expectedVersion !== undefined && rule.expectedVersion !== (current ?? 0)) {
    return versionConflict(slot, rule.expectedVersion, current);
  }
  return new ShardlineError('SAVE_SLOTS_FULL', `no room for save slot ${slot}: ${rule.maxSlots} at most`);
}

/** Why a delete changed nothing, from the slot's version read in the same transaction. */
export function deleteRefusal(slot: string, current: number | undefined, expected?: number): ShardlineError {
  return current === undefined || expected === undefined
    ? saveNotFound(slot)
    : versionConflict(slot, expected, current);
}

export function saveNotFound(slot: string): ShardlineError {
  return new ShardlineError('SAVE_NOT_FOUND', `save slot ${slot} is empty`);
}

function versionConflict(slot: string, expected: number, current: number | undefined): ShardlineError {
  return new ShardlineError(
    'SAVE_VERSION_CONFLICT',
    `save slot ${slot} is at version ${current ?? 0}, not ${expected}: read it and write again`,
  );
}
