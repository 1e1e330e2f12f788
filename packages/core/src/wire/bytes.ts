import { ShardlineError } from '../errors.js';
import { pooledCopy } from './byte-pool.js';

/** The parts one after another, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Byte-aligned little-endian writer for packet framing, where payloads are copied whole. Writes into
 * a fixed-capacity buffer (a packet never grows past its MTU): going past it is WIRE_OVERFLOW.
 */
export class ByteWriter {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private offset = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  get length(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.offset, value);
    this.offset += 1;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.offset, value, true);
    this.offset += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.offset, value, true);
    this.offset += 4;
  }

  /** LEB128: 7 bits per byte, low first, high bit set while more bytes follow. Up to 2^32 - 1. */
  varuint(value: number): void {
    let rest = value >>> 0;
    while (rest >= 0x80) {
      this.u8((rest & 0x7f) | 0x80);
      rest >>>= 7;
    }
    this.u8(rest);
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
  }

  /** A copy of what was written (pooled: see byte-pool.ts). */
  toBytes(): Uint8Array {
    return pooledCopy(this.bytes, this.offset);
  }

  /** Starts over; the first `headroom` bytes are skipped (left for a caller to fill in later). */
  reset(headroom = 0): void {
    this.offset = headroom;
  }

  private reserve(count: number): void {
    if (this.offset + count > this.bytes.length) {
      throw new ShardlineError('WIRE_OVERFLOW', `packet would exceed ${this.bytes.length} bytes`);
    }
  }
}

/** Bytes needed by ByteWriter.varuint for `value`. */
export function varuintSize(value: number): number {
  let size = 1;
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) size++;
  return size;
}

/** Reads what ByteWriter wrote; bounds-checked (WIRE_TRUNCATED), varuints capped at 32 bits (WIRE_INVALID). */
export class ByteReader {
  private readonly data: DataView;
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  u8(): number {
    this.need(1);
    return this.data.getUint8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const value = this.data.getUint16(this.offset, true);
    this.offset += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.data.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  varuint(): number {
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const byte = this.u8();
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
    }
    // The fifth byte holds bits 28..31: more (a higher bit, or a continuation bit) exceeds 32 bits.
    const last = this.u8();
    if (last > 0x0f) throw new ShardlineError('WIRE_INVALID', 'varuint exceeds 32 bits');
    return (value | (last << 28)) >>> 0;
  }

  /** The next `length` bytes as a view into the input (no copy); the caller copies what it keeps. */
  slice(length: number): Uint8Array {
    this.need(length);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  private need(count: number): void {
    if (this.offset + count > this.bytes.length) {
      throw new ShardlineError('WIRE_TRUNCATED', `needed ${count} bytes, ${this.remaining} remain`);
    }
  }
}
