import { ShardlineError } from '@shardline/core';
import type { Logger } from 'pino';
import { loadNewestSave, newSessionId } from '../cluster/shard-index/shard-index.js';
import type { JsonObject, ShardIndexStore, ShardSaveInfo } from '../cluster/shard-index/shard-index-store.js';
import type { SavedWorld } from '../worlds/world-save.js';

/** A shard's save, as the shard index stores it (docs/cluster/CLUSTER.md §6): UTF-8 JSON. */
export interface ShardSave {
  format: 1;
  /** The highest global event sequence applied to these worlds: the shard resumes after it. */
  appliedThrough: number;
  /** Each persistent world the shard hosts. */
  worlds: SavedWorld[];
}

export interface ShardSavesOptions {
  store: ShardIndexStore;
  cluster: string;
  shard: string;
  /** The persistent worlds' generation settings, kept in the shard's record. */
  worldOptions: JsonObject;
  /** Saves kept per shard (the oldest go). */
  keepSaves: number;
  logger: Logger;
}

/**
 * One shard's saves in its shard index (DST's ShardIndex): its record (session id, world options)
 * made on first start, the newest good save loaded at start (corrupt or foreign ones skipped and
 * logged), and new saves taken on demand (the runtime takes one periodically and on shutdown).
 */
export class ShardSaves {
  private constructor(
    private readonly options: ShardSavesOptions,
    /** The session the shard's worlds belong to; a regenerated world gets a new one. */
    readonly sessionId: string,
    /** The save the shard starts from, if any, and its version. */
    readonly loaded: { version: number; save: ShardSave } | undefined,
  ) {}

  static async open(options: ShardSavesOptions): Promise<ShardSaves> {
    const { store, cluster, shard, logger } = options;
    let record = await store.readShard(cluster, shard);
    if (!record) {
      record = {
        sessionId: newSessionId(),
        worldOptions: options.worldOptions,
        serverData: {},
        features: [],
        updatedAtMs: Date.now(),
      };
      await store.writeShard(cluster, shard, record);
      logger.info({ session: record.sessionId }, 'shard index: a new world session');
    }
    const { save, skipped } = await loadNewestSave(store, cluster, shard, record.sessionId);
    for (const { version, reason } of skipped) {
      logger.warn({ version, reason }, `shard index: skipped save ${version} (${reason})`);
    }
    if (save)
      logger.info(
        { version: save.version, savedAtMs: save.savedAtMs },
        `shard index: loading save ${save.version}`,
      );
    const loaded = save && { version: save.version, save: decodeShardSave(save.data, save.version) };
    return new ShardSaves(options, record.sessionId, loaded);
  }

  /** Takes a save of `save` (the worlds and the applied event sequence). */
  async save(save: ShardSave): Promise<ShardSaveInfo> {
    const { store, cluster, shard, keepSaves } = this.options;
    const data = new TextEncoder().encode(JSON.stringify(save));
    return store.save(cluster, shard, { sessionId: this.sessionId, data, savedAtMs: Date.now() }, keepSaves);
  }
}

/**
 * A new session for the shard's worlds (a regenerated world): saves of the old session are foreign
 * from now on, so the next start begins fresh. Returns the new session id.
 */
export async function regenerateShard(
  store: ShardIndexStore,
  cluster: string,
  shard: string,
): Promise<string> {
  const record = await store.readShard(cluster, shard);
  const sessionId = newSessionId();
  await store.writeShard(cluster, shard, {
    sessionId,
    worldOptions: record?.worldOptions ?? {},
    serverData: record?.serverData ?? {},
    features: record?.features ?? [],
    updatedAtMs: Date.now(),
  });
  return sessionId;
}

function decodeShardSave(data: Uint8Array, version: number): ShardSave {
  let save: Partial<ShardSave>;
  try {
    save = JSON.parse(new TextDecoder().decode(data)) as Partial<ShardSave>;
  } catch (error) {
    throw unreadable(version, (error as Error).message);
  }
  if (save?.format !== 1 || !Number.isSafeInteger(save.appliedThrough) || !Array.isArray(save.worlds)) {
    throw unreadable(version, 'not a format 1 shard save');
  }
  return save as ShardSave;
}

function unreadable(version: number, why: string): ShardlineError {
  return new ShardlineError(
    'VALUE_INVALID',
    `save ${version} passed its checksum but does not read (${why}): roll it back (shardline shard rollback)`,
  );
}
