import { ShardlineError } from '../errors.js';
import { type FieldMap, StructType } from './composite.js';
import { fnv1a64 } from './fingerprint.js';

/**
 * A named struct: the state of one kind of entity. The name is part of the descriptor, so renaming
 * an entity type changes the fingerprint just as changing a field does.
 */
export class EntitySchema<F extends FieldMap> extends StructType<F> {
  /** 16 hex digits identifying this declaration (see schemaFingerprint for sets of schemas). */
  readonly fingerprint: string;

  constructor(
    readonly name: string,
    fields: F,
  ) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new ShardlineError('SCHEMA_INVALID', `entity name ${JSON.stringify(name)} must be an identifier`);
    }
    super(fields, `entity ${name}`);
    this.fingerprint = fnv1a64(this.descriptor);
  }
}

/** Declares an entity type once; its value type is `Infer<typeof Schema>`. */
export function defineEntity<F extends FieldMap>(name: string, fields: F): EntitySchema<F> {
  return new EntitySchema(name, fields);
}
