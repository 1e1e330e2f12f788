import { ShardlineError } from '../errors.js';
import type { QuantizeOptions } from '../wire/quantize.js';
import { ArrayField, type ArrayOptions, type FieldMap, OptionalField, StructType } from './composite.js';
import type { DeltaMode, FieldType } from './field.js';
import { AngleField, type OutOfRange, QuantizedField, QuaternionField, VectorField } from './quantized.js';
import {
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

/** Options shared by numeric kinds. Integers default to absolute deltas, continuous kinds to relative. */
export interface DeltaOption {
  delta?: DeltaMode;
}

/** What a state write does with a value outside a quantized kind's range (see OutOfRange). */
export interface RangeOption {
  outOfRange?: OutOfRange;
}

function integer(min: number, max: number, name: string, options: DeltaOption = {}): IntegerField {
  return new IntegerField(min, max, options.delta ?? 'absolute', name);
}

function unsignedBits(bits: number, options?: DeltaOption): IntegerField {
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) {
    throw new ShardlineError('SCHEMA_INVALID', `uint bits ${bits} must be an integer in 1..32`);
  }
  return integer(0, 2 ** bits - 1, `uint${bits}`, options);
}

/**
 * Field kinds for declaring network variables. Declare once, share between client and server:
 *
 * ```ts
 * const Player = defineEntity('Player', {
 *   pos: t.vec2({ min: -4096, max: 4096, precision: 1 / 64 }),
 *   angle: t.angle(),
 *   hp: t.int({ min: 0, max: 100 }),
 *   name: t.string({ maxBytes: 32 }),
 * });
 * type PlayerState = Infer<typeof Player>;
 * ```
 */
export const t = {
  bool: (): FieldType<boolean> => new BoolField(),
  u8: (options?: DeltaOption) => integer(0, 0xff, 'u8', options),
  i8: (options?: DeltaOption) => integer(-0x80, 0x7f, 'i8', options),
  u16: (options?: DeltaOption) => integer(0, 0xffff, 'u16', options),
  i16: (options?: DeltaOption) => integer(-0x8000, 0x7fff, 'i16', options),
  u32: (options?: DeltaOption) => integer(0, 0xffff_ffff, 'u32', options),
  i32: (options?: DeltaOption) => integer(-0x8000_0000, 0x7fff_ffff, 'i32', options),
  /** Unsigned integer of 1..32 bits. */
  uint: unsignedBits,
  /** Integer in [min, max] in the fewest bits. */
  int: (range: { min: number; max: number } & DeltaOption) =>
    integer(range.min, range.max, `int(${range.min},${range.max})`, range),
  varuint: (): FieldType<number> => new VarUintField(),
  varint: (): FieldType<number> => new VarIntField(),
  float32: (): FieldType<number> => new Float32Field(),
  float64: (): FieldType<number> => new Float64Field(),
  /**
   * Float in [min, max] with `precision` (largest step) or `bits`. A state write outside the range
   * is refused unless `outOfRange: 'clamp'`.
   */
  quantized: (options: QuantizeOptions & DeltaOption & RangeOption) =>
    new QuantizedField(options, options.delta ?? 'relative', options.outOfRange),
  /** Radians, wrapping, 2^bits steps per turn (default 16 bits: 0.0055°). */
  angle: (options: { bits?: number } & DeltaOption = {}) =>
    new AngleField(options.bits ?? 16, options.delta ?? 'relative'),
  vec2: (options: QuantizeOptions & DeltaOption & RangeOption) =>
    new VectorField<{ x: number; y: number }>(
      ['x', 'y'],
      options,
      options.delta ?? 'relative',
      options.outOfRange,
    ),
  vec3: (options: QuantizeOptions & DeltaOption & RangeOption) =>
    new VectorField<{ x: number; y: number; z: number }>(
      ['x', 'y', 'z'],
      options,
      options.delta ?? 'relative',
      options.outOfRange,
    ),
  /** Unit quaternion, smallest-three with `bits` per component (default 10: 32 bits in all). */
  quat: (options: { bits?: number } & DeltaOption = {}) =>
    new QuaternionField(options.bits ?? 10, options.delta ?? 'relative'),
  string: (options: { maxBytes: number }): FieldType<string> => new StringField(options.maxBytes),
  bytes: (options: { maxLength: number }): FieldType<Uint8Array> => new BytesField(options.maxLength),
  /** Id of another entity, or null. */
  entity: (): FieldType<number | null> => new EntityRefField(),
  enum: <const V extends string>(values: readonly V[]) => new EnumField<V>(values),
  array: <T>(element: FieldType<T>, options: ArrayOptions) => new ArrayField<T>(element, options),
  struct: <F extends FieldMap>(fields: F) => new StructType<F>(fields),
  optional: <T>(inner: FieldType<T>) => new OptionalField<T>(inner),
} as const;
