import {
  BitCounter,
  BitReader,
  type BitSink,
  BitWriter,
  ByteWriter,
  Quantizer,
  QuaternionQuantizer,
  ShardlineError,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCode } from './support/expect-code.js';

/** One write and the read that must return it. */
interface Op {
  write(sink: BitSink): void;
  readAndCheck(reader: BitReader): void;
}

// Made inside the tests, never at load: a test file that fails to load runs no test, so a broken
// constructor would go unnoticed by mutation testing (bench/mutation).
const position = () => new Quantizer({ min: -4096, max: 4096, bits: 19 });
const rotation = () => new QuaternionQuantizer(10);

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: 1, max: 32 }).chain((bits) =>
    fc.nat({ max: 2 ** bits - 1 }).map((value) => ({
      write: (s: BitSink) => s.writeUint(value, bits),
      readAndCheck: (r: BitReader) => expect(r.readUint(bits)).toBe(value),
    })),
  ),
  fc.integer({ min: 1, max: 32 }).chain((bits) =>
    fc.integer({ min: -(2 ** (bits - 1)), max: 2 ** (bits - 1) - 1 }).map((value) => ({
      write: (s: BitSink) => s.writeInt(value, bits),
      readAndCheck: (r: BitReader) => expect(r.readInt(bits)).toBe(value),
    })),
  ),
  fc.boolean().map((value) => ({
    write: (s: BitSink) => s.writeBool(value),
    readAndCheck: (r: BitReader) => expect(r.readBool()).toBe(value),
  })),
  fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.integer({ min: 1, max: 16 })).map(([value, group]) => ({
    write: (s: BitSink) => s.writeVarUint(value, group),
    readAndCheck: (r: BitReader) => expect(r.readVarUint(group)).toBe(value),
  })),
  fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }).map((value) => ({
    write: (s: BitSink) => s.writeVarInt(value),
    readAndCheck: (r: BitReader) => expect(r.readVarInt()).toBe(value),
  })),
  fc.integer({ min: 1, max: 32 }).chain((bits) =>
    fc.integer({ min: 1, max: 2 ** bits - 1 }).map((value) => ({
      write: (s: BitSink) => s.writeNonZeroUint(value, bits),
      readAndCheck: (r: BitReader) => expect(r.readNonZeroUint(bits)).toBe(value),
    })),
  ),
  fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.integer({ min: 0, max: 8 })).map(([value, order]) => ({
    write: (s: BitSink) => s.writeExpGolomb(value, order),
    readAndCheck: (r: BitReader) => expect(r.readExpGolomb(order)).toBe(value),
  })),
  fc.float().map((value) => ({
    write: (s: BitSink) => s.writeFloat32(value),
    readAndCheck: (r: BitReader) => expect(r.readFloat32()).toBe(value),
  })),
  fc.double().map((value) => ({
    write: (s: BitSink) => s.writeFloat64(value),
    readAndCheck: (r: BitReader) => expect(r.readFloat64()).toBe(value),
  })),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((value) => ({
    write: (s: BitSink) => s.writeString(value, 200),
    readAndCheck: (r: BitReader) => expect(r.readString(200)).toBe(value),
  })),
  fc.uint8Array({ maxLength: 40 }).map((value) => ({
    write: (s: BitSink) => s.writeBytes(value, 40),
    readAndCheck: (r: BitReader) => expect(r.readBytes(40)).toEqual(value),
  })),
  fc.double({ min: -5000, max: 5000, noNaN: true }).map((value) => ({
    write: (s: BitSink) => s.writeQuantized(value, position()),
    readAndCheck: (r: BitReader) => {
      const clamped = Math.min(Math.max(value, -4096), 4096);
      expect(Math.abs(r.readQuantized(position()) - clamped)).toBeLessThanOrEqual(position().step / 2 + 1e-9);
    },
  })),
  fc
    .tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }))
    .map(([a, b]) => {
      const q = { x: a, y: b, z: 0.5, w: -0.3 };
      const length = Math.hypot(q.x, q.y, q.z, q.w);
      return {
        write: (s: BitSink) => s.writeQuaternion(q, rotation()),
        readAndCheck: (r: BitReader) => {
          const out = r.readQuaternion(rotation());
          const dot = Math.abs(out.x * q.x + out.y * q.y + out.z * q.z + out.w * q.w) / length;
          expect(dot).toBeGreaterThan(1 - 1e-5);
        },
      };
    }),
);

describe('bit stream', () => {
  it('packs bits least-significant first', () => {
    const writer = new BitWriter();
    writer.writeUint(1, 1);
    writer.writeUint(0b101, 3);
    writer.writeUint(0xabc, 12);
    expect([...writer.toBytes()]).toEqual([0xcb, 0xab]);
    const reader = new BitReader(writer.toBytes());
    expect(reader.readUint(1)).toBe(1);
    expect(reader.readUint(3)).toBe(0b101);
    expect(reader.readUint(12)).toBe(0xabc);
    reader.expectEnd();
  });

  it('writes 32-bit values little-endian when aligned', () => {
    const writer = new BitWriter();
    writer.writeUint(0xdeadbeef, 32);
    expect([...writer.toBytes()]).toEqual([0xef, 0xbe, 0xad, 0xde]);
  });

  it('round-trips any sequence of writes, and measure mode counts the same bits', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 40 }), (ops) => {
        const writer = new BitWriter({ initialBytes: 1 });
        const counter = new BitCounter();
        for (const op of ops) {
          op.write(writer);
          op.write(counter);
        }
        expect(counter.bitLength).toBe(writer.bitLength);
        expect(counter.byteLength).toBe(writer.toBytes().length);
        const reader = new BitReader(writer.toBytes());
        for (const op of ops) op.readAndCheck(reader);
        reader.expectEnd();
      }),
      { numRuns: 400 },
    );
  });

  it('rejects reads past the end with WIRE_TRUNCATED', () => {
    const reader = new BitReader(new Uint8Array([0xff]));
    reader.readUint(5);
    expectCode('WIRE_TRUNCATED', () => reader.readUint(4));
    expectCode('WIRE_TRUNCATED', () => new BitReader(new Uint8Array(3)).readUint(32));
    expectCode('WIRE_TRUNCATED', () => new BitReader(new Uint8Array(0)).readBool());
  });

  it('rejects a length over its declared cap with WIRE_LIMIT, before reading the payload', () => {
    const writer = new BitWriter();
    writer.writeBytes(new Uint8Array(10), 10);
    expectCode('WIRE_LIMIT', () => new BitReader(writer.toBytes()).readBytes(9));
    const claim = new BitWriter();
    claim.writeUint(60_000, 16); // claims 60,000 bytes, holds none
    expectCode('WIRE_TRUNCATED', () => new BitReader(claim.toBytes()).readBytes(65_535));
  });

  it('rejects malformed UTF-8 and overlong varuints with WIRE_INVALID', () => {
    const writer = new BitWriter();
    writer.writeBytes(new Uint8Array([0xc3, 0x28]), 8);
    expectCode('WIRE_INVALID', () => new BitReader(writer.toBytes()).readString(8));
    expectCode('WIRE_INVALID', () => new BitReader(new Uint8Array(8).fill(0xff)).readVarUint());
    expectCode('WIRE_INVALID', () =>
      new BitReader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f])).readVarUint(),
    );
    // Exp-Golomb: 33 leading zeros at order 0, and at order 2 the code just past 2^32 - 1.
    expectCode('WIRE_INVALID', () => new BitReader(new Uint8Array(8)).readExpGolomb(0));
    const past = new BitWriter();
    past.writeUint(0, 30);
    past.writeUint(1, 1);
    past.writeUint(2 ** 32 - 1, 32); // x = 2^32 + 2^32 - 1, value = 2^33 - 1 - 4
    past.writeUint(0, 1);
    expectCode('WIRE_INVALID', () => new BitReader(past.toBytes()).readExpGolomb(2));
  });

  it('flags trailing bytes and non-zero padding with WIRE_TRAILING_DATA', () => {
    expectCode('WIRE_TRAILING_DATA', () => new BitReader(new Uint8Array(2)).expectEnd());
    const reader = new BitReader(new Uint8Array([0b1000_0001]));
    reader.readUint(1);
    expectCode('WIRE_TRAILING_DATA', () => reader.expectEnd());
  });

  it('asserts on writes that do not fit (VALUE_INVALID) and on size (WIRE_OVERFLOW)', () => {
    const writer = new BitWriter({ maxBytes: 4 });
    expectCode('VALUE_INVALID', () => writer.writeUint(256, 8));
    expectCode('VALUE_INVALID', () => writer.writeUint(-1, 8));
    expectCode('VALUE_INVALID', () => writer.writeUint(1.5, 8));
    expectCode('VALUE_INVALID', () => writer.writeInt(128, 8));
    expectCode('VALUE_INVALID', () => writer.writeString('too long', 4));
    expectCode('VALUE_INVALID', () => writer.writeNonZeroUint(0, 8));
    writer.writeUint(0xffffffff, 32);
    expectCode('WIRE_OVERFLOW', () => writer.writeBool(true));
    expect(writer.toBytes().length).toBe(4);
  });

  it('quantizes within half a step, clamps out-of-range values and rejects NaN', () => {
    const q = new Quantizer({ min: -4096, max: 4096, precision: 1 / 64 });
    expect(q.bits).toBe(20);
    expect(q.step).toBeLessThanOrEqual(1 / 64);
    fc.assert(
      fc.property(fc.double({ min: -4096, max: 4096, noNaN: true }), (value) => {
        expect(Math.abs(q.round(value) - value)).toBeLessThanOrEqual(q.step / 2 + 1e-9);
      }),
    );
    expect(q.round(9000)).toBe(4096);
    expect(q.round(-9000)).toBe(-4096);
    expectCode('VALUE_INVALID', () => q.encode(Number.NaN));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 1, max: 0, bits: 8 }));
    expectCode('SCHEMA_INVALID', () => new Quantizer({ min: 0, max: 1, precision: 1e-12 }));
  });

  it('keeps the ends and the midpoint exact, so zero survives symmetric ranges; rejects the top code', () => {
    for (const bits of [2, 7, 16, 19, 32]) {
      const q = new Quantizer({ min: -4096, max: 4096, bits });
      expect(q.maxCode).toBe(2 ** bits - 2);
      expect(q.round(0)).toBe(0);
      expect(q.round(-4096)).toBe(-4096);
      expect(q.round(4096)).toBe(4096);
    }
    expect(new Quantizer({ min: 0, max: 1, bits: 8 }).round(0.5)).toBe(0.5);
    expect(rotation().round({ x: 0, y: 0, z: 0, w: 1 })).toEqual({ x: 0, y: 0, z: 0, w: 1 });
    const top = new BitWriter();
    top.writeUint(2 ** 19 - 1, 19);
    expectCode('WIRE_INVALID', () => new BitReader(top.toBytes()).readQuantized(position()));
  });

  it('encodes quaternions canonically: a decoded quaternion encodes to the same codes, near ties too', () => {
    const near = fc.double({ min: -1, max: 1, noNaN: true });
    // Ties between components (|x| = |w|, …) are where rounding could flip the largest index.
    const tie = fc
      .tuple(
        // Up to √½: two components that large are the biggest tie a unit quaternion allows.
        fc.double({ min: 0.3, max: Math.SQRT1_2, noNaN: true }),
        fc.integer({ min: 0, max: 3 }),
        near,
        fc.boolean(),
      )
      .map(([big, other, small, negative]) => {
        const components = [small * 0.1, small * 0.05, 0, 0];
        components[3] = big;
        components[other] = negative ? -big : big;
        return { x: components[0]!, y: components[1]!, z: components[2]!, w: components[3]! };
      });
    const anyRotation = fc.record({ x: near, y: near, z: near, w: near });
    for (const bits of [4, 9, 10, 16]) {
      const quantizer = new QuaternionQuantizer(bits);
      fc.assert(
        fc.property(fc.oneof(anyRotation, tie), (q) => {
          fc.pre(Math.hypot(q.x, q.y, q.z, q.w) > 1e-3);
          const codes = quantizer.encode(q);
          const decoded = quantizer.decode(...codes);
          expect(quantizer.encode(decoded)).toEqual(codes);
          // Within about one step of the normalized input (q and -q are the same rotation).
          const length = Math.hypot(q.x, q.y, q.z, q.w);
          const dot =
            Math.abs(decoded.x * q.x + decoded.y * q.y + decoded.z * q.z + decoded.w * q.w) / length;
          expect(2 * Math.acos(Math.min(1, dot))).toBeLessThan(4 * Math.SQRT2 * 2 ** -bits * 2);
        }),
        { numRuns: 2000 },
      );
    }
  });

  it('rejects quaternion components that cannot form a unit quaternion', () => {
    const writer = new BitWriter();
    writer.writeUint(0, 2);
    for (let i = 0; i < 3; i++) writer.writeUint(1022, 10); // three components of 1/√2: squares sum to 1.5
    expectCode('WIRE_INVALID', () => new BitReader(writer.toBytes()).readQuaternion(rotation()));
    const topCode = new BitWriter();
    topCode.writeUint(0, 2);
    for (let i = 0; i < 3; i++) topCode.writeUint(1023, 10); // the never-written top code
    expectCode('WIRE_INVALID', () => new BitReader(topCode.toBytes()).readQuaternion(rotation()));
  });

  it('never throws anything but ShardlineError on random bytes', () => {
    const reads: ((r: BitReader) => unknown)[] = [
      (r) => r.readUint(32),
      (r) => r.readVarUint(),
      (r) => r.readVarInt(3),
      (r) => r.readNonZeroUint(19),
      (r) => r.readExpGolomb(1),
      (r) => r.readString(64),
      (r) => r.readBytes(1000),
      (r) => r.readQuaternion(rotation()),
      (r) => r.readFloat64(),
      (r) => r.expectEnd(),
    ];
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 48 }),
        fc.array(fc.nat({ max: reads.length - 1 })),
        (bytes, order) => {
          const reader = new BitReader(bytes);
          try {
            for (const index of order) reads[index]!(reader);
          } catch (error) {
            expect(error).toBeInstanceOf(ShardlineError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('copies out of the writers (pooled)', () => {
  it('are independent, aligned and unchanged by later writes, at any size', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }), (sizes) => {
        const byteWriter = new ByteWriter(5000);
        const bitWriter = new BitWriter();
        const copies: { bytes: Uint8Array; fill: number }[] = [];
        sizes.forEach((size, i) => {
          const fill = (i * 37 + 1) & 0xff;
          byteWriter.reset();
          bitWriter.reset();
          for (let b = 0; b < size; b++) {
            byteWriter.u8(fill);
            bitWriter.writeUint(fill, 8);
          }
          copies.push({ bytes: byteWriter.toBytes(), fill }, { bytes: bitWriter.toBytes(), fill });
        });
        copies.forEach(({ bytes, fill }, i) => {
          expect(bytes.length).toBe(sizes[i >> 1]);
          expect(bytes.byteOffset % 8).toBe(0);
          expect(bytes.every((byte) => byte === fill)).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });
});
