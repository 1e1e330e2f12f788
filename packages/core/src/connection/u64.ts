import { ShardlineError } from '../errors.js';
import type { ByteReader, ByteWriter } from '../wire/bytes.js';

/** Unsigned 64-bit values that fit a JavaScript number (< 2^53): timestamps in ms, packet counters. */
export function writeU64(writer: ByteWriter, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new ShardlineError('VALUE_INVALID', `${value} is not a u53`);
  writer.u32(value >>> 0);
  writer.u32(Math.floor(value / 0x1_0000_0000));
}

export function readU64(reader: ByteReader): number {
  const low = reader.u32();
  const high = reader.u32();
  if (high >= 0x20_0000) throw new ShardlineError('WIRE_INVALID', 'u64 beyond 2^53');
  return high * 0x1_0000_0000 + low;
}
