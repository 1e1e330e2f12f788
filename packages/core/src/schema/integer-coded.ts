import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import { wrapAdd, wrappedDifference, zigzagDecode, zigzagEncode } from '../wire/integers.js';
import type { DeltaMode, FieldType } from './field.js';

/**
 * Base of every kind whose values map onto integer codes 0..2^bits-1: integers, enums, quantized
 * floats and angles. Full values are the code in `bits` bits. Relative deltas are the wrapped,
 * zigzagged difference of codes as a non-zero length-prefixed integer (see PROTOCOL.md §Relative
 * deltas), so a small change costs a few bits whatever the width of the field.
 */
export abstract class IntegerCodedField<T> implements FieldType<T> {
  abstract readonly descriptor: string;
  abstract readonly defaultValue: T;
  /** Largest valid code; codes above it off the wire are WIRE_INVALID. */
  abstract readonly maxCode: number;
  readonly minBits: number;

  constructor(
    readonly bits: number,
    readonly deltaMode: DeltaMode,
  ) {
    this.minBits = bits;
  }

  /** Code of a value; throws VALUE_INVALID for values the declaration cannot carry. */
  abstract toCode(value: T): number;
  /** Value of a code off the wire; throws WIRE_INVALID for codes the declaration does not allow. */
  abstract fromCode(code: number): T;

  write(sink: BitSink, value: T): void {
    sink.writeUint(this.toCode(value), this.bits);
  }

  read(reader: BitReader): T {
    return this.fromCode(reader.readUint(this.bits));
  }

  equals(a: T, b: T): boolean {
    return a === b || this.toCode(a) === this.toCode(b);
  }

  writeDelta(sink: BitSink, value: T, base: T): void {
    if (this.deltaMode === 'absolute') {
      this.write(sink, value);
      return;
    }
    const diff = wrappedDifference(this.toCode(base), this.toCode(value), this.bits);
    sink.writeNonZeroUint(zigzagEncode(diff), this.bits);
  }

  readDelta(reader: BitReader, base: T): T {
    if (this.deltaMode === 'absolute') return this.read(reader);
    const diff = zigzagDecode(reader.readNonZeroUint(this.bits));
    return this.fromCode(wrapAdd(this.toCode(base), diff, this.bits));
  }
}

export function invalidValue(message: string): never {
  throw new ShardlineError('VALUE_INVALID', message);
}

export function invalidCode(message: string): never {
  throw new ShardlineError('WIRE_INVALID', message);
}
