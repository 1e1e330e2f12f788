import { ShardlineError } from '../errors.js';
import { bitLength, bitsForCount, zigzagEncode } from './integers.js';
import { MAX_DECLARED_BYTES, MAX_UINT_BITS } from './limits.js';
import type { Quaternion, QuaternionQuantizer, ScalarQuantizer, Vec2, Vec3 } from './quantize.js';
import { encodeUtf8 } from './utf8.js';

const float32Scratch = new Float32Array(1);
const float32Bits = new Uint32Array(float32Scratch.buffer);
const float64Scratch = new Float64Array(1);
const float64Words = new Uint32Array(float64Scratch.buffer);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const [FLOAT64_LOW_WORD, FLOAT64_HIGH_WORD] = LITTLE_ENDIAN_HOST ? [0, 1] : [1, 0];

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
    const groupLimit = 2 ** groupBits;
    let rest = value;
    for (;;) {
      const payload = rest % groupLimit;
      rest = (rest - payload) / groupLimit;
      this.writeUint(payload, groupBits);
      this.writeUint(rest === 0 ? 0 : 1, 1);
      if (rest === 0) return;
    }
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
    const length = bitLength(value);
    if (value < 1 || length > maxBits || !Number.isInteger(value)) {
      throw new ShardlineError('VALUE_INVALID', `${value} is not a non-zero ${maxBits}-bit integer`);
    }
    this.writeUint(length - 1, bitsForCount(maxBits));
    if (length > 1) this.writeUint(value - 2 ** (length - 1), length - 1);
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

export interface BitWriterOptions {
  /** Bytes allocated up front; the buffer doubles as needed. */
  initialBytes?: number;
  /** The writer refuses to grow past this many bytes (WIRE_OVERFLOW). Default 1 MiB. */
  maxBytes?: number;
}

/** Packs bits into a growable byte buffer. Reusable: `reset()` between messages. */
export class BitWriter extends BitSink {
  private buffer: Uint8Array;
  private bytePosition = 0;
  /** Pending bits not yet forming a whole byte (fewer than 8), LSB-first. */
  private scratch = 0;
  private scratchBits = 0;
  private readonly maxBytes: number;

  constructor(options: BitWriterOptions = {}) {
    super();
    this.maxBytes = options.maxBytes ?? MAX_DECLARED_BYTES;
    this.buffer = new Uint8Array(Math.min(options.initialBytes ?? 256, this.maxBytes));
  }

  get bitLength(): number {
    return this.bytePosition * 8 + this.scratchBits;
  }

  get byteLength(): number {
    return this.bytePosition + (this.scratchBits > 0 ? 1 : 0);
  }

  writeUint(value: number, bits: number): void {
    if (value !== value >>> 0 || (bits < MAX_UINT_BITS && value >>> bits !== 0) || bits > MAX_UINT_BITS) {
      throw new ShardlineError('VALUE_INVALID', `${value} does not fit ${bits} unsigned bits`);
    }
    if (bits > 24) {
      this.writeUint(value & 0xffff, 16);
      this.writeUint(value >>> 16, bits - 16);
      return;
    }
    // At most 7 pending bits + 24 new bits: fits a positive 31-bit integer.
    let pending = this.scratch | (value << this.scratchBits);
    let pendingBits = this.scratchBits + bits;
    if (this.bytePosition * 8 + pendingBits > this.maxBytes * 8) this.overflow();
    if (pendingBits >= 8) {
      this.reserve(pendingBits >>> 3);
      const buffer = this.buffer;
      while (pendingBits >= 8) {
        buffer[this.bytePosition++] = pending & 0xff;
        pending >>>= 8;
        pendingBits -= 8;
      }
    }
    this.scratch = pending;
    this.scratchBits = pendingBits;
  }

  writeRawBytes(bytes: Uint8Array): void {
    if (this.scratchBits !== 0) {
      for (const byte of bytes) this.writeUint(byte, 8);
      return;
    }
    if (this.bytePosition + bytes.length > this.maxBytes) this.overflow();
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.bytePosition);
    this.bytePosition += bytes.length;
  }

  /** A copy of the bytes written so far; a partial last byte is padded with zero bits. */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(this.byteLength);
    bytes.set(this.buffer.subarray(0, this.bytePosition));
    if (this.scratchBits > 0) bytes[this.bytePosition] = this.scratch;
    return bytes;
  }

  reset(): void {
    this.bytePosition = 0;
    this.scratch = 0;
    this.scratchBits = 0;
  }

  /** Makes room for `extraBytes` more whole bytes (callers have checked maxBytes). */
  private reserve(extraBytes: number): void {
    const needed = this.bytePosition + extraBytes;
    if (needed <= this.buffer.length) return;
    const grown = new Uint8Array(Math.min(Math.max(needed, this.buffer.length * 2), this.maxBytes));
    grown.set(this.buffer.subarray(0, this.bytePosition));
    this.buffer = grown;
  }

  private overflow(): never {
    throw new ShardlineError('WIRE_OVERFLOW', `message would exceed ${this.maxBytes} bytes`, {
      maxBytes: this.maxBytes,
    });
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
