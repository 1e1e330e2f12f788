import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import { bitLength, bitsForCount } from '../wire/integers.js';
import { MAX_DECLARED_BYTES, MAX_UINT_BITS } from '../wire/limits.js';
import { type DeltaMode, type FieldType, PlainField } from './field.js';
import { IntegerCodedField, invalidCode, invalidValue } from './integer-coded.js';

/** A boolean: one bit. A changed bool is implied by its change-mask bit, so its delta is zero bits. */
export class BoolField implements FieldType<boolean> {
  readonly descriptor = 'bool';
  readonly defaultValue = false;
  readonly minBits = 1;

  write(sink: BitSink, value: boolean): void {
    if (typeof value !== 'boolean') invalidValue(`${String(value)} is not a boolean`);
    sink.writeBool(value);
  }

  read(reader: BitReader): boolean {
    return reader.readBool();
  }

  equals(a: boolean, b: boolean): boolean {
    return a === b;
  }

  writeDelta(): void {}

  readDelta(_reader: BitReader, base: boolean): boolean {
    return !base;
  }
}

/**
 * An integer in [min, max], sent as `value - min` in the fewest bits. u8/i16/… are ranges over the
 * usual widths; `t.int({ min: 0, max: 100 })` takes 7 bits.
 */
export class IntegerField extends IntegerCodedField<number> {
  readonly descriptor: string;
  readonly defaultValue: number;
  readonly maxCode: number;

  constructor(
    readonly min: number,
    readonly max: number,
    deltaMode: DeltaMode,
    name = `int(${min},${max})`,
  ) {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
      throw new ShardlineError('SCHEMA_INVALID', `integer range [${min}, ${max}] is invalid`);
    }
    const bits = bitLength(max - min);
    if (bits > MAX_UINT_BITS) {
      throw new ShardlineError('SCHEMA_INVALID', `integer range [${min}, ${max}] needs more than 32 bits`);
    }
    super(bits, deltaMode);
    this.maxCode = max - min;
    this.descriptor = deltaMode === 'relative' ? `${name}~rel` : name;
    this.defaultValue = min <= 0 && max >= 0 ? 0 : min;
  }

  toCode(value: number): number {
    if (!Number.isInteger(value) || value < this.min || value > this.max) {
      invalidValue(`${value} is not an integer in [${this.min}, ${this.max}]`);
    }
    return value - this.min;
  }

  fromCode(code: number): number {
    if (code > this.maxCode) invalidCode(`integer code ${code} exceeds ${this.maxCode}`);
    return code + this.min;
  }
}

/** One of a fixed list of string values, sent as its index. */
export class EnumField<V extends string> extends IntegerCodedField<V> {
  readonly descriptor: string;
  readonly defaultValue: V;
  readonly maxCode: number;
  private readonly indexOf: ReadonlyMap<string, number>;

  constructor(readonly values: readonly V[]) {
    if (values.length === 0 || new Set(values).size !== values.length) {
      throw new ShardlineError('SCHEMA_INVALID', 'an enum needs one or more distinct values');
    }
    super(bitsForCount(values.length), 'absolute');
    this.indexOf = new Map(values.map((value, index) => [value, index]));
    this.descriptor = `enum(${values.map((value) => JSON.stringify(value)).join(',')})`;
    this.defaultValue = values[0]!;
    this.maxCode = values.length - 1;
  }

  toCode(value: V): number {
    const index = this.indexOf.get(value);
    if (index === undefined) invalidValue(`${String(value)} is not one of ${this.descriptor}`);
    return index;
  }

  fromCode(code: number): V {
    const value = this.values[code];
    if (value === undefined) invalidCode(`enum index ${code} is out of range`);
    return value;
  }
}

/** Unsigned integer up to 2^32-1 as a varuint (8 bits below 128, up to 40 bits). */
export class VarUintField extends PlainField<number> {
  readonly descriptor = 'varuint';
  readonly defaultValue = 0;
  readonly minBits = 8;

  write(sink: BitSink, value: number): void {
    sink.writeVarUint(value);
  }

  read(reader: BitReader): number {
    return reader.readVarUint();
  }

  equals(a: number, b: number): boolean {
    return a === b;
  }
}

/** Signed 32-bit integer, zigzag then varuint: small magnitudes of either sign stay short. */
export class VarIntField extends PlainField<number> {
  readonly descriptor = 'varint';
  readonly defaultValue = 0;
  readonly minBits = 8;

  write(sink: BitSink, value: number): void {
    sink.writeVarInt(value);
  }

  read(reader: BitReader): number {
    return reader.readVarInt();
  }

  equals(a: number, b: number): boolean {
    return a === b;
  }
}

/** IEEE binary32: values are rounded to float32 (equality compares the rounded values). */
export class Float32Field extends PlainField<number> {
  readonly descriptor = 'float32';
  readonly defaultValue = 0;
  readonly minBits = 32;

  write(sink: BitSink, value: number): void {
    if (typeof value !== 'number') invalidValue(`${String(value)} is not a number`);
    sink.writeFloat32(value);
  }

  read(reader: BitReader): number {
    return reader.readFloat32();
  }

  equals(a: number, b: number): boolean {
    return Object.is(Math.fround(a), Math.fround(b));
  }
}

/** IEEE binary64, exact. */
export class Float64Field extends PlainField<number> {
  readonly descriptor = 'float64';
  readonly defaultValue = 0;
  readonly minBits = 64;

  write(sink: BitSink, value: number): void {
    if (typeof value !== 'number') invalidValue(`${String(value)} is not a number`);
    sink.writeFloat64(value);
  }

  read(reader: BitReader): number {
    return reader.readFloat64();
  }

  equals(a: number, b: number): boolean {
    return Object.is(a, b);
  }
}

function checkDeclaredLength(what: string, max: number): void {
  if (!Number.isInteger(max) || max < 0 || max > MAX_DECLARED_BYTES) {
    throw new ShardlineError('SCHEMA_INVALID', `${what} must be an integer in 0..${MAX_DECLARED_BYTES}`);
  }
}

/** UTF-8 text of at most `maxBytes` encoded bytes. */
export class StringField extends PlainField<string> {
  readonly descriptor: string;
  readonly defaultValue = '';
  readonly minBits: number;

  constructor(readonly maxBytes: number) {
    super();
    checkDeclaredLength('string maxBytes', maxBytes);
    this.descriptor = `string(${maxBytes})`;
    this.minBits = bitsForCount(maxBytes + 1);
  }

  write(sink: BitSink, value: string): void {
    if (typeof value !== 'string') invalidValue(`${String(value)} is not a string`);
    sink.writeString(value, this.maxBytes);
  }

  read(reader: BitReader): string {
    return reader.readString(this.maxBytes);
  }

  equals(a: string, b: string): boolean {
    return a === b;
  }
}

/** Raw bytes, at most `maxLength` of them. */
export class BytesField extends PlainField<Uint8Array> {
  readonly descriptor: string;
  readonly defaultValue = new Uint8Array(0);
  readonly minBits: number;

  constructor(readonly maxLength: number) {
    super();
    checkDeclaredLength('bytes maxLength', maxLength);
    this.descriptor = `bytes(${maxLength})`;
    this.minBits = bitsForCount(maxLength + 1);
  }

  write(sink: BitSink, value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) invalidValue('bytes value must be a Uint8Array');
    sink.writeBytes(value, this.maxLength);
  }

  read(reader: BitReader): Uint8Array {
    return reader.readBytes(this.maxLength);
  }

  equals(a: Uint8Array, b: Uint8Array): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}

/**
 * A reference to another entity by id (0..2^32-1), or null: one presence bit, then the id as a varuint.
 * Resolving ids to entities is the replication layer's job.
 */
export class EntityRefField extends PlainField<number | null> {
  readonly descriptor = 'entity';
  readonly defaultValue = null;
  readonly minBits = 1;

  write(sink: BitSink, value: number | null): void {
    sink.writeBool(value !== null);
    if (value !== null) sink.writeVarUint(value);
  }

  read(reader: BitReader): number | null {
    return reader.readBool() ? reader.readVarUint() : null;
  }

  equals(a: number | null, b: number | null): boolean {
    return a === b;
  }
}
