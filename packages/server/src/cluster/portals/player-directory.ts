import { isShardlineError, ShardlineError } from '@shardline/core';
import type { Directory, DirectoryChange } from '../directory.js';
import type { ClusterEngine } from '../engine.js';
import {
  decodeLocation,
  encodeLocation,
  type PlayerIn,
  type PlayerLeaving,
  type PlayerLocation,
  playerKey,
} from './player-location.js';

/** A location with the directory revision it was read or written at (what the next CAS names). */
export interface LocationAt {
  location: PlayerLocation;
  revision: number;
}

/**
 * The cluster's player directory (docs/cluster/CLUSTER.md §8): one location per player, changed
 * only by compare-and-set on the entry's revision. Every method either writes what it says and
 * returns the new revision, or writes nothing and throws DIRECTORY_CONFLICT (someone else wrote
 * first: read again and follow what it says). An entry that does not decode is never overwritten
 * here (VALUE_INVALID): a human must look at it.
 */
export class PlayerDirectory {
  private constructor(readonly directory: Directory) {}

  static async open(engine: ClusterEngine, cluster: string): Promise<PlayerDirectory> {
    return new PlayerDirectory(await engine.directories.directory(`${cluster}-players`));
  }

  /** Where the player is now, or undefined if the cluster never held them. */
  async read(userId: string): Promise<LocationAt | undefined> {
    const entry = await this.directory.get(playerKey(userId));
    if (!entry) return undefined;
    const location = decodeLocation(entry.value);
    if (!location) {
      throw new ShardlineError('VALUE_INVALID', `the directory entry of ${userId} is not a location`);
    }
    return { location, revision: entry.revision };
  }

  /** Records a player new to the cluster as in `location`'s world (DIRECTORY_CONFLICT if the entry exists). */
  async create(userId: string, location: PlayerIn): Promise<LocationAt> {
    const revision = await this.directory.create(playerKey(userId), encodeLocation(location));
    return { location, revision };
  }

  /** Replaces the entry read at `revision` with `location` (DIRECTORY_CONFLICT if it moved since). */
  async replace(userId: string, location: PlayerLocation, revision: number): Promise<LocationAt> {
    const written = await this.directory.update(playerKey(userId), encodeLocation(location), revision);
    return { location, revision: written };
  }

  /**
   * Checkout: the entry read at `from.revision` (in the source world) becomes `leaving`. The source
   * is the only shard allowed to: it names itself in the entry, under a fence no older than the
   * entry's (MIGRATION_FENCED otherwise, nothing written).
   */
  async checkout(userId: string, from: LocationAt, leaving: PlayerLeaving): Promise<LocationAt> {
    const held = from.location;
    if (held.state !== 'in' || held.world !== leaving.world || held.shard !== leaving.shard) {
      throw new ShardlineError('MIGRATION_BUSY', `${userId} is not held by ${leaving.world} now`);
    }
    if (leaving.fence < held.fence) {
      throw new ShardlineError(
        'MIGRATION_FENCED',
        `${leaving.shard} acts under lease ${leaving.fence}, older than ${held.fence}`,
      );
    }
    return this.replace(userId, leaving, from.revision);
  }

  /** Hands every change to the players' locations to `handler` (the master watches for orphans). */
  watch(handler: (userId: string, location: LocationAt | undefined) => void): Promise<() => Promise<void>> {
    return this.directory.watch((change: DirectoryChange) => {
      const userId = userIdOfKey(change.key);
      if (userId === undefined) return;
      const location = change.value && decodeLocation(change.value);
      handler(userId, location ? { location, revision: change.revision } : undefined);
    });
  }
}

/** The user id a `player/…` key was made from, or undefined for another key. */
export function userIdOfKey(key: string): string | undefined {
  if (!key.startsWith('player/')) return undefined;
  return Buffer.from(key.slice('player/'.length), 'base64url').toString('utf8');
}

/** Whether the error is a lost compare-and-set (read again and follow). */
export function isConflict(error: unknown): boolean {
  return isShardlineError(error, 'DIRECTORY_CONFLICT');
}
