import {
  type AnyEntitySchema,
  BitReader,
  BitWriter,
  type FieldMap,
  type ServerWorld,
  ShardlineError,
  type StructValue,
} from '@shardline/core';

/**
 * A persistent world as its shard's save keeps it (docs/cluster/CLUSTER.md §6): the entities no
 * player owns, each state encoded by its schema (the netvar codec, base64), and the game's own data
 * (its `save` handler's JSON object). Entities players own travel with their players, not here.
 */
export interface SavedWorld {
  id: string;
  kind: string;
  /** The world's tick when it was saved. */
  tick: number;
  entities: SavedEntity[];
  data: Record<string, unknown>;
}

export interface SavedEntity {
  /** Its id when saved (restored entities get new ids: `restore` is told the mapping). */
  id: number;
  /** Its schema's name. */
  schema: string;
  /** Its state as the schema encodes it, base64. */
  state: string;
}

/** What a world's `restore` handler is given when a save is loaded into a new instance. */
export interface RestoredWorld {
  /** What its `save` handler returned. */
  data: Record<string, unknown>;
  /** Each saved entity's id → its id now (they were spawned again, before `restore` runs). */
  entities: ReadonlyMap<number, number>;
  /** The world's tick when it was saved. */
  savedTick: number;
}

const writer = new BitWriter({ initialBytes: 1024 });

/** The entities of `world` no player owns (`isOwned` says which are owned), encoded for a save. */
export function savedEntities(world: ServerWorld, isOwned: (id: number) => boolean): SavedEntity[] {
  const saved: SavedEntity[] = [];
  for (const { id, schema, state } of world.entities()) {
    if (!isOwned(id)) saved.push(encodedEntity(id, schema, state));
  }
  return saved;
}

/** One entity's state, encoded by its schema (the netvar codec, base64). */
export function encodedEntity(id: number, schema: AnyEntitySchema, state: unknown): SavedEntity {
  writer.reset();
  schema.write(writer, state as StructValue<FieldMap>);
  return { id, schema: schema.name, state: Buffer.from(writer.toBytes()).toString('base64') };
}

/**
 * Spawns the saved entities again through `spawn`; the map from saved ids to new ones. VALUE_INVALID
 * for an entity whose schema the world no longer declares or whose state does not decode (a save
 * from another version of the game): nothing is spawned then.
 */
export function respawnEntities(
  entities: readonly SavedEntity[],
  schemas: readonly AnyEntitySchema[],
  spawn: (schema: AnyEntitySchema, state: StructValue<FieldMap>) => number,
): Map<number, number> {
  const decoded = entities.map((entity) => {
    const schema = schemas.find((candidate) => candidate.name === entity.schema);
    if (!schema) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `the save holds a ${entity.schema} entity, which this world does not declare`,
      );
    }
    try {
      const reader = new BitReader(Buffer.from(entity.state, 'base64'));
      const state = schema.read(reader) as StructValue<FieldMap>;
      reader.expectEnd();
      return { id: entity.id, schema, state };
    } catch (error) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `saved ${entity.schema} ${entity.id} does not decode: ${(error as Error).message}`,
      );
    }
  });
  return new Map(decoded.map(({ id, schema, state }) => [id, spawn(schema, state)]));
}
