import { ShardlineError } from '@shardline/core';
import type { SavedEntity } from '../../worlds/world-save.js';
import { MAX_PLAYER_RECORD_BYTES } from '../shard-index/shard-index-store.js';
import { isPortalName, type PortalEnd } from './player-location.js';

/**
 * A player as it travels through a portal and as its world's shard keeps it (docs/cluster/CLUSTER.md
 * §8): the entities the player owned, each encoded by its schema (the netvar codec, base64, as a
 * world's save keeps entities), and the game's own record of the player (its `savePlayer` handler's
 * JSON object: inventory, stats). `movedAtMs` is when it last arrived through a portal (the cooldown
 * runs from it).
 */
export interface PlayerRecord {
  entities: SavedEntity[];
  data: Record<string, unknown>;
  movedAtMs?: number;
  /** The portal it is arriving through and the end it left by, while a transfer stored it. */
  via?: { portal: string; from: PortalEnd };
}

/** Most entities a player's record holds. */
export const MAX_PLAYER_ENTITIES = 256;

export function encodePlayerRecord(record: PlayerRecord): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(record));
  if (bytes.length > MAX_PLAYER_RECORD_BYTES) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `a player's record is at most ${MAX_PLAYER_RECORD_BYTES} bytes encoded, not ${bytes.length}`,
    );
  }
  return bytes;
}

/**
 * A record off the wire or out of the store, checked (another shard is not trusted); VALUE_INVALID
 * if it is not one. The entities' states are decoded only when they are spawned (respawnEntities).
 */
export function decodePlayerRecord(bytes: Uint8Array): PlayerRecord {
  if (bytes.length > MAX_PLAYER_RECORD_BYTES) throw invalid(`${bytes.length} bytes`);
  let value: Partial<PlayerRecord>;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<PlayerRecord>;
  } catch {
    throw invalid('not JSON');
  }
  if (typeof value !== 'object' || value === null) throw invalid('not an object');
  const { entities, data, movedAtMs, via } = value;
  if (!Array.isArray(entities) || entities.length > MAX_PLAYER_ENTITIES || !entities.every(isSavedEntity)) {
    throw invalid('entities');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw invalid('data');
  if (movedAtMs !== undefined && !(typeof movedAtMs === 'number' && Number.isFinite(movedAtMs))) {
    throw invalid('movedAtMs');
  }
  if (via !== undefined && !isVia(via)) throw invalid('via');
  return {
    entities,
    data,
    ...(movedAtMs === undefined ? {} : { movedAtMs }),
    ...(via === undefined
      ? {}
      : { via: { portal: via.portal, from: { world: via.from.world, portal: via.from.portal } } }),
  };
}

function isVia(value: unknown): value is NonNullable<PlayerRecord['via']> {
  const via = value as { portal?: unknown; from?: { world?: unknown; portal?: unknown } } | null;
  return (
    typeof via === 'object' &&
    via !== null &&
    isPortalName(via.portal) &&
    typeof via.from === 'object' &&
    via.from !== null &&
    isPortalName(via.from.world) &&
    isPortalName(via.from.portal)
  );
}

function isSavedEntity(value: unknown): value is SavedEntity {
  const entity = value as Partial<SavedEntity> | null;
  return (
    typeof entity === 'object' &&
    entity !== null &&
    Number.isSafeInteger(entity.id) &&
    typeof entity.schema === 'string' &&
    entity.schema.length <= 64 &&
    typeof entity.state === 'string'
  );
}

function invalid(what: string): ShardlineError {
  return new ShardlineError('VALUE_INVALID', `not a player record: ${what}`);
}
