import { createHash } from 'node:crypto';
import { ShardlineError } from '@shardline/core';
import {
  type JsonObject,
  MAX_SHARD_SAVE_BYTES,
  type NewShardSave,
  SHARD_INDEX_NAME,
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
