import { ShardlineError } from '@shardline/core';
import type { Logger } from 'pino';
import { loadNewestSave, newSessionId } from '../cluster/shard-index/shard-index.js';
import type {
  JsonObject,
  ShardIndexStore,
  ShardRecord,
  ShardSaveInfo,
} from '../cluster/shard-index/shard-index-store.js';
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
  /** The server's own data kept in the shard's record (the cluster's settings as this shard ran them). */
  serverData: JsonObject;
  /** The features the game enables (ClusterGame.features), kept in the record; a change is logged. */
  features: readonly string[];
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
    const before = await store.readShard(cluster, shard);
    const record = {
      // The session and its generation settings stay until the world is regenerated.
      sessionId: before?.sessionId ?? newSessionId(),
      worldOptions: before?.worldOptions ?? options.worldOptions,
      serverData: options.serverData,
      features: [...options.features],
      updatedAtMs: Date.now(),
    };
    if (!before) logger.info({ session: record.sessionId }, 'shard index: a new world session');
    else warnOfChanges(before, options, logger);
    await store.writeShard(cluster, shard, record);
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
 * Logs what changed since the record was written: world options the config now gives differently
 * (they apply to a regenerated world only: the session's world was generated with the old ones), and
 * features enabled or dropped.
 */
function warnOfChanges(before: ShardRecord, now: ShardSavesOptions, logger: Logger): void {
  if (JSON.stringify(before.worldOptions) !== JSON.stringify(now.worldOptions)) {
    logger.warn(
      { session: before.worldOptions, config: now.worldOptions },
      'shard index: the config gives other world options than the session was generated with; `shardline shard regenerate` to use them',
    );
  }
  const added = now.features.filter((feature) => !before.features.includes(feature));
  const dropped = before.features.filter((feature) => !now.features.includes(feature));
  if (added.length > 0 || dropped.length > 0) {
    logger.warn({ added, dropped }, 'shard index: the enabled features changed since the last start');
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
