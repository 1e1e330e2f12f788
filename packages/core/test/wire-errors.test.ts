/**
 * What the wire layer's errors say. A refusal carries a stable code and a message a developer can act
 * on (the value, the limit, the position), and for reads past the end the details a caller logs.
 */
import {
  AngleQuantizer,
  BitCounter,
  BitReader,
  BitWriter,
  ByteReader,
  ByteWriter,
  decodeUtf8,
  type ErrorCode,
  isShardlineError,
  Quantizer,
  QuaternionQuantizer,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';

/** Runs `run`, which must throw a ShardlineError with `code` whose message is `message` exactly. */
function expectError(
  code: ErrorCode,
  message: string,
  run: () => unknown,
  details?: Record<string, unknown>,
) {
  try {
    run();
  } catch (error) {
    expect(isShardlineError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    expect((error as Error).message).toBe(`${code}: ${message}`);
    if (details) expect((error as { details?: unknown }).details).toEqual(details);
    return;
  }
  expect.fail(`expected ${code}, nothing was thrown`);
}

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

describe('write refusals name the value and the limit', () => {
  it('bit writers', () => {
    expectError('VALUE_INVALID', '256 does not fit 8 unsigned bits', () => new BitWriter().writeUint(256, 8));
    expectError('VALUE_INVALID', '-129 does not fit a signed 8-bit integer', () =>
      new BitWriter().writeInt(-129, 8),
    );
    expectError('VALUE_INVALID', '-1 is not a 32-bit unsigned integer', () =>
      new BitWriter().writeVarUint(-1),
    );
    expectError('VALUE_INVALID', '-1 is not a 32-bit unsigned integer', () =>
      new BitWriter().writeExpGolomb(-1, 0),
    );
    expectError('VALUE_INVALID', '2147483648 is not a 32-bit signed integer', () =>
      new BitWriter().writeVarInt(2 ** 31),
    );
    expectError('VALUE_INVALID', '0 is not a non-zero 8-bit integer', () =>
      new BitWriter().writeNonZeroUint(0, 8),
    );
    // At 32 bits only the integer check stands between a fraction or a negative and the stream.
    expectError('VALUE_INVALID', '1.5 is not a non-zero 32-bit integer', () =>
      new BitWriter().writeNonZeroUint(1.5, 32),
    );
    expectError('VALUE_INVALID', '-1 is not a non-zero 32-bit integer', () =>
      new BitWriter().writeNonZeroUint(-1, 32),
    );
    expectError('VALUE_INVALID', '256 does not fit 8 unsigned bits', () =>
      new BitCounter().writeUint(256, 8),
    );
    expectError('VALUE_INVALID', '5 bytes exceed the declared maximum 4', () =>
      new BitWriter().writeBytes(new Uint8Array(5), 4),
    );
    const full = new BitWriter({ maxBytes: 2 });
    full.writeUint(0, 16);
    expectError('WIRE_OVERFLOW', 'message would exceed 2 bytes', () => full.writeUint(0, 1), { maxBytes: 2 });
  });

  it('byte writer', () => {
    expectError('WIRE_OVERFLOW', 'packet would exceed 1 bytes', () => new ByteWriter(1).u16(0));
  });
});

describe('read refusals say what was wrong and where', () => {
  it('past the end: how many bits were needed and remain, and at which bit', () => {
    const reader = new BitReader(bytes('ff'));
    reader.readUint(3);
    expectError('WIRE_TRUNCATED', 'needed 8 bits, 5 remain', () => reader.readUint(8), {
      bitPosition: 3,
      remainingBits: 5,
    });
    expectError('WIRE_TRUNCATED', 'needed 16 bits, 5 remain', () => reader.readRawBytes(2), {
      bitPosition: 3,
      remainingBits: 5,
    });
    expectError('WIRE_TRUNCATED', 'needed 2 bytes, 1 remain', () => new ByteReader(bytes('01')).u16());
  });

  it('over a limit or malformed', () => {
    expectError('WIRE_INVALID', 'cannot read 33 bits at once', () =>
      new BitReader(bytes('ffffffffff')).readUint(33),
    );
    expectError('WIRE_INVALID', 'varuint exceeds 32 bits', () =>
      new BitReader(bytes('ffffffff1f')).readVarUint(),
    );
    expectError('WIRE_INVALID', 'varuint longer than 5 groups', () =>
      new BitReader(bytes('ffffffff8f')).readVarUint(),
    );
    expectError('WIRE_INVALID', 'varuint exceeds 32 bits', () =>
      new ByteReader(bytes('ffffffff10')).varuint(),
    );
    expectError('WIRE_INVALID', 'bit length 8 exceeds the declared 5', () =>
      new BitReader(bytes('ff')).readNonZeroUint(5),
    );
    expectError(
      'WIRE_LIMIT',
      'length 6 exceeds the declared maximum 5',
      () => new BitReader(bytes('06')).readLength(5),
      {
        length: 6,
        max: 5,
      },
    );
    const tooLong = new BitWriter();
    tooLong.writeUint(0, 32);
    tooLong.writeUint(0, 2);
    expectError('WIRE_INVALID', 'exp-Golomb code exceeds 32 bits', () =>
      new BitReader(tooLong.toBytes()).readExpGolomb(0),
    );
    // Order 2: at most 30 zeros; the 31st is refused before the code's 1 is read.
    const longForOrder = new BitWriter();
    longForOrder.writeUint(0, 31);
    longForOrder.writeUint(1, 1);
    longForOrder.writeUint(0, 32);
    longForOrder.writeUint(0, 8);
    expectError('WIRE_INVALID', 'exp-Golomb code exceeds 32 bits', () =>
      new BitReader(longForOrder.toBytes()).readExpGolomb(2),
    );
    const overflow = new BitWriter();
    overflow.writeUint(0, 32);
    overflow.writeUint(1, 1);
    overflow.writeUint(0xffff_ffff, 32);
    expectError('WIRE_INVALID', 'exp-Golomb code exceeds 32 bits', () =>
      new BitReader(overflow.toBytes()).readExpGolomb(0),
    );
    const topCode = new BitWriter();
    topCode.writeUint(7, 3);
    expectError('WIRE_INVALID', 'quantized code 7 is out of range', () =>
      new BitReader(topCode.toBytes()).readQuantized(new Quantizer({ min: 0, max: 1, bits: 3 })),
    );
    expectError('WIRE_INVALID', 'string is not valid UTF-8', () => decodeUtf8(bytes('c328')), {
      byteLength: 2,
    });
  });

  it('trailing data: how many bits remain', () => {
    expectError(
      'WIRE_TRAILING_DATA',
      '8 bits remain after the message',
      () => new BitReader(bytes('00')).expectEnd(),
      {
        remainingBits: 8,
      },
    );
    const reader = new BitReader(bytes('02'));
    reader.readUint(1);
    expectError('WIRE_TRAILING_DATA', '7 bits remain after the message', () => reader.expectEnd(), {
      remainingBits: 7,
    });
  });
});

describe('quantizer declarations and inputs', () => {
  it('say which declaration or value is refused', () => {
    expectError(
      'SCHEMA_INVALID',
      'quantized range [1, 0] is not a finite interval',
      () => new Quantizer({ min: 1, max: 0, bits: 8 }),
    );
    expectError(
      'SCHEMA_INVALID',
      'give exactly one of precision or bits',
      () => new Quantizer({ min: 0, max: 1 }),
    );
    expectError(
      'SCHEMA_INVALID',
      'precision 0 must be positive and finite',
      () => new Quantizer({ min: 0, max: 1, precision: 0 }),
    );
    expectError(
      'SCHEMA_INVALID',
      'quantized range needs 33 bits (2..32 allowed)',
      () => new Quantizer({ min: 0, max: 1, bits: 33 }),
    );
    expectError('VALUE_INVALID', 'cannot quantize NaN', () =>
      new Quantizer({ min: 0, max: 1, bits: 8 }).encode(Number.NaN),
    );
    expectError('SCHEMA_INVALID', 'angle bits 0 must be an integer in 1..32', () => new AngleQuantizer(0));
    expectError('VALUE_INVALID', 'angle Infinity is not finite', () =>
      new AngleQuantizer(8).encode(Number.POSITIVE_INFINITY),
    );
    for (const bits of [1, 31, 2.5]) {
      expectError(
        'SCHEMA_INVALID',
        `quaternion component bits ${bits} must be 2..30`,
        () => new QuaternionQuantizer(bits),
      );
    }
    const rotation = new QuaternionQuantizer(4);
    expectError('VALUE_INVALID', 'quaternion must be finite and non-zero', () =>
      rotation.encode({ x: 0, y: 0, z: 0, w: 0 }),
    );
    expectError('WIRE_INVALID', 'quaternion component code out of range', () => rotation.decode(0, 15, 7, 7));
    expectError('WIRE_INVALID', 'quaternion components exceed unit length', () =>
      rotation.decode(0, 14, 14, 14),
    );
  });
});
