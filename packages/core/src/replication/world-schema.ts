import { ShardlineError } from '../errors.js';
import type { FieldMap } from '../schema/composite.js';
import type { EntitySchema } from '../schema/entity.js';
import { schemaFingerprint } from '../schema/fingerprint.js';
import { SnapshotCodec } from '../schema/snapshot.js';

// biome-ignore lint/suspicious/noExplicitAny: a world holds entity schemas of any field map
export type AnyEntitySchema = EntitySchema<any>;

declare const entitySchema: unique symbol;

/**
 * An entity id as `spawn` returns it: a number that remembers its schema, so writes to it are typed
 * by that schema (`world.set(id, { hp: 90 })`; a misspelled field does not compile). Plain numbers
 * are accepted too (untyped; checked when the write is made).
 */
export type EntityId<S extends AnyEntitySchema = AnyEntitySchema> = number & {
  readonly [entitySchema]?: S;
};

/** Entity schemas a world replicates; their order is their index on the wire. */
export class WorldSchema {
  readonly codecs: SnapshotCodec<FieldMap>[];
  /** Fingerprint of every schema, in order: client and server must agree (SCHEMA_MISMATCH otherwise). */
  readonly fingerprint: string;

  constructor(readonly schemas: readonly AnyEntitySchema[]) {
    if (schemas.length === 0 || new Set(schemas.map((schema) => schema.name)).size !== schemas.length) {
      throw new ShardlineError(
        'SCHEMA_INVALID',
        'a world needs one or more entity schemas with distinct names',
      );
    }
    this.codecs = schemas.map((schema) => new SnapshotCodec(schema));
    this.fingerprint = schemaFingerprint(...schemas);
  }

  indexOf(schema: AnyEntitySchema): number {
    const index = this.schemas.indexOf(schema);
    if (index < 0)
      throw new ShardlineError('VALUE_INVALID', `entity schema ${schema.name} is not part of this world`);
    return index;
  }
}
