/**
 * The wire layer's checks at their exact boundaries: the last value a check accepts and the first it
 * refuses, for every guard on a write (VALUE_INVALID, WIRE_OVERFLOW) and every check on a read
 * (WIRE_TRUNCATED, WIRE_LIMIT, WIRE_INVALID, WIRE_TRAILING_DATA), and the exact bits each encoding
 * writes. A check moved by one (`>` for `>=`) fails here.
 */
import {
  BitCounter,
  BitReader,
  type BitSink,
  BitWriter,
  ByteReader,
  ByteWriter,
  concatBytes,
  Quantizer,
  varuintSize,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCode } from './support/expect-code.js';

/** The bytes `write` produces on a fresh BitWriter, as hex. */
function hexOf(write: (sink: BitSink) => void): string {
  const writer = new BitWriter();
  write(writer);
  return Buffer.from(writer.toBytes()).toString('hex');
}

/** Bits `write` takes, counted by a BitCounter and checked against a BitWriter's count. */
function bitsOf(write: (sink: BitSink) => void): number {
  const counter = new BitCounter();
  const writer = new BitWriter();
  write(counter);
  write(writer);
  expect(counter.bitLength).toBe(writer.bitLength);
  return writer.bitLength;
}

function reader(hex: string): BitReader {
  return new BitReader(Uint8Array.from(Buffer.from(hex, 'hex')));
}

describe('bit writes refuse what does not fit, and accept the edge', () => {
  for (const sink of [() => new BitWriter(), () => new BitCounter()] as const) {
    it(`writeUint on a ${sink().constructor.name}`, () => {
      const s = sink();
      s.writeUint(255, 8);
      s.writeUint(0xffff_ffff, 32);
      s.writeUint(0, 0);
      expect(s.bitLength).toBe(40);
      expectCode('VALUE_INVALID', () => sink().writeUint(256, 8));
      expectCode('VALUE_INVALID', () => sink().writeUint(1, 0));
      expectCode('VALUE_INVALID', () => sink().writeUint(-1, 8));
      expectCode('VALUE_INVALID', () => sink().writeUint(1.5, 8));
      expectCode('VALUE_INVALID', () => sink().writeUint(2 ** 32, 32));
      expectCode('VALUE_INVALID', () => sink().writeUint(0, 33));
    });
  }

  it('writeInt covers exactly [-2^(n-1), 2^(n-1)) in two’s complement', () => {
    expect(hexOf((s) => s.writeInt(-128, 8))).toBe('80');
    expect(hexOf((s) => s.writeInt(127, 8))).toBe('7f');
    expect(hexOf((s) => s.writeInt(-1, 8))).toBe('ff');
    expect(hexOf((s) => s.writeInt(-1, 32))).toBe('ffffffff');
    expect(hexOf((s) => s.writeInt(-(2 ** 31), 32))).toBe('00000080');
    expectCode('VALUE_INVALID', () => new BitWriter().writeInt(-129, 8));
    expectCode('VALUE_INVALID', () => new BitWriter().writeInt(128, 8));
    expectCode('VALUE_INVALID', () => new BitWriter().writeInt(0.5, 8));
    expectCode('VALUE_INVALID', () => new BitWriter().writeInt(2 ** 31, 32));
  });

  it('writeVarUint and writeVarInt take 32-bit integers only', () => {
    for (const bad of [-1, 2 ** 32, 0.5, Number.NaN]) {
      expectCode('VALUE_INVALID', () => new BitWriter().writeVarUint(bad));
      expectCode('VALUE_INVALID', () => new BitWriter().writeExpGolomb(bad, 0));
    }
    for (const bad of [-(2 ** 31) - 1, 2 ** 31, 0.5]) {
      expectCode('VALUE_INVALID', () => new BitWriter().writeVarInt(bad));
    }
    // Zigzag: −2^31 → 2^32 − 1, 2^31 − 1 → 2^32 − 2.
    expect(hexOf((s) => s.writeVarInt(-(2 ** 31)))).toBe('ffffffff0f');
    expect(hexOf((s) => s.writeVarInt(2 ** 31 - 1))).toBe('feffffff0f');
    expect(hexOf((s) => s.writeVarInt(-1))).toBe('01');
  });

  it('writeNonZeroUint refuses 0 and values of more than maxBits bits', () => {
    expectCode('VALUE_INVALID', () => new BitWriter().writeNonZeroUint(0, 8));
    expectCode('VALUE_INVALID', () => new BitWriter().writeNonZeroUint(256, 8));
    expectCode('VALUE_INVALID', () => new BitWriter().writeNonZeroUint(-1, 8));
    expect(bitsOf((s) => s.writeNonZeroUint(255, 8))).toBe(3 + 7);
    expect(bitsOf((s) => s.writeNonZeroUint(0xffff_ffff, 32))).toBe(5 + 31);
  });

  it('writeBytes and writeString refuse more than their maximum, and accept exactly it', () => {
    expectCode('VALUE_INVALID', () => new BitWriter().writeBytes(new Uint8Array(4), 3));
    expectCode('VALUE_INVALID', () => new BitWriter().writeString('abcd', 3));
    // A length prefix of bitsForCount(max + 1) bits: max 3 → 2 bits, max 4 → 3 bits.
    expect(bitsOf((s) => s.writeBytes(new Uint8Array(3), 3))).toBe(2 + 24);
    expect(bitsOf((s) => s.writeBytes(new Uint8Array(3), 4))).toBe(3 + 24);
    expect(bitsOf((s) => s.writeString('é', 2))).toBe(2 + 16);
    expect(bitsOf((s) => s.writeBytes(new Uint8Array(0), 0))).toBe(0);
  });
});

describe('exact encodings', () => {
  it('varuints: groups of n payload bits, each followed by its continuation bit', () => {
    expect(bitsOf((s) => s.writeVarUint(127))).toBe(8);
    expect(bitsOf((s) => s.writeVarUint(128))).toBe(16);
    expect(hexOf((s) => s.writeVarUint(128))).toBe('8001');
    expect(bitsOf((s) => s.writeVarUint(0xffff_ffff))).toBe(40);
    expect(bitsOf((s) => s.writeVarUint(15, 4))).toBe(5);
    expect(bitsOf((s) => s.writeVarUint(16, 4))).toBe(10);
    // Groups of 32: the payload, then the continuation bit after it.
    expect(bitsOf((s) => s.writeVarUint(0xffff_ffff, 32))).toBe(33);
    const writer = new BitWriter();
    writer.writeVarUint(0xdead_beef, 32);
    const read = new BitReader(writer.toBytes());
    expect(read.readVarUint(32)).toBe(0xdead_beef);
    expect(read.bitPosition).toBe(33);
  });

  it('exp-Golomb codes take 2L − 1 − k bits for x = value + 2^k of bit length L', () => {
    expect(hexOf((s) => s.writeExpGolomb(0, 0))).toBe('01');
    expect(bitsOf((s) => s.writeExpGolomb(0, 0))).toBe(1);
    expect(bitsOf((s) => s.writeExpGolomb(1, 0))).toBe(3);
    expect(bitsOf((s) => s.writeExpGolomb(0, 3))).toBe(4);
    expect(bitsOf((s) => s.writeExpGolomb(8, 3))).toBe(6);
    // 2^15 − 1 + 1 = 2^15: L = 16, 31 bits, the last code written in one go.
    expect(bitsOf((s) => s.writeExpGolomb(2 ** 15 - 1, 0))).toBe(31);
    expect(bitsOf((s) => s.writeExpGolomb(2 ** 16 - 1, 0))).toBe(33);
    expect(bitsOf((s) => s.writeExpGolomb(0xffff_ffff, 0))).toBe(65);
    // x = 2^32 − 1 still has 32 bits; one more and it has 33.
    expect(bitsOf((s) => s.writeExpGolomb(0xffff_fffe, 0))).toBe(63);
    expect(bitsOf((s) => s.writeExpGolomb(0xffff_ffff, 8))).toBe(57);
    for (const [value, order] of [
      [2 ** 15 - 1, 0],
      [2 ** 15, 0],
      [2 ** 16 - 1, 0],
      [0xffff_ffff, 0],
      [0xffff_ffff, 8],
      [0x3fff_ffff, 2],
      [0x4000_0000, 2],
    ] as const) {
      const writer = new BitWriter();
      writer.writeUint(5, 3); // unaligned start
      writer.writeExpGolomb(value, order);
      writer.writeUint(1, 1);
      const read = new BitReader(writer.toBytes());
      read.readUint(3);
      expect(read.readExpGolomb(order)).toBe(value);
      expect(read.readUint(1)).toBe(1);
    }
  });

  it('floats: binary32 bits, and binary64 low word first', () => {
    expect(hexOf((s) => s.writeFloat32(1))).toBe('0000803f');
    expect(hexOf((s) => s.writeFloat64(1))).toBe('000000000000f03f');
    expect(reader('000000000000f03f').readFloat64()).toBe(1);
    expect(reader('0000803f').readFloat32()).toBe(1);
  });

  it('bits pack LSB-first across word boundaries, and the last byte is padded with zeros', () => {
    const writer = new BitWriter({ initialBytes: 1 });
    writer.writeUint(1, 1);
    for (let i = 0; i < 10; i++) writer.writeUint(0xa5a5_a5a5, 32);
    writer.writeUint(0b101, 3);
    expect(writer.bitLength).toBe(1 + 320 + 3);
    expect(writer.byteLength).toBe(41);
    const bytes = writer.toBytes();
    expect(bytes.length).toBe(41);
    const read = new BitReader(bytes);
    expect(read.readUint(1)).toBe(1);
    for (let i = 0; i < 10; i++) expect(read.readUint(32)).toBe(0xa5a5_a5a5);
    expect(read.readUint(3)).toBe(0b101);
    expect(read.remainingBits).toBe(4);
    expect(bytes[40]! >> 4).toBe(0);
  });

  it('a captured run of bits is written again bit for bit, at any offset', () => {
    const source = new BitWriter();
    source.writeUint(0x1234_5678, 32);
    source.writeUint(0x2b, 7);
    const run = source.takeBits();
    expect(run.bitLength).toBe(39);
    const target = new BitWriter();
    target.writeUint(0b11, 2);
    target.writeBits(run);
    target.writeBits(run);
    expect(target.bitLength).toBe(2 + 78);
    const read = new BitReader(target.toBytes());
    expect(read.readUint(2)).toBe(0b11);
    for (let i = 0; i < 2; i++) {
      expect(read.readUint(32)).toBe(0x1234_5678);
      expect(read.readUint(7)).toBe(0x2b);
    }
    // A run of whole words (no partial word) is written again whole.
    const word = new BitWriter();
    word.writeUint(0xcafe_f00d, 32);
    const whole = new BitWriter();
    whole.writeBits(word.takeBits());
    expect(Buffer.from(whole.toBytes()).toString('hex')).toBe('0df0feca');
    const empty = new BitWriter().takeBits();
    expect(empty.bitLength).toBe(0);
    expect(empty.words.length).toBe(0);
  });

  it('a writer grows up to its size limit, keeping every word', () => {
    const writer = new BitWriter({ maxBytes: 12, initialBytes: 1 });
    for (let i = 1; i <= 3; i++) writer.writeUint(i * 0x0101_0101, 32);
    expect(Buffer.from(writer.toBytes()).toString('hex')).toBe('010101010202020203030303');
    expectCode('WIRE_OVERFLOW', () => writer.writeUint(0, 1));
  });

  it('zero is one varuint group; vectors are their components’ codes in order', () => {
    expect(hexOf((s) => s.writeVarUint(0))).toBe('00');
    const unit = new Quantizer({ min: 0, max: 1, bits: 4 }); // maxCode 14
    expect(hexOf((s) => s.writeVec2({ x: 0, y: 1 }, unit))).toBe('e0');
    expect(hexOf((s) => s.writeVec3({ x: 1, y: 0.5, z: 0 }, unit))).toBe('7e00');
    const read = new BitReader(Uint8Array.of(0x7e, 0x00));
    expect(read.readVec3(unit)).toEqual({ x: 1, y: 0.5, z: 0 });
    expect(new BitReader(Uint8Array.of(0xe0)).readVec2(unit)).toEqual({ x: 0, y: 1 });
  });

  it('exp-Golomb codes read back at any bit offset, and a code cut short is truncated', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 31 }),
        fc.array(fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 12 })), { minLength: 1, maxLength: 6 }),
        fc.nat({ max: 64 }),
        (offset, codes, cut) => {
          const writer = new BitWriter();
          if (offset > 0) writer.writeUint(0, offset);
          for (const [value, order] of codes) writer.writeExpGolomb(value >>> (value % 32), order);
          const whole = writer.toBytes();
          const read = new BitReader(whole);
          if (offset > 0) read.readUint(offset);
          for (const [value, order] of codes) expect(read.readExpGolomb(order)).toBe(value >>> (value % 32));
          // Without its last byte, the last code cannot be read whole.
          const short = new BitReader(whole.subarray(0, whole.length - 1 - (cut % whole.length)));
          expectCode('WIRE_TRUNCATED', () => {
            if (offset > 0) short.readUint(offset);
            for (const [, order] of codes) short.readExpGolomb(order);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a writer’s size limit is exact, and reset starts over', () => {
    const writer = new BitWriter({ maxBytes: 4, initialBytes: 1 });
    writer.writeUint(0xffff_ffff, 32);
    expectCode('WIRE_OVERFLOW', () => writer.writeUint(0, 1));
    writer.reset();
    expect(writer.bitLength).toBe(0);
    writer.writeUint(7, 31);
    writer.writeUint(1, 1);
    expect(Buffer.from(writer.toBytes()).toString('hex')).toBe('07000080');
    const counter = new BitCounter();
    counter.writeUint(1, 9);
    expect(counter.byteLength).toBe(2);
    counter.reset();
    expect(counter.bitLength).toBe(0);
    counter.writeRawBytes(new Uint8Array(3));
    expect(counter.bitLength).toBe(24);
  });
});

describe('bit reads refuse what is not there or not allowed', () => {
  it('readUint: exactly to the end, not one bit past; never more than 32 bits at once', () => {
    const read = reader('ffff');
    expect(read.readUint(0)).toBe(0);
    expect(read.readUint(15)).toBe(0x7fff);
    expect(read.readUint(1)).toBe(1);
    expectCode('WIRE_TRUNCATED', () => read.readUint(1));
    expectCode('WIRE_INVALID', () => reader('ffffffffffff').readUint(33));
    expect(reader('').readUint(0)).toBe(0);
    // Zero bits read mid-stream are 0, whatever the next bits are.
    const mid = reader('ff');
    mid.readUint(1);
    expect(mid.readUint(0)).toBe(0);
    expect(mid.readUint(7)).toBe(0x7f);
  });

  it('readInt reads two’s complement at both ends', () => {
    expect(reader('80').readInt(8)).toBe(-128);
    expect(reader('7f').readInt(8)).toBe(127);
    expect(reader('ffffffff').readInt(32)).toBe(-1);
    expect(reader('00000080').readInt(32)).toBe(-(2 ** 31));
  });

  it('readVarUint: 32 bits at most, and no more groups than 32 bits need', () => {
    expect(reader('ffffffff0f').readVarUint()).toBe(0xffff_ffff);
    // The fifth group's payload may hold 4 bits only.
    expectCode('WIRE_INVALID', () => reader('ffffffff1f').readVarUint());
    // Five groups whose last says "more": longer than a 32-bit value needs.
    expectCode('WIRE_INVALID', () => reader('ffffffff8f').readVarUint());
    expectCode('WIRE_TRUNCATED', () => reader('ff').readVarUint());
  });

  it('readExpGolomb refuses codes for values past 2^32 − 1', () => {
    // 33 zero bits, then the 1: the value would need 34 bits.
    const tooLong = new BitWriter();
    tooLong.writeUint(0, 32);
    tooLong.writeUint(0, 1);
    tooLong.writeUint(1, 1);
    tooLong.writeUint(0, 32);
    tooLong.writeUint(0, 1);
    expectCode('WIRE_INVALID', () => new BitReader(tooLong.toBytes()).readExpGolomb(0));
    // 32 zeros and 32 low bits of ones: x = 2^33 − 1, value 2^33 − 2.
    const overflow = new BitWriter();
    overflow.writeUint(0, 32);
    overflow.writeUint(1, 1);
    overflow.writeUint(0xffff_ffff, 32);
    expectCode('WIRE_INVALID', () => new BitReader(overflow.toBytes()).readExpGolomb(0));
    // The largest value itself reads back.
    const largest = new BitWriter();
    largest.writeExpGolomb(0xffff_ffff, 0);
    expect(new BitReader(largest.toBytes()).readExpGolomb(0)).toBe(0xffff_ffff);
    // A code cut short reads as truncated.
    expectCode('WIRE_TRUNCATED', () => reader('00').readExpGolomb(0));
    expectCode('WIRE_TRUNCATED', () => reader('0001').readExpGolomb(0));
  });

  it('readNonZeroUint refuses a bit length above the declared maximum', () => {
    // maxBits 5: a 3-bit prefix can say 8 (prefix 7), above 5.
    expectCode('WIRE_INVALID', () => reader('ff').readNonZeroUint(5));
    // Prefix 4 → length 5, the maximum: 1 followed by 4 low bits.
    expect(reader('f4').readNonZeroUint(5)).toBe(0b11110);
    expect(reader('00').readNonZeroUint(5)).toBe(1);
  });

  it('readLength: the declared maximum passes, one more is WIRE_LIMIT', () => {
    expect(reader('05').readLength(5)).toBe(5);
    expectCode('WIRE_LIMIT', () => reader('06').readLength(5));
    expectCode('WIRE_LIMIT', () => reader('07').readBytes(6));
  });

  it('readRawBytes: aligned and unaligned, exactly to the end and not past it', () => {
    const aligned = reader('0102030405');
    expect(Array.from(aligned.readRawBytes(2))).toEqual([1, 2]);
    expect(aligned.readUint(8)).toBe(3);
    expect(Array.from(aligned.readRawBytes(2))).toEqual([4, 5]);
    expect(aligned.remainingBits).toBe(0);
    expectCode('WIRE_TRUNCATED', () => reader('0102').readRawBytes(3));

    const unaligned = reader('1122334455');
    expect(unaligned.readUint(4)).toBe(1);
    expect(Array.from(unaligned.readRawBytes(4))).toEqual([0x21, 0x32, 0x43, 0x54]);
    expect(unaligned.readUint(4)).toBe(5);
    const short = reader('112233');
    short.readUint(1);
    expectCode('WIRE_TRUNCATED', () => short.readRawBytes(3));
    expect(short.bitPosition).toBe(1);

    // After an aligned read that ends mid-word, reads continue from exactly there.
    const midWord = reader('aabbccddeeff0011');
    midWord.readRawBytes(3);
    expect(midWord.readUint(16)).toBe(0xeedd);
    expect(midWord.readUint(24)).toBe(0x1100ff);
  });

  it('expectEnd: zero padding of up to 7 bits passes; a set bit or a whole zero byte does not', () => {
    const padded = reader('01');
    padded.readUint(1);
    padded.expectEnd();
    reader('').expectEnd();
    const setBit = reader('81');
    setBit.readUint(1);
    expectCode('WIRE_TRAILING_DATA', () => setBit.expectEnd());
    const zeroByte = reader('0100');
    zeroByte.readUint(1);
    expectCode('WIRE_TRAILING_DATA', () => zeroByte.expectEnd());
    const wholeZero = reader('00');
    expectCode('WIRE_TRAILING_DATA', () => wholeZero.expectEnd());
  });

  it('readString refuses malformed UTF-8 and lengths over its cap', () => {
    const framed = (length: number, bytes: number[]) => {
      const writer = new BitWriter();
      writer.writeUint(length, 3); // the prefix of a maximum of 4 or 5 bytes
      writer.writeRawBytes(Uint8Array.from(bytes));
      return new BitReader(writer.toBytes());
    };
    expectCode('WIRE_INVALID', () => framed(2, [0xc3, 0x28]).readString(4));
    expectCode('WIRE_LIMIT', () => framed(5, [0x61, 0x61, 0x61, 0x61, 0x61]).readString(4));
    expect(framed(5, [0x61, 0x61, 0x61, 0x61, 0x61]).readString(5)).toBe('aaaaa');
    expect(framed(2, [0xc3, 0xa9]).readString(4)).toBe('é');
  });
});

describe('byte framing', () => {
  it('ByteWriter: little-endian fields, and its capacity is exact', () => {
    const writer = new ByteWriter(7);
    writer.u8(0x01);
    writer.u16(0x0302);
    writer.u32(0x0706_0504);
    expect(writer.length).toBe(7);
    expect(writer.remaining).toBe(0);
    expect(Array.from(writer.toBytes())).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expectCode('WIRE_OVERFLOW', () => writer.u8(0));
    expectCode('WIRE_OVERFLOW', () => writer.raw(new Uint8Array(1)));
    writer.reset(2);
    expect(writer.length).toBe(2);
    expect(writer.remaining).toBe(5);
    expectCode('WIRE_OVERFLOW', () => new ByteWriter(1).u16(0));
    expectCode('WIRE_OVERFLOW', () => new ByteWriter(3).u32(0));
    const full = new ByteWriter(2);
    full.raw(Uint8Array.of(9, 8));
    expect(Array.from(full.toBytes())).toEqual([9, 8]);
  });

  it('varuints at every size boundary: 7 bits per byte', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [127, '7f'],
      [128, '8001'],
      [16_383, 'ff7f'],
      [16_384, '808001'],
      [2 ** 21 - 1, 'ffff7f'],
      [2 ** 21, '80808001'],
      [2 ** 28 - 1, 'ffffff7f'],
      [2 ** 28, '8080808001'],
      [0xffff_ffff, 'ffffffff0f'],
    ];
    for (const [value, hex] of cases) {
      const writer = new ByteWriter(8);
      writer.varuint(value);
      expect(Buffer.from(writer.toBytes()).toString('hex')).toBe(hex);
      expect(varuintSize(value)).toBe(hex.length / 2);
      const read = new ByteReader(Uint8Array.from(Buffer.from(hex, 'hex')));
      expect(read.varuint()).toBe(value);
      expect(read.remaining).toBe(0);
    }
  });

  it('ByteReader: reads exactly what is there; a varuint past 32 bits is WIRE_INVALID', () => {
    const read = new ByteReader(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(read.u8()).toBe(1);
    expect(read.u16()).toBe(0x0302);
    expect(read.u32()).toBe(0x0706_0504);
    expect(read.remaining).toBe(1);
    expectCode('WIRE_TRUNCATED', () => read.u16());
    expectCode('WIRE_TRUNCATED', () => read.slice(2));
    expect(Array.from(read.slice(1))).toEqual([8]);
    expectCode('WIRE_TRUNCATED', () => read.u8());
    expectCode('WIRE_TRUNCATED', () => new ByteReader(Uint8Array.of(1, 2, 3)).u32());
    expectCode('WIRE_INVALID', () => new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x10)).varuint());
    expectCode('WIRE_INVALID', () => new ByteReader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80)).varuint());
    expectCode('WIRE_TRUNCATED', () => new ByteReader(Uint8Array.of(0x80, 0x80)).varuint());
    // The slice is a view of the input at the right place.
    const input = Uint8Array.of(5, 6, 7);
    const slicing = new ByteReader(input);
    slicing.u8();
    const view = slicing.slice(2);
    expect(view.byteOffset).toBe(input.byteOffset + 1);
    expect(Array.from(view)).toEqual([6, 7]);
  });
});

describe('pooled copies (byte-pool.ts)', () => {
  const copyOf = (length: number) => {
    const writer = new ByteWriter(length);
    writer.reset(length);
    return writer.toBytes();
  };
  const BLOCK_BYTES = 32 * 1024;

  it('up to 2 KiB share 32 KiB blocks at 8-byte steps, filled to the last byte; larger ones stand alone', () => {
    const alone = copyOf(2049);
    expect(alone.byteOffset).toBe(0);
    expect(alone.buffer.byteLength).toBe(2049);
    expect(copyOf(2048).buffer.byteLength).toBe(BLOCK_BYTES);

    let last = copyOf(5);
    const next = copyOf(3);
    if (next.buffer === last.buffer) expect(next.byteOffset).toBe(last.byteOffset + 8);
    last = next;
    // Fill the block up to exactly its end: the copy that fits exactly stays in it.
    let used = last.byteOffset + 8;
    while (BLOCK_BYTES - used > 2048) {
      last = copyOf(2048);
      used = last.byteOffset + 2048;
    }
    const rest = BLOCK_BYTES - used;
    if (rest > 0) {
      const fits = copyOf(rest);
      expect(fits.buffer).toBe(last.buffer);
      expect(fits.byteOffset + fits.length).toBe(BLOCK_BYTES);
    }
    const fresh = copyOf(1);
    expect(fresh.buffer).not.toBe(last.buffer);
    expect(fresh.byteOffset).toBe(0);
  });
});

describe('concatBytes', () => {
  it('joins parts in order into one new array', () => {
    const first = Uint8Array.of(1, 2);
    const joined = concatBytes([first, new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5)]);
    expect(Array.from(joined)).toEqual([1, 2, 3, 4, 5]);
    first[0] = 9;
    expect(joined[0]).toBe(1);
    expect(concatBytes([]).length).toBe(0);
  });
});
