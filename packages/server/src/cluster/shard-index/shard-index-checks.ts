import { createHash } from 'node:crypto';
import { MAX_WORLD_BYTES, ShardlineError } from '@shardline/core';
import {
  type JsonObject,
  MAX_PLAYER_RECORD_BYTES,
  MAX_PLAYER_RECORDS_PER_WRITE,
  MAX_SHARD_SAVE_BYTES,
  type NewShardSave,
  SHARD_INDEX_NAME,
  SHARD_PLAYER_USER_ID,
  SHARD_TRANSFER_ID,
  type ShardPlayerRecord,
  type ShardRecord,
  type ShardSaveInfo,
} from './shard-index-store.js';

/** The checks both stores make before touching the database: each refusal is VALUE_INVALID. */

/** SHA-256 of `data`, lower-case hex. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function refuse(message: string): never {
  throw new ShardlineError('VALUE_INVALID', message);
}

function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || !SHARD_INDEX_NAME.test(name)) {
    refuse(`a shard index ${what} is 1–64 letters, digits, _ or -, not ${JSON.stringify(name)}`);
  }
}

function checkTime(what: string, ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) refuse(`${what} is a whole number of ms ≥ 0, not ${ms}`);
}

/** A whole number ≥ 1 (keepSaves, a rollback's count, a version). */
export function checkPositive(what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) refuse(`${what} is a whole number ≥ 1, not ${value}`);
}

export function checkShardName(cluster: string, shard: string): void {
  checkName('cluster name', cluster);
  checkName('shard name', shard);
}

/** The JSON text of a plain JSON object (not an array or null); refuses what JSON cannot hold. */
function jsonObjectText(what: string, value: JsonObject): string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(`${what} is a JSON object`);
  try {
    return JSON.stringify(value);
  } catch (error) {
    return refuse(`${what} is not JSON: ${(error as Error).message}`);
  }
}

/** The record's JSON columns, once it is checked. */
export function shardRecordTexts(record: ShardRecord): {
  worldOptions: string;
  serverData: string;
  features: string;
} {
  checkName('session id', record.sessionId);
  checkTime('updatedAtMs', record.updatedAtMs);
  const { features } = record;
  if (!Array.isArray(features) || !features.every((feature) => typeof feature === 'string' && feature)) {
    refuse('features are a list of non-empty strings');
  }
  return {
    worldOptions: jsonObjectText('worldOptions', record.worldOptions),
    serverData: jsonObjectText('serverData', record.serverData),
    features: JSON.stringify(features),
  };
}

/** The metadata of a save about to be taken, once it is checked: its checksum computed, no version yet. */
export function newSaveInfo(save: NewShardSave): Omit<ShardSaveInfo, 'version'> {
  checkName('session id', save.sessionId);
  checkTime('savedAtMs', save.savedAtMs);
  if (!(save.data instanceof Uint8Array)) refuse('save data is a Uint8Array');
  if (save.data.byteLength > MAX_SHARD_SAVE_BYTES) {
    refuse(`a save holds at most ${MAX_SHARD_SAVE_BYTES} bytes, not ${save.data.byteLength}`);
  }
  return {
    sessionId: save.sessionId,
    checksum: sha256Hex(save.data),
    size: save.data.byteLength,
    savedAtMs: save.savedAtMs,
    undone: false,
  };
}

/** A rollback of `count` when `kept` saves are not undone: refused unless one would be left. */
export function checkRollback(count: number, kept: number): void {
  if (count >= kept) {
    refuse(
      `cannot roll back ${count} save(s): the shard has ${kept} not undone, and at least one must be left to load`,
    );
  }
}

/** A player's user id: SHARD_PLAYER_USER_ID. */
export function checkUserId(userId: string): void {
  if (typeof userId !== 'string' || !SHARD_PLAYER_USER_ID.test(userId)) {
    refuse(`a player's user id is 1–128 letters, digits, _ - . : or @, not ${JSON.stringify(userId)}`);
  }
}

/** A lone surrogate (no UTF-8 form) or a control character (Postgres TEXT cannot even hold NUL). */
const NOT_IN_WORLD_ID = /[\p{Cs}\p{Cc}]/u;

/** A world instance id: 1–MAX_WORLD_BYTES UTF-8 bytes, no lone surrogate, no control character. */
export function checkWorldId(world: string): void {
  if (
    typeof world !== 'string' ||
    world.length === 0 ||
    Buffer.byteLength(world, 'utf8') > MAX_WORLD_BYTES ||
    NOT_IN_WORLD_ID.test(world)
  ) {
    refuse(
      `a world id is 1–${MAX_WORLD_BYTES} UTF-8 bytes with no control character, not ${JSON.stringify(world)}`,
    );
  }
}

/** A transfer id: SHARD_TRANSFER_ID. */
export function checkTransferId(transfer: string): void {
  if (typeof transfer !== 'string' || !SHARD_TRANSFER_ID.test(transfer)) {
    refuse(`a transfer id is 1–64 letters, digits, _ - . or :, not ${JSON.stringify(transfer)}`);
  }
}

/** One player record, whole. */
function checkPlayerRecord(record: ShardPlayerRecord): void {
  if (typeof record !== 'object' || record === null) refuse('a player record is an object');
  checkUserId(record.userId);
  checkWorldId(record.world);
  if (record.state !== 'held' && record.state !== 'arriving') {
    refuse(`a player record's state is 'held' or 'arriving', not ${JSON.stringify(record.state)}`);
  }
  if (record.transfer !== undefined) {
    checkTransferId(record.transfer);
  } else if (record.state === 'arriving') {
    refuse(`an arriving player record names its transfer (${record.userId})`);
  }
  if (!(record.data instanceof Uint8Array)) refuse("a player record's data is a Uint8Array");
  if (record.data.byteLength > MAX_PLAYER_RECORD_BYTES) {
    refuse(`a player record holds at most ${MAX_PLAYER_RECORD_BYTES} bytes, not ${record.data.byteLength}`);
  }
  checkTime('updatedAtMs', record.updatedAtMs);
}

/** A putPlayers list: at most MAX_PLAYER_RECORDS_PER_WRITE valid records, no user id twice. */
export function checkPlayerRecords(records: readonly ShardPlayerRecord[]): void {
  if (!Array.isArray(records)) refuse('player records come as a list');
  if (records.length > MAX_PLAYER_RECORDS_PER_WRITE) {
    refuse(`one write takes at most ${MAX_PLAYER_RECORDS_PER_WRITE} player records, not ${records.length}`);
  }
  const seen = new Set<string>();
  for (const record of records) {
    checkPlayerRecord(record);
    if (seen.has(record.userId)) refuse(`player ${record.userId} is in the list twice`);
    seen.add(record.userId);
  }
}

/** A deletePlayer guard: each field given is checked as what it compares with. */
export function checkPlayerGuard(only: { transfer?: string; world?: string } | undefined): void {
  if (only === undefined) return;
  if (typeof only !== 'object' || only === null) refuse('a delete guard is an object');
  if (only.transfer !== undefined) checkTransferId(only.transfer);
  if (only.world !== undefined) checkWorldId(only.world);
}
