import { ShardlineError } from '../errors.js';
import { FLOAT64_HIGH_WORD, FLOAT64_LOW_WORD } from './host.js';
import { bitsForCount, expGolombLength, LENGTH_PREFIX_BITS, zigzagEncode } from './integers.js';
import { MAX_UINT_BITS } from './limits.js';
import type { Quaternion, QuaternionQuantizer, ScalarQuantizer, Vec2, Vec3 } from './quantize.js';
import { encodeUtf8 } from './utf8.js';

const float32Scratch = new Float32Array(1);
const float32Bits = new Uint32Array(float32Scratch.buffer);
const float64Scratch = new Float64Array(1);
const float64Words = new Uint32Array(float64Scratch.buffer);

/**
 * A run of bits captured from a BitWriter (`takeBits`), to be written again elsewhere (`writeBits`):
 * `words[i]` holds stream bits 32·i … 32·i + 31, LSB-first; the last word is partial.
 */
export interface BitString {
  readonly words: Uint32Array;
  readonly bitLength: number;
}

/**
 * Everything that can be written to a bit stream. BitWriter produces bytes; BitCounter only counts
 * bits ("measure mode"). Both inherit every composite encoding from here, so a measured size is exactly
 * the written size. Writes assert their arguments: a bad value is a bug on this side (VALUE_INVALID).
 * Bit order: LSB-first; see docs/wire/PROTOCOL.md.
 */
export abstract class BitSink {
  /** Writes the low `bits` bits of `value`, an integer in [0, 2^bits), bits in 0..32. */
  abstract writeUint(value: number, bits: number): void;
  /** Writes bytes with no length prefix. */
  abstract writeRawBytes(bytes: Uint8Array): void;
  /** Bits written so far. */
  abstract get bitLength(): number;

  writeBool(value: boolean): void {
    this.writeUint(value ? 1 : 0, 1);
  }

  /** Writes a captured run of bits exactly as it was written (see BitWriter.takeBits). */
  writeBits(bits: BitString): void {
    const full = bits.bitLength >>> 5;
    for (let i = 0; i < full; i++) this.writeUint(bits.words[i]!, 32);
    const rest = bits.bitLength & 31;
    if (rest > 0) this.writeUint(bits.words[full]!, rest);
  }

  /** Two's complement in `bits` bits; `value` in [-2^(bits-1), 2^(bits-1)). */
  writeInt(value: number, bits: number): void {
    const half = 2 ** (bits - 1);
    if (!Number.isInteger(value) || value < -half || value >= half) {
      throw new ShardlineError('VALUE_INVALID', `${value} does not fit a signed ${bits}-bit integer`);
    }
    this.writeUint(value < 0 ? value + 2 * half : value, bits);
  }

  /**
   * Variable-length unsigned integer up to 2^32-1: groups of `groupBits` payload bits, least significant
   * first, each followed by one continuation bit (1 = another group follows).
   */
  writeVarUint(value: number, groupBits = 7): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new ShardlineError('VALUE_INVALID', `${value} is not a 32-bit unsigned integer`);
    }
    if (groupBits === 32) {
      // One group holds any value: the payload, then a continuation bit of 0.
      this.writeUint(value, 32);
      this.writeUint(0, 1);
      return;
    }
    const payloadMask = 0xffff_ffff >>> (32 - groupBits);
    let rest = value;
    for (;;) {
      const payload = (rest & payloadMask) >>> 0;
      rest >>>= groupBits;
      // Payload and continuation bit in one write: the continuation bit is the next bit up.
      this.writeUint(rest === 0 ? payload : (payload | (1 << groupBits)) >>> 0, groupBits + 1);
      if (rest === 0) return;
    }
  }

  /**
   * Exp-Golomb code of order k (`order`) for 0 ≤ value < 2^32: with x = value + 2^k of bit length L,
   * L − 1 − k zero bits, a one bit (x's top bit), then x's low L − 1 bits as uint(L − 1): 2L − 1 − k
   * bits in all. Order 0 writes 0 in one bit; a larger order suits larger typical values.
   */
  writeExpGolomb(value: number, order: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new ShardlineError('VALUE_INVALID', `${value} is not a 32-bit unsigned integer`);
    }
    const length = expGolombLength(value, order);
    const zeros = length - 1 - order;
    const total = 2 * length - 1 - order;
    // Stryker disable next-line all: one write or three, the same bits; the check only picks the faster one
    if (total <= 31) {
      // Zeros, the top bit and the low bits in one write (LSB-first: the zeros come first).
      const low = (value + (1 << order)) ^ (1 << (length - 1)); // x without its top bit
      this.writeUint(((low << (zeros + 1)) | (1 << zeros)) >>> 0, total);
      return;
    }
    const low = value + 2 ** order - 2 ** (length - 1);
    this.writeUint(0, zeros);
    this.writeUint(1, 1);
    this.writeUint(low, length - 1);
  }

  /** Signed 32-bit integer, zigzag-mapped then written as a varuint. */
  writeVarInt(value: number, groupBits = 7): void {
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
      throw new ShardlineError('VALUE_INVALID', `${value} is not a 32-bit signed integer`);
    }
    this.writeVarUint(zigzagEncode(value), groupBits);
  }

  /**
   * A non-zero unsigned integer below 2^maxBits in as few bits as its magnitude needs: its bit length L
   * (1..maxBits) as L-1 in ceil(log2(maxBits)) bits, then its low L-1 bits (the top bit is implied).
   */
  writeNonZeroUint(value: number, maxBits: number): void {
    if (value !== value >>> 0 || value === 0 || (maxBits < 32 && value >>> maxBits !== 0)) {
      throw new ShardlineError('VALUE_INVALID', `${value} is not a non-zero ${maxBits}-bit integer`);
    }
    const length = 32 - Math.clz32(value);
    const prefixBits = LENGTH_PREFIX_BITS[maxBits]!;
    const low = length === 1 ? 0 : (value & (0xffff_ffff >>> (33 - length))) >>> 0;
    // Stryker disable next-line all: one write or two, the same bits; the check only picks the faster one
    if (prefixBits + length - 1 <= 32) {
      // Prefix (low bits) and payload in one write: the same bits as two writes in order.
      this.writeUint(((low << prefixBits) | (length - 1)) >>> 0, prefixBits + length - 1);
    } else {
      this.writeUint(length - 1, prefixBits);
      this.writeUint(low, length - 1);
    }
  }

  /** IEEE 754 binary32 bits (the value is rounded to float32 first). */
  writeFloat32(value: number): void {
    float32Scratch[0] = value;
    this.writeUint(float32Bits[0]!, 32);
  }

  /** IEEE 754 binary64 bits, low word first. */
  writeFloat64(value: number): void {
    float64Scratch[0] = value;
    this.writeUint(float64Words[FLOAT64_LOW_WORD]!, 32);
    this.writeUint(float64Words[FLOAT64_HIGH_WORD]!, 32);
  }

  /** A float as its quantizer's code (`quantizer.bits` bits). */
  writeQuantized(value: number, quantizer: ScalarQuantizer): void {
    this.writeUint(quantizer.encode(value), quantizer.bits);
  }

  writeVec2(value: Vec2, quantizer: ScalarQuantizer): void {
    this.writeQuantized(value.x, quantizer);
    this.writeQuantized(value.y, quantizer);
  }

  writeVec3(value: Vec3, quantizer: ScalarQuantizer): void {
    this.writeQuantized(value.x, quantizer);
    this.writeQuantized(value.y, quantizer);
    this.writeQuantized(value.z, quantizer);
  }

  /** Smallest-three: largest index in 2 bits, then three components (see QuaternionQuantizer). */
  writeQuaternion(value: Quaternion, quantizer: QuaternionQuantizer): void {
    const [largest, a, b, c] = quantizer.encode(value);
    this.writeUint(largest, 2);
    this.writeUint(a, quantizer.componentBits);
    this.writeUint(b, quantizer.componentBits);
    this.writeUint(c, quantizer.componentBits);
  }

  /** Length in bitsForCount(maxLength + 1) bits, then the bytes. */
  writeBytes(bytes: Uint8Array, maxLength: number): void {
    if (bytes.length > maxLength) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `${bytes.length} bytes exceed the declared maximum ${maxLength}`,
      );
    }
    this.writeUint(bytes.length, bitsForCount(maxLength + 1));
    this.writeRawBytes(bytes);
  }

  /** UTF-8 bytes of `text` with writeBytes framing; `maxBytes` caps the encoded length. */
  writeString(text: string, maxBytes: number): void {
    this.writeBytes(encodeUtf8(text), maxBytes);
  }
}

/** Measure mode: accepts every write a BitWriter does and only counts the bits. */
export class BitCounter extends BitSink {
  private bits = 0;

  get bitLength(): number {
    return this.bits;
  }

  get byteLength(): number {
    return Math.ceil(this.bits / 8);
  }

  writeUint(value: number, bits: number): void {
    if (value !== value >>> 0 || (bits < MAX_UINT_BITS && value >>> bits !== 0) || bits > MAX_UINT_BITS) {
      throw new ShardlineError('VALUE_INVALID', `${value} does not fit ${bits} unsigned bits`);
    }
    this.bits += bits;
  }

  writeRawBytes(bytes: Uint8Array): void {
    this.bits += bytes.length * 8;
  }

  reset(): void {
    this.bits = 0;
  }
}
