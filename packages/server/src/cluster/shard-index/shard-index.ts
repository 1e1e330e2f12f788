import { randomBytes } from 'node:crypto';
import { sha256Hex } from './shard-index-checks.js';
import type { ShardIndexStore, ShardSaveRecord } from './shard-index-store.js';

/** Why loadNewestSave passed over a save. */
export type SaveSkipReason = 'checksum-mismatch' | 'foreign-session';

export interface LoadedShardSave {
  /** The newest good save, if any. */
  save?: ShardSaveRecord;
  /** The newer saves passed over on the way to it, newest first, each with why. */
  skipped: { version: number; reason: SaveSkipReason }[];
}

/**
 * A fresh session id for a newly generated world: 16 random bytes as base64url (22 characters,
 * a SHARD_INDEX_NAME).
 */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The save a shard starts from: its saves that are not undone, newest first, the first that was
 * taken in `sessionId` and whose data still has the SHA-256 stored with it. A save of another
 * session is skipped as 'foreign-session' (without reading its data), one whose data changed as
 * 'checksum-mismatch'. No save at all (or none good): `save` is absent.
 */
export async function loadNewestSave(
  store: ShardIndexStore,
  cluster: string,
  shard: string,
  sessionId: string,
): Promise<LoadedShardSave> {
  const skipped: LoadedShardSave['skipped'] = [];
  for (const info of await store.saves(cluster, shard)) {
    if (info.undone) continue;
    if (info.sessionId !== sessionId) {
      skipped.push({ version: info.version, reason: 'foreign-session' });
      continue;
    }
    const save = await store.readSave(cluster, shard, info.version);
    // Gone since the listing (a save elsewhere pruned it): there is nothing to skip or load.
    if (!save) continue;
    if (sha256Hex(save.data) === save.checksum) return { save, skipped };
    skipped.push({ version: save.version, reason: 'checksum-mismatch' });
  }
  return { skipped };
}
