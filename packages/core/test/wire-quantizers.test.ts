/**
 * Quantizers and integer helpers at their edges: which declarations are refused (SCHEMA_INVALID),
 * which inputs (VALUE_INVALID) and which codes off the wire (WIRE_INVALID), and the exact code or
 * value at each end of a range.
 */
import {
  AngleQuantizer,
  BitReader,
  BitWriter,
  bitLength,
  bitsForCount,
  decodeUtf8,
  encodeUtf8,
  isShardlineError,
  Quantizer,
  QuaternionQuantizer,
  wrapAdd,
  wrappedDifference,
  zigzagDecode,
  zigzagEncode,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCode } from './support/expect-code.js';

describe('Quantizer', () => {
  it('refuses declarations it cannot honour, and accepts 2 to 32 bits', () => {
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 0, bits: 8 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: Number.NaN, max: 1, bits: 8 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: Number.POSITIVE_INFINITY, bits: 8 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 1 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 1, bits: 8, precision: 0.1 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 1, precision: 0 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 1, precision: -0.1 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 1, precision: Number.NaN }));
    expectCode(
      'SCHEMA_INVALID',
      () => new Quantizer({ min: 0, max: 1, precision: Number.POSITIVE_INFINITY }),
    );
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 1, bits: 1 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 1, bits: 33 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 1, bits: 8.5 }));
    expect(new Quantizer({ min: 0, max: 1, bits: 2 }).maxCode).toBe(2);
    expect(new Quantizer({ min: 0, max: 1, bits: 32 }).maxCode).toBe(2 ** 32 - 2);
  });

  it('takes the fewest bits whose steps are at most the precision', () => {
    // 100 steps of 0.01 need codes 0..100: 101 codes + the unused top code → 7 bits (maxCode 126).
    const hundredth = new Quantizer({ min: 0, max: 1, precision: 0.01 });
    expect(hundredth.bits).toBe(7);
    expect(hundredth.step).toBeLessThanOrEqual(0.01);
    // 126 steps exactly fill 7 bits; 127 need 8.
    expect(new Quantizer({ min: 0, max: 126, precision: 1 }).bits).toBe(7);
    expect(new Quantizer({ min: 0, max: 127, precision: 1 }).bits).toBe(8);
    expect(new Quantizer({ min: -1, max: 1, bits: 8 }).describe()).toBe('-1,1,8');
  });

  it('maps the ends to the end codes, clamps beyond them, and rounds to the nearest code', () => {
    const q = new Quantizer({ min: -10, max: 10, bits: 4 }); // maxCode 14, step 20/14
    expect(q.encode(-10)).toBe(0);
    expect(q.encode(-11)).toBe(0);
    expect(q.encode(10)).toBe(14);
    expect(q.encode(11)).toBe(14);
    expect(q.encode(0)).toBe(7);
    expect(q.encode(-10 + q.step * 0.49)).toBe(0);
    expect(q.encode(-10 + q.step * 0.51)).toBe(1);
    expect(q.decode(0)).toBe(-10);
    expect(q.decode(14)).toBe(10);
    expect(q.decode(7)).toBe(0);
    expect(q.decode(1)).toBeCloseTo(-10 + 20 / 14, 12);
    // The top code is the maximum exactly, where min + (max − min) · code / maxCode would miss it.
    expect(new Quantizer({ min: -0.3, max: 0.9, bits: 3 }).decode(6)).toBe(0.9);
    expectCode('VALUE_INVALID', () => q.encode(Number.NaN));
    expect(q.encode(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(q.encode(Number.POSITIVE_INFINITY)).toBe(14);
  });

  it('reads the largest code and refuses the one above it', () => {
    const q = new Quantizer({ min: 0, max: 1, bits: 3 }); // maxCode 6
    const code = (value: number) => {
      const writer = new BitWriter();
      writer.writeUint(value, 3);
      return new BitReader(writer.toBytes());
    };
    expect(code(6).readQuantized(q)).toBe(1);
    expectCode('WIRE_INVALID', () => code(7).readQuantized(q));
  });
});

describe('AngleQuantizer', () => {
  it('takes 1 to 32 bits', () => {
    expectCode('SCHEMA_INVALID', () => new AngleQuantizer(0));
    expectCode('SCHEMA_INVALID', () => new AngleQuantizer(33));
    expectCode('SCHEMA_INVALID', () => new AngleQuantizer(2.5));
    expect(new AngleQuantizer(1).maxCode).toBe(1);
    expect(new AngleQuantizer(32).maxCode).toBe(2 ** 32 - 1);
  });

  it('wraps any angle onto the circle and decodes into [−π, π)', () => {
    const angle = new AngleQuantizer(8); // 256 codes, step π/128
    expect(angle.encode(0)).toBe(0);
    expect(angle.encode(2 * Math.PI)).toBe(0);
    expect(angle.encode(-2 * Math.PI)).toBe(0);
    expect(angle.encode(Math.PI)).toBe(128);
    expect(angle.encode(-Math.PI)).toBe(128);
    expect(angle.encode(-Math.PI / 2)).toBe(192);
    expect(angle.encode(5 * Math.PI)).toBe(128);
    // Just below a full turn rounds up to 256 ≡ 0.
    expect(angle.encode(2 * Math.PI - 1e-9)).toBe(0);
    expect(angle.encode(-Math.PI / 128)).toBe(255);
    expect(angle.decode(0)).toBe(0);
    expect(angle.decode(128)).toBe(-Math.PI);
    expect(angle.decode(127)).toBeCloseTo((127 * Math.PI) / 128, 12);
    expect(angle.decode(255)).toBeCloseTo(-Math.PI / 128, 12);
    expect(angle.round(0.1)).toBeCloseTo(Math.round(0.1 / angle.step) * angle.step, 12);
    expectCode('VALUE_INVALID', () => angle.encode(Number.NaN));
    expectCode('VALUE_INVALID', () => angle.encode(Number.POSITIVE_INFINITY));
  });
});

describe('QuaternionQuantizer', () => {
  it('takes 2 to 30 bits per component', () => {
    expectCode('SCHEMA_INVALID', () => new QuaternionQuantizer(1));
    expectCode('SCHEMA_INVALID', () => new QuaternionQuantizer(31));
    expect(new QuaternionQuantizer(2).componentBits).toBe(2);
    expect(new QuaternionQuantizer(30).componentBits).toBe(30);
  });

  it('refuses zero-length and non-finite rotations, and normalizes the rest', () => {
    const q = new QuaternionQuantizer(12);
    expectCode('VALUE_INVALID', () => q.encode({ x: 0, y: 0, z: 0, w: 0 }));
    expectCode('VALUE_INVALID', () => q.encode({ x: 0, y: 0, z: 0, w: 5e-7 }));
    expectCode('VALUE_INVALID', () => q.encode({ x: Number.NaN, y: 0, z: 0, w: 1 }));
    expectCode('VALUE_INVALID', () => q.encode({ x: Number.POSITIVE_INFINITY, y: 0, z: 0, w: 1 }));
    expect(q.encode({ x: 0, y: 0, z: 0, w: 2e-6 })).toEqual(q.encode({ x: 0, y: 0, z: 0, w: 1 }));
    // The largest component is made positive: −q is the same rotation as q.
    expect(q.encode({ x: 0, y: 0, z: 0, w: -3 })).toEqual([3, 2047, 2047, 2047]);
    expect(q.encode({ x: 0, y: 0.6, z: 0, w: -0.8 })).toEqual(q.encode({ x: 0, y: -0.6, z: 0, w: 0.8 }));
    const [largest] = q.encode({ x: 0.1, y: -0.9, z: 0.2, w: 0.3 });
    expect(largest).toBe(1);
    // A tie goes to the first of the largest components.
    expect(q.encode({ x: 0.5, y: 0.5, z: 0.5, w: 0.5 })[0]).toBe(0);
    expect(q.encode({ x: 0.1, y: 0.7, z: 0.1, w: 0.7 })[0]).toBe(1);
    // Length 1e-6 is the smallest accepted.
    expect(q.encode({ x: 0, y: 0, z: 0, w: 1e-6 })).toEqual(q.encode({ x: 0, y: 0, z: 0, w: 1 }));
  });

  it('refuses each component code above the largest, and components past unit length', () => {
    const q = new QuaternionQuantizer(4); // maxCode 14, the midpoint 7 is zero
    expectCode('WIRE_INVALID', () => q.decode(0, 15, 7, 7));
    expectCode('WIRE_INVALID', () => q.decode(0, 7, 15, 7));
    expectCode('WIRE_INVALID', () => q.decode(0, 7, 7, 15));
    expect(q.decode(0, 7, 7, 7)).toEqual({ x: 1, y: 0, z: 0, w: 0 });
    // The largest code is allowed in each place.
    const largestCodes: [number, number, number][] = [
      [14, 7, 7],
      [7, 14, 7],
      [7, 7, 14],
    ];
    for (const [a, b, c] of largestCodes) {
      expect(Math.max(...Object.values(q.decode(3, a, b, c)))).toBeCloseTo(Math.SQRT1_2, 12);
    }
    // Squares summing to exactly 1 are allowed (the rebuilt component is 0); past 1 they are not.
    const five = new QuaternionQuantizer(5);
    expect(five.decode(0, 0, 3, 6).x).toBe(0);
    expect(q.decode(2, 7, 7, 7)).toEqual({ x: 0, y: 0, z: 1, w: 0 });
    // Three components of 1/√2: their squares sum to 1.5.
    expectCode('WIRE_INVALID', () => q.decode(3, 14, 14, 14));
  });
});

describe('integer helpers', () => {
  it('bit lengths at powers of two, past 32 bits too', () => {
    expect(bitLength(0)).toBe(0);
    expect(bitLength(1)).toBe(1);
    expect(bitLength(255)).toBe(8);
    expect(bitLength(256)).toBe(9);
    expect(bitLength(0xffff_ffff)).toBe(32);
    expect(bitLength(2 ** 32)).toBe(33);
    expect(bitLength(2 ** 52)).toBe(53);
    expect(bitsForCount(0)).toBe(0);
    expect(bitsForCount(1)).toBe(0);
    expect(bitsForCount(2)).toBe(1);
    expect(bitsForCount(256)).toBe(8);
    expect(bitsForCount(257)).toBe(9);
  });

  it('zigzag interleaves signs: 0, −1, 1, −2, 2 → 0, 1, 2, 3, 4', () => {
    expect([0, -1, 1, -2, 2].map(zigzagEncode)).toEqual([0, 1, 2, 3, 4]);
    expect([0, 1, 2, 3, 4].map(zigzagDecode)).toEqual([0, -1, 1, -2, 2]);
    expect(zigzagEncode(-(2 ** 31))).toBe(0xffff_ffff);
    expect(zigzagDecode(0xffff_ffff)).toBe(-(2 ** 31));
  });

  it('wrapped differences are the shortest way round, and wrapAdd undoes them', () => {
    expect(wrappedDifference(250, 5, 8)).toBe(11);
    expect(wrappedDifference(5, 250, 8)).toBe(-11);
    expect(wrappedDifference(0, 128, 8)).toBe(-128);
    expect(wrappedDifference(0, 127, 8)).toBe(127);
    expect(wrapAdd(250, 11, 8)).toBe(5);
    expect(wrapAdd(5, -11, 8)).toBe(250);
    expect(wrapAdd(0xffff_ffff, 1, 32)).toBe(0);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32 }), fc.nat(), fc.nat(), (bits, a, b) => {
        const modulus = 2 ** bits;
        const from = a % modulus;
        const to = b % modulus;
        const diff = wrappedDifference(from, to, bits);
        expect(diff).toBeGreaterThanOrEqual(-(modulus / 2));
        expect(diff).toBeLessThan(modulus / 2);
        expect(wrapAdd(from, diff, bits)).toBe(to);
      }),
    );
  });
});

describe('UTF-8', () => {
  it('refuses malformed input with WIRE_INVALID and its length, never a replacement character', () => {
    try {
      decodeUtf8(Uint8Array.of(0x61, 0xff));
      expect.fail('decoded malformed UTF-8');
    } catch (error) {
      expect(isShardlineError(error, 'WIRE_INVALID')).toBe(true);
      expect((error as { details?: unknown }).details).toEqual({ byteLength: 2 });
    }
    expect(decodeUtf8(encodeUtf8('héllo ✓'))).toBe('héllo ✓');
    expect(encodeUtf8('\ud800').length).toBe(3);
  });
});
