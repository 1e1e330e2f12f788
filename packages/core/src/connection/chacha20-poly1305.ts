import { ShardlineError } from '../errors.js';
import { keyStream, keyStreamBlock, loadKeyAndNonce, xorKeyStream } from './chacha20.js';
import { type Aead, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from './crypto.js';
import { absorbBlocks, finishMac, startMac } from './poly1305.js';

/** Seals `plaintext` into `out` at `offset` (ciphertext, then the tag); `plaintext` may be `out` there. */
const sealInto: NonNullable<Aead['sealInto']> = (key, nonce, associatedData, plaintext, out, offset) => {
  checkSizes(key, nonce);
  const length = plaintext.length;
  loadKeyAndNonce(key, nonce);
  xorKeyStream(plaintext, out, offset, length, 1);
  authenticate(associatedData, out, offset, length);
  finishMac(out, offset + length);
};

/**
 * Checks the tag of `sealed` (ciphertext, then tag) and only then writes the plaintext into `out` at
 * `offset`; `out` may be sealed's own array at the same position. False, `out` untouched, when the
 * tag does not authenticate.
 */
const openInto: NonNullable<Aead['openInto']> = (key, nonce, associatedData, sealed, out, offset) => {
  checkSizes(key, nonce);
  // Stryker disable next-line ConditionalExpression: shorter than a tag, the comparison below reads past its start and fails as well
  if (sealed.length < TAG_BYTES) return false;
  const length = sealed.length - TAG_BYTES;
  loadKeyAndNonce(key, nonce);
  authenticate(associatedData, sealed, 0, length);
  finishMac(expectedTag, 0);
  let difference = 0;
  // Stryker disable next-line EqualityOperator: a 17th round XORs undefined with undefined: 0
  for (let i = 0; i < TAG_BYTES; i++) difference |= expectedTag[i]! ^ sealed[length + i]!;
  if (difference !== 0) return false;
  xorKeyStream(sealed, out, offset, length, 1);
  return true;
};

/**
 * ChaCha20-Poly1305 (RFC 8439 §2.8) in plain TypeScript that allocates nothing per packet: it seals
 * into the caller's array and opens in place. Why it exists (decision 0027): node:crypto's AEAD takes
 * a native cipher object per packet, and those objects (behind weak handles, their results in fresh
 * ArrayBuffers) were the largest part of every scavenge left in the soak; browsers have no
 * ChaCha20-Poly1305 at all. Checked against RFC 8439's vectors and node:crypto
 * (test/connection-chacha20-poly1305.test.ts). Not constant-time in the way a native implementation
 * is (no JavaScript is); the tag comparison does not stop at the first difference.
 */
export const chacha20Poly1305: Aead = {
  seal(key, nonce, associatedData, plaintext) {
    const sealed = new Uint8Array(plaintext.length + TAG_BYTES);
    sealInto(key, nonce, associatedData, plaintext, sealed, 0);
    return sealed;
  },
  sealInto,
  open(key, nonce, associatedData, sealed) {
    if (sealed.length < TAG_BYTES) return undefined;
    const plaintext = new Uint8Array(sealed.length - TAG_BYTES);
    return openInto(key, nonce, associatedData, sealed, plaintext, 0) ? plaintext : undefined;
  },
  openInto,
};

const expectedTag = new Uint8Array(TAG_BYTES);
/** A zero-padded tail block, or the two lengths. */
const block = new Uint8Array(16);

function checkSizes(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== KEY_BYTES) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `ChaCha20-Poly1305 keys are ${KEY_BYTES} bytes, not ${key.length}`,
    );
  }
  if (nonce.length !== NONCE_BYTES) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `ChaCha20-Poly1305 nonces are ${NONCE_BYTES} bytes, not ${nonce.length}`,
    );
  }
}

/**
 * Runs Poly1305 over AAD ‖ pad16 ‖ ciphertext ‖ pad16 ‖ len(AAD) u64 ‖ len(ciphertext) u64, keyed by
 * key-stream block 0 (§2.6); the caller finishes it. The key and nonce are loaded.
 */
function authenticate(associatedData: Uint8Array, ciphertext: Uint8Array, at: number, length: number): void {
  keyStreamBlock(0);
  startMac(keyStream);
  absorbPadded(associatedData, 0, associatedData.length);
  absorbPadded(ciphertext, at, length);
  block.fill(0);
  writeLength(associatedData.length, 0);
  writeLength(length, 8);
  absorbBlocks(block, 0, 1);
}

/** A length as u64 little-endian at `at` in `block` (lengths here are < 2^32). */
function writeLength(length: number, at: number): void {
  for (let i = 0; i < 4; i++) block[at + i] = length >>> (i * 8);
}

/** bytes[at, at + length) as whole blocks, the last one zero-padded. */
function absorbPadded(bytes: Uint8Array, at: number, length: number): void {
  const whole = Math.floor(length / 16);
  absorbBlocks(bytes, at, whole);
  const tail = length - whole * 16;
  if (tail === 0) return;
  block.fill(0);
  for (let i = 0; i < tail; i++) block[i] = bytes[at + whole * 16 + i]!;
  absorbBlocks(block, 0, 1);
}
