import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import { bitsForCount } from '../wire/integers.js';
import { MAX_DECLARED_ARRAY_LENGTH } from '../wire/limits.js';
import type { AnyFieldType, FieldType, Infer } from './field.js';
import { PlainField } from './field.js';
import { invalidValue } from './integer-coded.js';

/** Change masks are one 32-bit word: group larger types into nested structs. */
export const MAX_STRUCT_FIELDS = 32;

export type FieldMap = Record<string, AnyFieldType>;
export type StructValue<F extends FieldMap> = { [K in keyof F]: Infer<F[K]> };
/** The field map of a struct or entity schema: `EntitySnapshot<FieldsOf<typeof Player>>`. */
export type FieldsOf<S> = S extends StructType<infer F> ? F : never;

/**
 * Named fields in declaration order. Full values write every field in order. Deltas write a change
 * mask (one bit per field, bit i for field i, written as one `fieldCount`-bit integer) and then each
 * changed field's own delta, in field order.
 */
export class StructType<F extends FieldMap> implements FieldType<StructValue<F>> {
  readonly descriptor: string;
  readonly defaultValue: StructValue<F>;
  readonly minBits: number;
  readonly keys: readonly (keyof F & string)[];
  readonly fields: readonly AnyFieldType[];

  /** `label` prefixes the descriptor (entity schemas put their name there). */
  constructor(fields: F, label = '') {
    this.keys = Object.keys(fields);
    if (this.keys.length > MAX_STRUCT_FIELDS) {
      throw new ShardlineError(
        'SCHEMA_INVALID',
        `a struct has at most ${MAX_STRUCT_FIELDS} fields (got ${this.keys.length}); group fields into nested structs`,
      );
    }
    this.fields = this.keys.map((key) => fields[key]!);
    this.descriptor = `${label}{${this.keys.map((key, i) => `${JSON.stringify(key)}:${this.fields[i]!.descriptor}`).join(',')}}`;
    this.minBits = this.fields.reduce((sum, field) => sum + field.minBits, 0);
    this.defaultValue = this.create();
  }

  get fieldCount(): number {
    return this.keys.length;
  }

  /** A complete value: the defaults overlaid with `values`. */
  create(values: Partial<StructValue<F>> = {}): StructValue<F> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      out[key] = key in values ? values[key] : this.fields[i]!.defaultValue;
    }
    return out as StructValue<F>;
  }

  write(sink: BitSink, value: StructValue<F>): void {
    if (typeof value !== 'object' || value === null) invalidValue('struct value must be an object');
    const keys = this.keys;
    const fields = this.fields;
    for (let i = 0; i < keys.length; i++) fields[i]!.write(sink, value[keys[i]!]);
  }

  read(reader: BitReader): StructValue<F> {
    const out: Record<string, unknown> = {};
    const keys = this.keys;
    const fields = this.fields;
    for (let i = 0; i < keys.length; i++) out[keys[i]!] = fields[i]!.read(reader);
    return out as StructValue<F>;
  }

  equals(a: StructValue<F>, b: StructValue<F>): boolean {
    return a === b || this.changedMask(a, b) === 0;
  }

  /** Bit i is set when field i differs at wire precision. */
  changedMask(value: StructValue<F>, base: StructValue<F>): number {
    const keys = this.keys;
    const fields = this.fields;
    let mask = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (!fields[i]!.equals(value[key], base[key])) mask = (mask | (1 << i)) >>> 0;
    }
    return mask;
  }

  /** The change mask, then each changed field's delta (called only when something changed). */
  writeDelta(sink: BitSink, value: StructValue<F>, base: StructValue<F>): void {
    const mask = this.changedMask(value, base);
    const keys = this.keys;
    const fields = this.fields;
    sink.writeUint(mask, keys.length);
    for (let i = 0; i < keys.length; i++) {
      if ((mask >>> i) & 1) {
        const key = keys[i]!;
        fields[i]!.writeDelta(sink, value[key], base[key]);
      }
    }
  }

  /** A copy of `base` with the changed fields read from their deltas. An empty mask is WIRE_INVALID. */
  readDelta(reader: BitReader, base: StructValue<F>): StructValue<F> {
    const keys = this.keys;
    const fields = this.fields;
    const mask = reader.readUint(keys.length);
    if (mask === 0) throw new ShardlineError('WIRE_INVALID', 'struct delta changes no field');
    const out: Record<string, unknown> = { ...base };
    for (let i = 0; i < keys.length; i++) {
      if ((mask >>> i) & 1) {
        const key = keys[i]!;
        out[key] = fields[i]!.readDelta(reader, base[key]);
      }
    }
    return out as StructValue<F>;
  }
}

export interface ArrayOptions {
  /** Exact element count: no length on the wire. */
  length?: number;
  /** Largest element count: the length is sent in bitsForCount(maxLength + 1) bits. */
  maxLength?: number;
}

/** Fixed- or variable-length array. Deltas resend the whole array. */
export class ArrayField<T> extends PlainField<T[]> {
  readonly descriptor: string;
  readonly defaultValue: T[];
  readonly minBits: number;
  /** Exact length when declared with `length`, else undefined. */
  readonly fixedLength: number | undefined;
  /** Largest element count (equal to fixedLength when fixed). */
  readonly maxLength: number;

  constructor(
    readonly element: FieldType<T>,
    options: ArrayOptions,
  ) {
    super();
    const { length, maxLength } = options;
    if ((length === undefined) === (maxLength === undefined)) {
      throw new ShardlineError('SCHEMA_INVALID', 'an array needs exactly one of length or maxLength');
    }
    const limit = (length ?? maxLength) as number;
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_DECLARED_ARRAY_LENGTH) {
      throw new ShardlineError(
        'SCHEMA_INVALID',
        `array length must be an integer in 0..${MAX_DECLARED_ARRAY_LENGTH}`,
      );
    }
    if (element.minBits < 1) {
      // Zero-bit elements would let a few bytes of length claim unbounded allocations.
      throw new ShardlineError('SCHEMA_INVALID', 'array elements must occupy at least one bit');
    }
    this.fixedLength = length;
    this.maxLength = limit;
    this.descriptor = `array(${element.descriptor},${length !== undefined ? `=${length}` : `<=${maxLength}`})`;
    this.minBits = length !== undefined ? length * element.minBits : bitsForCount(limit + 1);
    this.defaultValue = Array.from({ length: length ?? 0 }, () => element.defaultValue);
  }

  write(sink: BitSink, value: T[]): void {
    if (!Array.isArray(value)) invalidValue('array value must be an array');
    if (this.fixedLength !== undefined) {
      if (value.length !== this.fixedLength) {
        invalidValue(`array has ${value.length} elements, declared exactly ${this.fixedLength}`);
      }
    } else {
      if (value.length > this.maxLength) {
        invalidValue(`array has ${value.length} elements, declared at most ${this.maxLength}`);
      }
      sink.writeUint(value.length, bitsForCount(this.maxLength + 1));
    }
    for (const element of value) this.element.write(sink, element);
  }

  read(reader: BitReader): T[] {
    const length = this.fixedLength ?? reader.readLength(this.maxLength);
    if (length * this.element.minBits > reader.remainingBits) {
      throw new ShardlineError('WIRE_TRUNCATED', `${length} array elements cannot fit the remaining input`);
    }
    const out = new Array<T>(length);
    for (let i = 0; i < length; i++) out[i] = this.element.read(reader);
    return out;
  }

  equals(a: T[], b: T[]): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!this.element.equals(a[i]!, b[i]!)) return false;
    return true;
  }
}

/**
 * A value or null: one presence bit, then the value. A delta between two present values carries the
 * inner kind's delta; otherwise the new value in full.
 */
export class OptionalField<T> implements FieldType<T | null> {
  readonly descriptor: string;
  readonly defaultValue = null;
  readonly minBits = 1;

  constructor(readonly inner: FieldType<T>) {
    this.descriptor = `optional(${inner.descriptor})`;
  }

  write(sink: BitSink, value: T | null): void {
    sink.writeBool(value !== null);
    if (value !== null) this.inner.write(sink, value);
  }

  read(reader: BitReader): T | null {
    return reader.readBool() ? this.inner.read(reader) : null;
  }

  equals(a: T | null, b: T | null): boolean {
    if (a === null || b === null) return a === b;
    return this.inner.equals(a, b);
  }

  writeDelta(sink: BitSink, value: T | null, base: T | null): void {
    sink.writeBool(value !== null);
    if (value === null) return;
    if (base === null) this.inner.write(sink, value);
    else this.inner.writeDelta(sink, value, base);
  }

  readDelta(reader: BitReader, base: T | null): T | null {
    if (!reader.readBool()) {
      if (base === null) throw new ShardlineError('WIRE_INVALID', 'optional delta changes nothing');
      return null;
    }
    return base === null ? this.inner.read(reader) : this.inner.readDelta(reader, base);
  }
}
