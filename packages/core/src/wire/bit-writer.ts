import { ShardlineError } from '../errors.js';
import { BitSink, type BitString } from './bit-sink.js';
import { pooledBytes } from './byte-pool.js';
import { LITTLE_ENDIAN_HOST } from './host.js';
import { MAX_DECLARED_BYTES, MAX_UINT_BITS } from './limits.js';

// Stryker disable all: runs on big-endian hosts only, and every machine tests run on is little-endian
function byteSwap(word: number): number {
  return ((word & 0xff) << 24) | ((word & 0xff00) << 8) | ((word >>> 8) & 0xff00) | (word >>> 24);
}
// Stryker restore all

export interface BitWriterOptions {
  /** Bytes allocated up front; the buffer doubles as needed. */
  initialBytes?: number;
  /** The writer refuses to grow past this many bytes (WIRE_OVERFLOW). Default 1 MiB. */
  maxBytes?: number;
}

/**
 * Packs bits into a growable buffer. Bits gather in a 32-bit scratch word that is stored whole once
 * full, as little-endian bytes, which is exactly the LSB-first stream PROTOCOL.md defines.
 * Reusable: `reset()` between messages.
 */
export class BitWriter extends BitSink {
  private words: Uint32Array;
  private wordIndex = 0;
  /** Pending bits (fewer than 32), LSB-first. */
  private scratch = 0;
  private scratchBits = 0;
  private readonly maxBits: number;

  constructor(options: BitWriterOptions = {}) {
    super();
    const maxBytes = options.maxBytes ?? MAX_DECLARED_BYTES;
    this.maxBits = maxBytes * 8;
    // Stryker disable next-line ArithmeticOperator,MethodExpression: capacity only; the array grows on demand
    this.words = new Uint32Array(Math.ceil(Math.min(options.initialBytes ?? 256, maxBytes) / 4) + 1);
  }

  get bitLength(): number {
    return this.wordIndex * 32 + this.scratchBits;
  }

  get byteLength(): number {
    return this.wordIndex * 4 + ((this.scratchBits + 7) >>> 3);
  }

  writeUint(value: number, bits: number): void {
    if (value !== value >>> 0 || (bits < MAX_UINT_BITS && value >>> bits !== 0) || bits > MAX_UINT_BITS) {
      throw new ShardlineError('VALUE_INVALID', `${value} does not fit ${bits} unsigned bits`);
    }
    const used = this.scratchBits;
    const total = used + bits;
    if (this.wordIndex * 32 + total > this.maxBits) this.overflow();
    this.scratch |= value << used;
    if (total < 32) {
      this.scratchBits = total;
      return;
    }
    if (this.wordIndex === this.words.length) this.grow();
    this.words[this.wordIndex++] = LITTLE_ENDIAN_HOST ? this.scratch : byteSwap(this.scratch);
    this.scratchBits = total - 32;
    // The bits of `value` that did not fit the stored word start the next one.
    this.scratch = this.scratchBits === 0 ? 0 : value >>> (bits - this.scratchBits);
  }

  writeRawBytes(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.writeUint(bytes[i]!, 8);
  }

  /**
   * A copy of the bytes written so far (pooled: see byte-pool.ts); a partial last byte is padded
   * with zero bits.
   */
  toBytes(): Uint8Array {
    const fullBytes = this.wordIndex * 4;
    const out = pooledBytes(this.byteLength);
    out.set(new Uint8Array(this.words.buffer, 0, fullBytes));
    // Stryker disable next-line EqualityOperator: a typed array ignores a write at its length
    for (let i = fullBytes, rest = this.scratch; i < out.length; i++, rest >>>= 8) out[i] = rest & 0xff;
    return out;
  }

  /** A copy of the bits written so far, to write again with writeBits (no padding). */
  takeBits(): BitString {
    const words = new Uint32Array(this.wordIndex + (this.scratchBits > 0 ? 1 : 0));
    // Stryker disable next-line EqualityOperator: word wordIndex is rewritten below or out of range (ignored)
    for (let i = 0; i < this.wordIndex; i++) {
      words[i] = LITTLE_ENDIAN_HOST ? this.words[i]! : byteSwap(this.words[i]!);
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: with no partial word the index is out of range (ignored)
    if (this.scratchBits > 0) words[this.wordIndex] = this.scratch >>> 0;
    return { words, bitLength: this.bitLength };
  }

  reset(): void {
    this.wordIndex = 0;
    this.scratch = 0;
    this.scratchBits = 0;
  }

  private grow(): void {
    // Stryker disable next-line MethodExpression,ArithmeticOperator: a larger array only costs memory
    const grown = new Uint32Array(Math.min(this.words.length * 2, Math.ceil(this.maxBits / 32) + 1));
    grown.set(this.words);
    this.words = grown;
  }

  private overflow(): never {
    throw new ShardlineError('WIRE_OVERFLOW', `message would exceed ${this.maxBits / 8} bytes`, {
      maxBytes: this.maxBits / 8,
    });
  }
}
