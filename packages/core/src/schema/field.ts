import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';

/**
 * One field kind: how a value of type T goes on the wire, comes back, and compares.
 *
 * Contract, checked for every kind by round-trip property tests:
 *  - `read` returns a value `equals` to what `write` wrote (equal at wire precision);
 *  - `readDelta(base)` returns a value `equals` to what `writeDelta(value, base)` wrote, given the
 *    same `base` on both sides; `writeDelta` is called only when `!equals(value, base)`;
 *  - `read`/`readDelta` throw only ShardlineError on hostile input and never allocate more than
 *    the input could describe (at least `minBits` per value).
 */
export interface FieldType<T> {
  /** Canonical text of the declaration: the input of schema fingerprints. */
  readonly descriptor: string;
  /** Value of a field that has not been set (0, false, '', empty array, null, …). */
  readonly defaultValue: T;
  /** Fewest bits any value of this kind occupies on the wire. */
  readonly minBits: number;
  write(sink: BitSink, value: T): void;
  read(reader: BitReader): T;
  /** True when both values encode to the same bits. */
  equals(a: T, b: T): boolean;
  /** Writes `value` relative to `base`, which the reader also holds. */
  writeDelta(sink: BitSink, value: T, base: T): void;
  readDelta(reader: BitReader, base: T): T;
}

// biome-ignore lint/suspicious/noExplicitAny: field maps hold kinds of any value type
export type AnyFieldType = FieldType<any>;

/** The value type a field kind carries: `Infer<typeof Player>`. */
export type Infer<F> = F extends FieldType<infer T> ? T : never;

/** Numeric kinds pick how deltas are coded: relative to the baseline value, or the plain value. */
export type DeltaMode = 'relative' | 'absolute';

/** Base for kinds whose delta is simply the full value (strings, floats, varints, …). */
export abstract class PlainField<T> implements FieldType<T> {
  abstract readonly descriptor: string;
  abstract readonly defaultValue: T;
  abstract readonly minBits: number;
  abstract write(sink: BitSink, value: T): void;
  abstract read(reader: BitReader): T;
  abstract equals(a: T, b: T): boolean;

  writeDelta(sink: BitSink, value: T): void {
    this.write(sink, value);
  }

  readDelta(reader: BitReader): T {
    return this.read(reader);
  }
}
