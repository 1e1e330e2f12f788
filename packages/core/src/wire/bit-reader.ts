import { ShardlineError } from '../errors.js';
import { FLOAT64_HIGH_WORD, FLOAT64_LOW_WORD } from './host.js';
import { bitsForCount, LENGTH_PREFIX_BITS, zigzagDecode } from './integers.js';
import { MAX_UINT_BITS } from './limits.js';
import type { Quaternion, QuaternionQuantizer, ScalarQuantizer, Vec2, Vec3 } from './quantize.js';
import { decodeUtf8 } from './utf8.js';

/** LOW_BITS[n]: a mask of the n low bits, n in 0..32. */
const LOW_BITS: readonly number[] = Array.from({ length: 33 }, (_, n) =>
  n === 0 ? 0 : 0xffff_ffff >>> (32 - n),
);

const float32Scratch = new Float32Array(1);
const float32Bits = new Uint32Array(float32Scratch.buffer);
const float64Scratch = new Float64Array(1);
const float64Words = new Uint32Array(float64Scratch.buffer);

/**
 * Reads what a BitSink wrote. Input is hostile: every read is bounds-checked and raises WIRE_TRUNCATED
 * past the end, WIRE_LIMIT for a length over its cap, WIRE_INVALID for a malformed value. No read
 * allocates more than the input could describe.
 */
export class BitReader {
  private position = 0;
  readonly bitLength: number;
  /** Byte offset of the next 32-bit word to load. */
  private nextWordByte = 0;
  /** Loaded bits not yet consumed (fewer than 32), LSB-first. */
  private scratch = 0;
  private scratchBits = 0;

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

  /** Reads an unsigned integer of `bits` bits (0..32). Kept small so it inlines into callers. */
  readUint(bits: number): number {
    const end = this.position + bits;
    if (end > this.bitLength || bits > MAX_UINT_BITS) this.rejectRead(bits);
    this.position = end;
    const available = this.scratchBits;
    if (bits <= available) {
      const value = this.scratch & LOW_BITS[bits]!;
      this.scratch = this.scratch >>> bits;
      this.scratchBits = available - bits;
      return value >>> 0;
    }
    return this.readAcrossWord(bits, available);
  }

  /** The rest of a read that needs the next word: `available` low bits come from the scratch word. */
  private readAcrossWord(bits: number, available: number): number {
    const word = this.loadWord();
    const needed = bits - available;
    const value = (this.scratch | ((word & LOW_BITS[needed]!) << available)) >>> 0;
    this.scratch = needed === 32 ? 0 : word >>> needed;
    this.scratchBits = 32 - needed;
    return value;
  }

  private rejectRead(bits: number): never {
    if (bits > MAX_UINT_BITS) throw new ShardlineError('WIRE_INVALID', `cannot read ${bits} bits at once`);
    this.truncated(bits);
  }

  /** The next 32 bits of input as a little-endian word; bytes past the end read as zero. */
  private loadWord(): number {
    const word = this.peekWord();
    this.nextWordByte += 4;
    return word;
  }

  /** The word loadWord would return next, without consuming it. */
  private peekWord(): number {
    const bytes = this.bytes;
    const at = this.nextWordByte;
    // Bytes past the end read as undefined, which | and << take as 0: both paths give the same word.
    // Stryker disable next-line all: the check only picks the faster path (see above)
    if (at + 4 <= bytes.length) {
      return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    }
    let word = 0;
    // Stryker disable next-line EqualityOperator: reading one byte past the end adds undefined, taken as 0
    for (let i = 0; at + i < bytes.length; i++) word |= bytes[at + i]! << (8 * i);
    return word >>> 0;
  }

  /** Moves the read position to `bitPosition` (within the input) and reloads the scratch word. */
  private seek(bitPosition: number): void {
    this.position = bitPosition;
    this.nextWordByte = (bitPosition >>> 5) * 4;
    const skip = bitPosition & 31;
    this.scratch = 0;
    this.scratchBits = 0;
    if (skip > 0) {
      this.scratch = this.loadWord() >>> skip;
      this.scratchBits = 32 - skip;
    }
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
    const maxGroups = Math.ceil(32 / groupBits);
    const payloadMask = 0xffff_ffff >>> (32 - groupBits);
    let value = 0;
    let shift = 0;
    for (let group = 0; group < maxGroups; group++) {
      // Payload and continuation bit in one read when they fit 32 bits.
      const chunk = groupBits < 32 ? this.readUint(groupBits + 1) : this.readUint(groupBits);
      const payload = (chunk & payloadMask) >>> 0;
      const more = groupBits < 32 ? chunk >>> groupBits : this.readUint(1);
      // Payload bits that would land past bit 31 make the value exceed 32 bits.
      if (shift + groupBits > 32 && payload >>> (32 - shift) !== 0) {
        throw new ShardlineError('WIRE_INVALID', 'varuint exceeds 32 bits');
      }
      value = (value | (payload << shift)) >>> 0;
      shift += groupBits;
      if (more === 0) return value;
    }
    throw new ShardlineError('WIRE_INVALID', `varuint longer than ${maxGroups} groups`);
  }

  readVarInt(groupBits = 7): number {
    return zigzagDecode(this.readVarUint(groupBits));
  }

  /** See BitSink.writeExpGolomb. A code for a value past 2^32 − 1 is WIRE_INVALID. */
  readExpGolomb(order: number): number {
    // Look for the code's 1 in the loaded bits, widened by the next word (not consumed) if need be:
    // a code of up to 31 bits then takes one read (the zeros, the 1, then the low bits of x).
    // Stryker disable all: from here to `restore`, the checks only choose between one read and the long
    // path below, which reads the same codes and fails the same way (wire-boundaries.test.ts reads codes
    // at every offset and cut short)
    let window = this.scratch;
    let windowBits = this.scratchBits;
    if (window === 0 || 2 * (31 - Math.clz32(window & -window)) + order + 1 > windowBits) {
      window = (window | (this.peekWord() << windowBits)) >>> 0;
      windowBits = 32;
    }
    if (window !== 0) {
      const zeros = 31 - Math.clz32(window & -window);
      const total = 2 * zeros + order + 1;
      if (total <= 31 && total <= windowBits && this.position + total <= this.bitLength) {
        const code = this.readUint(total);
        return (code >>> (zeros + 1)) + (1 << (zeros + order)) - (1 << order);
      }
    }
    // Stryker restore all
    return this.readLongExpGolomb(order);
  }

  /** A code of 32 bits or more, or one running past the input (which then reads as truncated). */
  private readLongExpGolomb(order: number): number {
    let zeros = 0;
    while (this.readUint(1) === 0) {
      if (++zeros > 32 - order) throw new ShardlineError('WIRE_INVALID', 'exp-Golomb code exceeds 32 bits');
    }
    const lowBits = zeros + order;
    // Stryker disable next-line ConditionalExpression: readUint(0) is 0
    const x = 2 ** lowBits + (lowBits === 0 ? 0 : this.readUint(lowBits));
    const value = x - 2 ** order;
    if (value > 0xffff_ffff) throw new ShardlineError('WIRE_INVALID', 'exp-Golomb code exceeds 32 bits');
    return value;
  }

  /** See BitSink.writeNonZeroUint. */
  readNonZeroUint(maxBits: number): number {
    const prefixBits = LENGTH_PREFIX_BITS[maxBits]!;
    const length = this.readUint(prefixBits) + 1;
    if (length > maxBits) {
      throw new ShardlineError('WIRE_INVALID', `bit length ${length} exceeds the declared ${maxBits}`);
    }
    // Stryker disable next-line ConditionalExpression: (1 << 0) | readUint(0) is 1
    return length === 1 ? 1 : ((1 << (length - 1)) | this.readUint(length - 1)) >>> 0;
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

  /** A quantizer's code; one above its maxCode is WIRE_INVALID. */
  readQuantized(quantizer: ScalarQuantizer): number {
    const code = this.readUint(quantizer.bits);
    if (code > quantizer.maxCode)
      throw new ShardlineError('WIRE_INVALID', `quantized code ${code} is out of range`);
    return quantizer.decode(code);
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
    // Stryker disable next-line ConditionalExpression,BlockStatement: the bit-by-bit loop below reads the same bytes
    if ((this.position & 7) === 0) {
      const start = this.position >>> 3;
      this.seek(this.position + length * 8);
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
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with 0 bits left readUint(0) is 0, so `remaining > 0` only skips a read
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
