/**
 * The cryptography the connection layer needs, injected so core stays free of runtime dependencies:
 * the server and Node clients pass an implementation over node:crypto (see @shardline/server).
 */

/**
 * ChaCha20-Poly1305 (RFC 8439): 32-byte keys, 12-byte nonces, 16-byte tags appended to the ciphertext.
 * An implementation reads `nonce` and `associatedData` during the call only (callers reuse them).
 */
export interface Aead {
  seal(key: Uint8Array, nonce: Uint8Array, associatedData: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Optional: `seal`, writing the ciphertext and tag (plaintext.length + TAG_BYTES bytes) into `out`
   * at `offset` instead of a new array (a packet is sealed in place after its header).
   */
  sealInto?(
    key: Uint8Array,
    nonce: Uint8Array,
    associatedData: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void;
  /** The plaintext, or undefined when the tag does not authenticate (tampered, wrong key or nonce). */
  open(
    key: Uint8Array,
    nonce: Uint8Array,
    associatedData: Uint8Array,
    sealed: Uint8Array,
  ): Uint8Array | undefined;
  /**
   * Optional: `open`, writing the plaintext (sealed.length − TAG_BYTES bytes) into `out` at `offset`
   * instead of a new array; `out` may be sealed's own array at the same position (in place). False,
   * with `out` untouched, when the tag does not authenticate.
   */
  openInto?(
    key: Uint8Array,
    nonce: Uint8Array,
    associatedData: Uint8Array,
    sealed: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): boolean;
}

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

/** Cryptographically secure random bytes (globalThis.crypto.getRandomValues exists in browsers and Node). */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const source = (globalThis as { crypto?: { getRandomValues(array: Uint8Array): Uint8Array } }).crypto;
  if (!source) throw new Error('no secure random source (globalThis.crypto) in this runtime');
  source.getRandomValues(bytes);
  return bytes;
}

/**
 * Nonce domains keep nonces under one key apart: session packets count from 0 in domain 0, while
 * challenges (sent under the same server-to-client key before the session exists) use domain 1.
 */
export const SESSION_NONCE_DOMAIN = 0;
export const CHALLENGE_NONCE_DOMAIN = 1;

/** A 12-byte nonce: the domain as u32, then a 64-bit counter, little-endian. */
export function counterNonce(counter: number, domain = SESSION_NONCE_DOMAIN): Uint8Array {
  return writeCounterNonce(new Uint8Array(NONCE_BYTES), counter, domain);
}

/** counterNonce written into `nonce` (12 bytes, every byte rewritten), for callers that reuse one. */
export function writeCounterNonce(nonce: Uint8Array, counter: number, domain: number): Uint8Array {
  writeU32(nonce, 0, domain);
  writeU32(nonce, 4, counter >>> 0);
  writeU32(nonce, 8, Math.floor(counter / 0x1_0000_0000));
  return nonce;
}

/** The little-endian u32 at `offset`. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  );
}

/** A little-endian u32 at `offset`. */
export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}
