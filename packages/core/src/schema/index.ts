export { checkStructValues } from './check.js';
export {
  ArrayField,
  type ArrayOptions,
  type FieldMap,
  type FieldsOf,
  MAX_STRUCT_FIELDS,
  OptionalField,
  StructType,
  type StructValue,
} from './composite.js';
export { defineEntity, EntitySchema } from './entity.js';
export {
  EntitySnapshot,
  indexOfId,
  MAX_LINEAGE_DEPTH,
  SnapshotBuilder,
  type SnapshotLineage,
} from './entity-snapshot.js';
export type { AnyFieldType, DeltaMode, FieldType, Infer } from './field.js';
export {
  assertSameFingerprint,
  fnv1a64,
  readFingerprint,
  schemaFingerprint,
  writeFingerprint,
} from './fingerprint.js';
export { IntegerCodedField } from './integer-coded.js';
export { layoutOf, PackedLayout } from './layout.js';
export { AngleField, type OutOfRange, QuantizedField, QuaternionField, VectorField } from './quantized.js';
export { type DirtyListener, Replica, type ReplicaListener, ReplicaSet } from './replica.js';
export {
  BoolField,
  BytesField,
  EntityRefField,
  EnumField,
  Float32Field,
  Float64Field,
  IntegerField,
  StringField,
  VarIntField,
  VarUintField,
} from './scalars.js';
export {
  DEFAULT_MAX_ENTITIES,
  type DecodedSnapshot,
  SnapshotCodec,
  type SnapshotCodecOptions,
} from './snapshot.js';
export { type DeltaOption, type RangeOption, t } from './t.js';
