import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import { wrapAdd, wrappedDifference, zigzagDecode, zigzagEncode } from '../wire/integers.js';
import {
  AngleQuantizer,
  type QuantizeOptions,
  Quantizer,
  type Quaternion,
  QuaternionQuantizer,
  type Vec2,
  type Vec3,
} from '../wire/quantize.js';
import type { DeltaMode, FieldType } from './field.js';
import { IntegerCodedField, invalidCode } from './integer-coded.js';

/**
 * What a state write (ServerWorld.spawn/set) does with a value outside a quantized field's range:
 * `refuse` it (VALUE_INVALID at the call; the default) or `clamp` it to the range. Either way the
 * world counts it. Values within one step of the range are a rounding hair and always clamp quietly.
 * The codec itself always clamps (the policy is the writer's, not the wire's): it is not part of
 * the field's descriptor.
 */
export type OutOfRange = 'refuse' | 'clamp';

/** A float in [min, max] at a declared precision (see Quantizer); see OutOfRange for values outside it. */
export class QuantizedField extends IntegerCodedField<number> {
  readonly descriptor: string;
  readonly defaultValue: number;
  readonly maxCode: number;
  readonly quantizer: Quantizer;

  constructor(
    options: QuantizeOptions,
    deltaMode: DeltaMode,
    readonly outOfRange: OutOfRange = 'refuse',
  ) {
    const quantizer = new Quantizer(options);
    super(quantizer.bits, deltaMode);
    this.quantizer = quantizer;
    this.maxCode = quantizer.maxCode;
    this.descriptor = `quantized(${quantizer.describe()})${deltaMode === 'relative' ? '~rel' : ''}`;
    this.defaultValue = quantizer.round(Math.min(Math.max(0, quantizer.min), quantizer.max));
  }

  toCode(value: number): number {
    return this.quantizer.encode(value);
  }

  fromCode(code: number): number {
    if (code > this.maxCode) invalidCode(`quantized code ${code} exceeds ${this.maxCode}`);
    return this.quantizer.decode(code);
  }
}

/** Radians on a wrapping circle of 2^bits steps (see AngleQuantizer). */
export class AngleField extends IntegerCodedField<number> {
  readonly descriptor: string;
  readonly defaultValue = 0;
  readonly maxCode: number;
  readonly quantizer: AngleQuantizer;

  constructor(bits: number, deltaMode: DeltaMode) {
    const quantizer = new AngleQuantizer(bits);
    super(bits, deltaMode);
    this.quantizer = quantizer;
    this.maxCode = quantizer.maxCode;
    this.descriptor = `angle(${bits})${deltaMode === 'relative' ? '~rel' : ''}`;
  }

  toCode(radians: number): number {
    return this.quantizer.encode(radians);
  }

  fromCode(code: number): number {
    return this.quantizer.decode(code);
  }
}

type Axis = 'x' | 'y' | 'z';

/**
 * A 2D or 3D vector with every component quantized alike. Relative deltas carry, per component, one
 * "changed" bit and then the non-zero wrapped difference of codes.
 */
export class VectorField<V extends Vec2 | Vec3> implements FieldType<V> {
  readonly descriptor: string;
  readonly defaultValue: V;
  readonly minBits: number;
  readonly quantizer: Quantizer;

  constructor(
    readonly axes: readonly Axis[],
    options: QuantizeOptions,
    readonly deltaMode: DeltaMode,
    readonly outOfRange: OutOfRange = 'refuse',
  ) {
    this.quantizer = new Quantizer(options);
    this.minBits = this.quantizer.bits * axes.length;
    this.descriptor = `vec${axes.length}(${this.quantizer.describe()})${deltaMode === 'relative' ? '~rel' : ''}`;
    const zero = this.quantizer.round(Math.min(Math.max(0, this.quantizer.min), this.quantizer.max));
    this.defaultValue = this.build(() => zero);
  }

  write(sink: BitSink, value: V): void {
    const v = value as unknown as Record<Axis, number>;
    for (const axis of this.axes) sink.writeQuantized(v[axis], this.quantizer);
  }

  read(reader: BitReader): V {
    return this.build(() => reader.readQuantized(this.quantizer));
  }

  equals(a: V, b: V): boolean {
    const va = a as unknown as Record<Axis, number>;
    const vb = b as unknown as Record<Axis, number>;
    for (const axis of this.axes) {
      if (this.quantizer.encode(va[axis]) !== this.quantizer.encode(vb[axis])) return false;
    }
    return true;
  }

  writeDelta(sink: BitSink, value: V, base: V): void {
    if (this.deltaMode === 'absolute') {
      this.write(sink, value);
      return;
    }
    const v = value as unknown as Record<Axis, number>;
    const b = base as unknown as Record<Axis, number>;
    const { bits } = this.quantizer;
    for (const axis of this.axes) {
      const diff = wrappedDifference(this.quantizer.encode(b[axis]), this.quantizer.encode(v[axis]), bits);
      sink.writeBool(diff !== 0);
      if (diff !== 0) sink.writeNonZeroUint(zigzagEncode(diff), bits);
    }
  }

  readDelta(reader: BitReader, base: V): V {
    if (this.deltaMode === 'absolute') return this.read(reader);
    const b = base as unknown as Record<Axis, number>;
    const { bits } = this.quantizer;
    let changed = false;
    const value = this.build((axis) => {
      const baseCode = this.quantizer.encode(b[axis]);
      if (!reader.readBool()) return this.quantizer.decode(baseCode);
      changed = true;
      const code = wrapAdd(baseCode, zigzagDecode(reader.readNonZeroUint(bits)), bits);
      if (code > this.quantizer.maxCode) invalidCode(`vector component code ${code} is out of range`);
      return this.quantizer.decode(code);
    });
    if (!changed) throw new ShardlineError('WIRE_INVALID', 'vector delta changes no component');
    return value;
  }

  private build(component: (axis: Axis) => number): V {
    const out: Partial<Record<Axis, number>> = {};
    for (const axis of this.axes) out[axis] = component(axis);
    return out as unknown as V;
  }
}

/**
 * A unit quaternion by smallest-three (2 + 3 × bits bits). Relative deltas (the default): a `bool`
 * "same largest component"; if set, per smallest-three code a "changed" bit and the non-zero wrapped
 * difference of codes, as for vectors; if clear, the full value. Both peers take the baseline's
 * codes by encoding it, which is exact because quaternion codes are canonical (QuaternionQuantizer).
 */
export class QuaternionField implements FieldType<Quaternion> {
  readonly descriptor: string;
  readonly defaultValue: Quaternion = { x: 0, y: 0, z: 0, w: 1 };
  readonly minBits: number;
  readonly quantizer: QuaternionQuantizer;

  constructor(
    componentBits: number,
    readonly deltaMode: DeltaMode,
  ) {
    this.quantizer = new QuaternionQuantizer(componentBits);
    this.minBits = 2 + 3 * componentBits;
    this.descriptor = `quat(${componentBits})${deltaMode === 'relative' ? '~rel' : ''}`;
  }

  write(sink: BitSink, value: Quaternion): void {
    sink.writeQuaternion(value, this.quantizer);
  }

  read(reader: BitReader): Quaternion {
    return reader.readQuaternion(this.quantizer);
  }

  equals(a: Quaternion, b: Quaternion): boolean {
    const codesA = this.quantizer.encode(a);
    const codesB = this.quantizer.encode(b);
    return codesA.every((code, i) => code === codesB[i]);
  }

  writeDelta(sink: BitSink, value: Quaternion, base: Quaternion): void {
    if (this.deltaMode === 'absolute') {
      this.write(sink, value);
      return;
    }
    const codes = this.quantizer.encode(value);
    const baseCodes = this.quantizer.encode(base);
    const sameLargest = codes[0] === baseCodes[0];
    sink.writeBool(sameLargest);
    if (!sameLargest) {
      this.write(sink, value);
      return;
    }
    const bits = this.quantizer.componentBits;
    for (let i = 1; i < 4; i++) {
      const diff = wrappedDifference(baseCodes[i]!, codes[i]!, bits);
      sink.writeBool(diff !== 0);
      if (diff !== 0) sink.writeNonZeroUint(zigzagEncode(diff), bits);
    }
  }

  readDelta(reader: BitReader, base: Quaternion): Quaternion {
    if (this.deltaMode === 'absolute') return this.read(reader);
    const baseCodes = this.quantizer.encode(base);
    const bits = this.quantizer.componentBits;
    if (!reader.readBool()) {
      const largest = reader.readUint(2);
      if (largest === baseCodes[0]) {
        throw new ShardlineError('WIRE_INVALID', 'full quaternion delta keeps the largest component');
      }
      const a = reader.readUint(bits);
      const b = reader.readUint(bits);
      return this.quantizer.decode(largest, a, b, reader.readUint(bits));
    }
    const codes = [0, 0, 0];
    let changed = false;
    for (let i = 0; i < 3; i++) {
      const baseCode = baseCodes[i + 1]!;
      if (!reader.readBool()) {
        codes[i] = baseCode;
        continue;
      }
      changed = true;
      codes[i] = wrapAdd(baseCode, zigzagDecode(reader.readNonZeroUint(bits)), bits);
    }
    if (!changed) throw new ShardlineError('WIRE_INVALID', 'quaternion delta changes no component');
    return this.quantizer.decode(baseCodes[0], codes[0]!, codes[1]!, codes[2]!);
  }
}
