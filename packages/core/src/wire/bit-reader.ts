import { ShardlineError } from '../errors.js';
import { bitsForCount, zigzagDecode } from './integers.js';
import { MAX_UINT_BITS } from './limits.js';
import type { Quaternion, QuaternionQuantizer, ScalarQuantizer, Vec2, Vec3 } from './quantize.js';
import { decodeUtf8 } from './utf8.js';

const float32Scratch = new Float32Array(1);
const float32Bits = new Uint32Array(float32Scratch.buffer);
const float64Scratch = new Float64Array(1);
const float64Words = new Uint32Array(float64Scratch.buffer);
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const [FLOAT64_LOW_WORD, FLOAT64_HIGH_WORD] = LITTLE_ENDIAN_HOST ? [0, 1] : [1, 0];

/**
 * Reads what a BitSink wrote. Input is hostile: every read is bounds-checked and raises WIRE_TRUNCATED
 * past the end, WIRE_LIMIT for a length over its cap, WIRE_INVALID for a malformed value. No read
 * allocates more than the input could describe.
 */
export class BitReader {
  private position = 0;
  readonly bitLength: number;

  constructor(private readonly bytes: Uint8Array) {
    this.bitLength = bytes.length * 8;
  }

  /** Bits consumed so far. */
  get bitPosition(): number {
    return this.position;
  }

  get remainingBits(): number {
    return this.bitLength - this.position;
  }

  /** Reads an unsigned integer of `bits` bits (0..32). */
  readUint(bits: number): number {
    if (bits > 24) {
      if (bits > MAX_UINT_BITS) throw new ShardlineError('WIRE_INVALID', `cannot read ${bits} bits at once`);
      const low = this.readUint(16);
      return low + this.readUint(bits - 16) * 0x1_0000;
    }
    if (bits === 0) return 0;
    const start = this.position;
    const end = start + bits;
    if (end > this.bitLength) this.truncated(bits);
    const bytes = this.bytes;
    let index = start >>> 3;
    const shift = start & 7;
    // Gather whole bytes until `bits` are covered: at most 7 + 24 = 31 bits, so int32 math is exact.
    let window = bytes[index]! >>> shift;
    let available = 8 - shift;
    while (available < bits) {
      window |= bytes[++index]! << available;
      available += 8;
    }
    this.position = end;
    return window & ((1 << bits) - 1);
  }

  readBool(): boolean {
    return this.readUint(1) === 1;
  }

  /** Two's complement integer of `bits` bits. */
  readInt(bits: number): number {
    const code = this.readUint(bits);
    const half = 2 ** (bits - 1);
    return code >= half ? code - 2 * half : code;
  }

  /** See BitSink.writeVarUint. Rejects encodings longer than a 32-bit value needs (WIRE_INVALID). */
  readVarUint(groupBits = 7): number {
    const groupLimit = 2 ** groupBits;
    const maxGroups = Math.ceil(32 / groupBits);
    let value = 0;
    let scale = 1;
    for (let group = 0; group < maxGroups; group++) {
      value += this.readUint(groupBits) * scale;
      scale *= groupLimit;
      if (this.readUint(1) === 0) {
        if (value > 0xffff_ffff) throw new ShardlineError('WIRE_INVALID', 'varuint exceeds 32 bits');
        return value;
      }
    }
    throw new ShardlineError('WIRE_INVALID', `varuint longer than ${maxGroups} groups`);
  }

  readVarInt(groupBits = 7): number {
    return zigzagDecode(this.readVarUint(groupBits));
  }

  /** See BitSink.writeNonZeroUint. */
  readNonZeroUint(maxBits: number): number {
    const length = this.readUint(bitsForCount(maxBits)) + 1;
    if (length > maxBits) {
      throw new ShardlineError('WIRE_INVALID', `bit length ${length} exceeds the declared ${maxBits}`);
    }
    return length === 1 ? 1 : 2 ** (length - 1) + this.readUint(length - 1);
  }

  readFloat32(): number {
    float32Bits[0] = this.readUint(32);
    return float32Scratch[0]!;
  }

  readFloat64(): number {
    float64Words[FLOAT64_LOW_WORD] = this.readUint(32);
    float64Words[FLOAT64_HIGH_WORD] = this.readUint(32);
    return float64Scratch[0]!;
  }

  /** Every code of a quantizer's bit width is valid, so this never rejects. */
  readQuantized(quantizer: ScalarQuantizer): number {
    return quantizer.decode(this.readUint(quantizer.bits));
  }

  readVec2(quantizer: ScalarQuantizer): Vec2 {
    const x = this.readQuantized(quantizer);
    return { x, y: this.readQuantized(quantizer) };
  }

  readVec3(quantizer: ScalarQuantizer): Vec3 {
    const x = this.readQuantized(quantizer);
    const y = this.readQuantized(quantizer);
    return { x, y, z: this.readQuantized(quantizer) };
  }

  /** WIRE_INVALID when the three components cannot belong to a unit quaternion. */
  readQuaternion(quantizer: QuaternionQuantizer): Quaternion {
    const largest = this.readUint(2);
    const a = this.readUint(quantizer.componentBits);
    const b = this.readUint(quantizer.componentBits);
    return quantizer.decode(largest, a, b, this.readUint(quantizer.componentBits));
  }

  /** Reads `length` bytes with no prefix. Checks the input holds them before allocating. */
  readRawBytes(length: number): Uint8Array {
    if (length * 8 > this.remainingBits) this.truncated(length * 8);
    if ((this.position & 7) === 0) {
      const start = this.position >>> 3;
      this.position += length * 8;
      return this.bytes.slice(start, start + length);
    }
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.readUint(8);
    return out;
  }

  /** See BitSink.writeBytes: a length over `maxLength` is WIRE_LIMIT. */
  readBytes(maxLength: number): Uint8Array {
    return this.readRawBytes(this.readLength(maxLength));
  }

  /** See BitSink.writeString: WIRE_LIMIT over `maxBytes`, WIRE_INVALID for malformed UTF-8. */
  readString(maxBytes: number): string {
    return decodeUtf8(this.readBytes(maxBytes));
  }

  /** Reads a length or count written in bitsForCount(max + 1) bits and checks it against `max`. */
  readLength(max: number): number {
    const length = this.readUint(bitsForCount(max + 1));
    if (length > max) {
      throw new ShardlineError('WIRE_LIMIT', `length ${length} exceeds the declared maximum ${max}`, {
        length,
        max,
      });
    }
    return length;
  }

  /**
   * Asserts the message ended: fewer than 8 bits may remain and they must be the zero padding a writer
   * adds. Otherwise WIRE_TRAILING_DATA.
   */
  expectEnd(): void {
    const remaining = this.remainingBits;
    if (remaining >= 8 || (remaining > 0 && this.readUint(remaining) !== 0)) {
      throw new ShardlineError('WIRE_TRAILING_DATA', `${remaining} bits remain after the message`, {
        remainingBits: remaining,
      });
    }
  }

  private truncated(wantedBits: number): never {
    throw new ShardlineError('WIRE_TRUNCATED', `needed ${wantedBits} bits, ${this.remainingBits} remain`, {
      bitPosition: this.position,
      remainingBits: this.remainingBits,
    });
  }
}
