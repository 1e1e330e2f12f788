import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import { encodeUtf8 } from '../wire/utf8.js';

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** FNV-1a, 64-bit, over the UTF-8 bytes of `text`; 16 lowercase hex digits. */
export function fnv1a64(text: string): string {
  let hash = FNV64_OFFSET;
  for (const byte of encodeUtf8(text)) {
    hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  }
  return hash.toString(16).padStart(16, '0');
}

/** Anything with a canonical declaration text. */
export interface Fingerprinted {
  readonly descriptor: string;
}

/** Fingerprint of a set of declarations in order: peers compare it before decoding anything. */
export function schemaFingerprint(...schemas: Fingerprinted[]): string {
  return fnv1a64(schemas.map((schema) => schema.descriptor).join('\n'));
}

/**
 * Throws SCHEMA_MISMATCH when a peer's fingerprint differs from ours: the two sides declared different
 * schemas and would decode each other's bytes as garbage.
 */
export function assertSameFingerprint(local: string, remote: string, context = 'schema'): void {
  if (local !== remote) {
    throw new ShardlineError(
      'SCHEMA_MISMATCH',
      `${context} fingerprint ${remote} from the peer differs from ours (${local}): both sides must declare the same schemas`,
      { local, remote },
    );
  }
}

/** A fingerprint on the wire: 64 bits as two 32-bit words, high word first. */
export function writeFingerprint(sink: BitSink, fingerprint: string): void {
  if (!/^[0-9a-f]{16}$/.test(fingerprint)) {
    throw new ShardlineError('VALUE_INVALID', `${fingerprint} is not a 16-digit hex fingerprint`);
  }
  sink.writeUint(Number.parseInt(fingerprint.slice(0, 8), 16), 32);
  sink.writeUint(Number.parseInt(fingerprint.slice(8), 16), 32);
}

export function readFingerprint(reader: BitReader): string {
  const high = reader.readUint(32).toString(16).padStart(8, '0');
  return high + reader.readUint(32).toString(16).padStart(8, '0');
}
