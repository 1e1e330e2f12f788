import { ShardlineError } from '../errors.js';
import { bitLength } from './integers.js';
import { MAX_UINT_BITS } from './limits.js';

/** A bounded float range mapped onto integer codes. Give `precision` (largest step) or `bits`. */
export interface QuantizeOptions {
  min: number;
  max: number;
  /** Largest acceptable step between representable values; the code then uses the fewest bits. */
  precision?: number;
  /** Bits per value (2..32); the step is (max - min) / (2^bits - 2). */
  bits?: number;
}

/**
 * Maps [min, max] onto the codes 0..maxCode = 2^bits - 2, spread evenly: both ends and the midpoint
 * are exact, so zero is exact in any range symmetric about it (a stationary velocity stays 0, an
 * identity rotation stays identity). The top code 2^bits - 1 is never written; readers reject it.
 * Values outside the range are clamped: games overshoot bounds by a hair, and the schema states the
 * range. Decoded values differ from the original by at most step/2.
 */
export class Quantizer {
  readonly min: number;
  readonly max: number;
  readonly bits: number;
  readonly maxCode: number;
  /** Distance between adjacent representable values. */
  readonly step: number;
  private readonly codesPerUnit: number;

  constructor(options: QuantizeOptions) {
    const { min, max, precision, bits } = options;
    if (!Number.isFinite(min) || !Number.isFinite(max) || !(min < max)) {
      throw new ShardlineError('SCHEMA_INVALID', `quantized range [${min}, ${max}] is not a finite interval`);
    }
    if ((precision === undefined) === (bits === undefined)) {
      throw new ShardlineError('SCHEMA_INVALID', 'give exactly one of precision or bits');
    }
    if (precision !== undefined && !(precision > 0 && Number.isFinite(precision))) {
      throw new ShardlineError('SCHEMA_INVALID', `precision ${precision} must be positive and finite`);
    }
    // Enough bits that maxCode = 2^bits - 2 steps are at most `precision` apart.
    const resolvedBits = bits ?? bitLength(Math.ceil((max - min) / (precision as number)) + 1);
    if (!Number.isInteger(resolvedBits) || resolvedBits < 2 || resolvedBits > MAX_UINT_BITS) {
      throw new ShardlineError(
        'SCHEMA_INVALID',
        `quantized range needs ${resolvedBits} bits (2..32 allowed)`,
      );
    }
    this.min = min;
    this.max = max;
    this.bits = resolvedBits;
    this.maxCode = 2 ** resolvedBits - 2;
    this.step = (max - min) / this.maxCode;
    this.codesPerUnit = this.maxCode / (max - min);
  }

  /** Code of the nearest representable value; clamps to the range, rejects NaN (VALUE_INVALID). */
  encode(value: number): number {
    // Stryker disable next-line EqualityOperator: at min the product is 0, code 0 as well
    if (value > this.min) {
      // Stryker disable next-line EqualityOperator: at max the product rounds to maxCode as well
      return value < this.max ? Math.round((value - this.min) * this.codesPerUnit) : this.maxCode;
    }
    if (value <= this.min) return 0;
    throw new ShardlineError('VALUE_INVALID', `cannot quantize ${String(value)}`);
  }

  /** The value of a code in 0..maxCode (callers reading off the wire check the range first). */
  decode(code: number): number {
    // (max - min) * code / maxCode is exact at the midpoint, so zero survives symmetric ranges.
    return code === this.maxCode ? this.max : this.min + ((this.max - this.min) * code) / this.maxCode;
  }

  /** The value a receiver will see for `value`. */
  round(value: number): number {
    return this.decode(this.encode(value));
  }

  /** Canonical text for schema fingerprints. */
  describe(): string {
    return `${this.min},${this.max},${this.bits}`;
  }
}

const TWO_PI = 2 * Math.PI;

/**
 * Angles in radians on a circle of 2^bits codes: any input wraps, so 359° → 1° is a small step and
 * delta coding stays short across the seam. Decodes into [-π, π). Error at most π / 2^bits.
 */
export class AngleQuantizer {
  readonly bits: number;
  readonly maxCode: number;
  readonly step: number;
  private readonly codeCount: number;

  constructor(bits: number) {
    if (!Number.isInteger(bits) || bits < 1 || bits > MAX_UINT_BITS) {
      throw new ShardlineError('SCHEMA_INVALID', `angle bits ${bits} must be an integer in 1..32`);
    }
    this.bits = bits;
    this.codeCount = 2 ** bits;
    this.maxCode = this.codeCount - 1;
    this.step = TWO_PI / this.codeCount;
  }

  encode(radians: number): number {
    const turns = radians / TWO_PI;
    const code = Math.round((turns - Math.floor(turns)) * this.codeCount);
    if (!(code >= 0)) throw new ShardlineError('VALUE_INVALID', `angle ${radians} is not finite`);
    return code > this.maxCode ? 0 : code;
  }

  decode(code: number): number {
    const radians = code * this.step;
    return radians >= Math.PI ? radians - TWO_PI : radians;
  }

  round(radians: number): number {
    return this.decode(this.encode(radians));
  }
}

export interface Vec2 {
  x: number;
  y: number;
}

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

/** Anything that maps a number onto codes 0..2^bits-1 and back. */
export interface ScalarQuantizer {
  readonly bits: number;
  /** Largest valid code; larger codes off the wire are WIRE_INVALID. */
  readonly maxCode: number;
  encode(value: number): number;
  decode(code: number): number;
}

/** A rotation as a unit quaternion. */
export interface Quaternion {
  x: number;
  y: number;
  z: number;
  w: number;
}

const SMALLEST_THREE_BOUND = Math.SQRT1_2;

/**
 * Smallest-three: the largest component's index (2 bits) and the other three, each in
 * [-1/√2, 1/√2], quantized to `componentBits`. The sign is chosen so the largest component is
 * positive (q and -q are the same rotation), and it is rebuilt as sqrt(1 - a² - b² - c²).
 */
export class QuaternionQuantizer {
  readonly component: Quantizer;
  readonly componentBits: number;

  constructor(componentBits: number) {
    if (!Number.isInteger(componentBits) || componentBits < 2 || componentBits > 30) {
      throw new ShardlineError('SCHEMA_INVALID', `quaternion component bits ${componentBits} must be 2..30`);
    }
    this.componentBits = componentBits;
    this.component = new Quantizer({
      min: -SMALLEST_THREE_BOUND,
      max: SMALLEST_THREE_BOUND,
      bits: componentBits,
    });
  }

  /**
   * [largestIndex, codeA, codeB, codeC]; normalizes the input, rejects non-finite or zero-length input.
   * The codes are canonical: decoding them and encoding the result gives them back, so both peers
   * derive the same codes from a decoded baseline (relative deltas depend on it).
   */
  encode(q: Quaternion): [number, number, number, number] {
    const components = [q.x, q.y, q.z, q.w];
    const length = Math.hypot(q.x, q.y, q.z, q.w);
    if (!Number.isFinite(length) || length < 1e-6) {
      throw new ShardlineError('VALUE_INVALID', 'quaternion must be finite and non-zero');
    }
    let largest = 0;
    // Stryker disable next-line EqualityOperator: one step more compares NaN (an undefined component), which is false
    for (let i = 1; i < 4; i++) {
      if (Math.abs(components[i]!) > Math.abs(components[largest]!)) largest = i;
    }
    // Stryker disable next-line EqualityOperator: the largest component of a non-zero quaternion is never 0
    const sign = components[largest]! < 0 ? -1 : 1;
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      if (i !== largest) codes.push(this.component.encode((sign * components[i]!) / length));
    }
    this.keepLargestLargest(codes);
    return [largest, codes[0]!, codes[1]!, codes[2]!];
  }

  /**
   * Near a tie, rounding can make a small component exceed the rebuilt largest one, and the decoded
   * quaternion would then encode with another largest index. Shrink such a component by one step at
   * a time until the rebuilt largest component is strictly the largest (at most a step of extra error).
   */
  private keepLargestLargest(codes: number[]): void {
    for (;;) {
      const values = codes.map((code) => this.component.decode(code));
      const rebuilt = Math.sqrt(Math.max(0, 1 - values.reduce((sum, v) => sum + v * v, 0)));
      let biggest = 0;
      for (let i = 1; i < 3; i++) if (Math.abs(values[i]!) > Math.abs(values[biggest]!)) biggest = i;
      if (Math.abs(values[biggest]!) < rebuilt) return;
      // Stryker disable next-line EqualityOperator: the largest is never 0 here (then rebuilt is 1 and the loop returned)
      codes[biggest] = codes[biggest]! + (values[biggest]! > 0 ? -1 : 1);
    }
  }

  /**
   * Rebuilds the quaternion (unit length to within rounding; not renormalized, so that encoding it
   * gives the same codes back). Three components whose squares sum past 1 cannot come from a unit
   * quaternion: WIRE_INVALID.
   */
  decode(largest: number, codeA: number, codeB: number, codeC: number): Quaternion {
    const maxCode = this.component.maxCode;
    if (codeA > maxCode || codeB > maxCode || codeC > maxCode) {
      throw new ShardlineError('WIRE_INVALID', 'quaternion component code out of range');
    }
    const a = this.component.decode(codeA);
    const b = this.component.decode(codeB);
    const c = this.component.decode(codeC);
    const sumOfSquares = a * a + b * b + c * c;
    if (sumOfSquares > 1) {
      throw new ShardlineError('WIRE_INVALID', 'quaternion components exceed unit length');
    }
    const components = [a, b, c];
    components.splice(largest, 0, Math.sqrt(1 - sumOfSquares));
    const [x, y, z, w] = components as [number, number, number, number];
    return { x, y, z, w };
  }

  round(q: Quaternion): Quaternion {
    const [largest, a, b, c] = this.encode(q);
    return this.decode(largest, a, b, c);
  }
}
