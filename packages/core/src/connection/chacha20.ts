import { readU32 } from './crypto.js';

/**
 * The ChaCha20 block function and stream (RFC 8439 §2.3–2.4), allocation-free: one module-level
 * state, so a caller loads a key and nonce and then takes blocks before anything else runs.
 */

/** The block function's input: constants, key, block counter (word 12), nonce; words, little-endian. */
const input = new Int32Array(16);
/** The last block taken, as 64 bytes of key stream. */
export const keyStream = new Uint8Array(64);

/** Loads a 32-byte key and a 12-byte nonce (their lengths are the caller's to check). */
export function loadKeyAndNonce(key: Uint8Array, nonce: Uint8Array): void {
  input[0] = 0x61707865; // "expand 32-byte k"
  input[1] = 0x3320646e;
  input[2] = 0x79622d32;
  input[3] = 0x6b206574;
  // Stryker disable next-line EqualityOperator: a ninth word reads past the key (0) into word 12, the counter, which each block sets
  for (let i = 0; i < 8; i++) input[4 + i] = readU32(key, i * 4);
  // Stryker disable next-line EqualityOperator: a fourth word lands past the array, where typed arrays ignore writes
  for (let i = 0; i < 3; i++) input[13 + i] = readU32(nonce, i * 4);
}

/** Fills keyStream with block `counter` (a u32) under the loaded key and nonce. */
export function keyStreamBlock(counter: number): void {
  input[12] = counter;
  let x0 = input[0]!;
  let x1 = input[1]!;
  let x2 = input[2]!;
  let x3 = input[3]!;
  let x4 = input[4]!;
  let x5 = input[5]!;
  let x6 = input[6]!;
  let x7 = input[7]!;
  let x8 = input[8]!;
  let x9 = input[9]!;
  let x10 = input[10]!;
  let x11 = input[11]!;
  let x12 = input[12]!;
  let x13 = input[13]!;
  let x14 = input[14]!;
  let x15 = input[15]!;
  for (let doubleRound = 0; doubleRound < 10; doubleRound++) {
    // columns
    x0 = (x0 + x4) | 0;
    x12 = rotateLeft(x12 ^ x0, 16);
    x8 = (x8 + x12) | 0;
    x4 = rotateLeft(x4 ^ x8, 12);
    x0 = (x0 + x4) | 0;
    x12 = rotateLeft(x12 ^ x0, 8);
    x8 = (x8 + x12) | 0;
    x4 = rotateLeft(x4 ^ x8, 7);
    x1 = (x1 + x5) | 0;
    x13 = rotateLeft(x13 ^ x1, 16);
    x9 = (x9 + x13) | 0;
    x5 = rotateLeft(x5 ^ x9, 12);
    x1 = (x1 + x5) | 0;
    x13 = rotateLeft(x13 ^ x1, 8);
    x9 = (x9 + x13) | 0;
    x5 = rotateLeft(x5 ^ x9, 7);
    x2 = (x2 + x6) | 0;
    x14 = rotateLeft(x14 ^ x2, 16);
    x10 = (x10 + x14) | 0;
    x6 = rotateLeft(x6 ^ x10, 12);
    x2 = (x2 + x6) | 0;
    x14 = rotateLeft(x14 ^ x2, 8);
    x10 = (x10 + x14) | 0;
    x6 = rotateLeft(x6 ^ x10, 7);
    x3 = (x3 + x7) | 0;
    x15 = rotateLeft(x15 ^ x3, 16);
    x11 = (x11 + x15) | 0;
    x7 = rotateLeft(x7 ^ x11, 12);
    x3 = (x3 + x7) | 0;
    x15 = rotateLeft(x15 ^ x3, 8);
    x11 = (x11 + x15) | 0;
    x7 = rotateLeft(x7 ^ x11, 7);
    // diagonals
    x0 = (x0 + x5) | 0;
    x15 = rotateLeft(x15 ^ x0, 16);
    x10 = (x10 + x15) | 0;
    x5 = rotateLeft(x5 ^ x10, 12);
    x0 = (x0 + x5) | 0;
    x15 = rotateLeft(x15 ^ x0, 8);
    x10 = (x10 + x15) | 0;
    x5 = rotateLeft(x5 ^ x10, 7);
    x1 = (x1 + x6) | 0;
    x12 = rotateLeft(x12 ^ x1, 16);
    x11 = (x11 + x12) | 0;
    x6 = rotateLeft(x6 ^ x11, 12);
    x1 = (x1 + x6) | 0;
    x12 = rotateLeft(x12 ^ x1, 8);
    x11 = (x11 + x12) | 0;
    x6 = rotateLeft(x6 ^ x11, 7);
    x2 = (x2 + x7) | 0;
    x13 = rotateLeft(x13 ^ x2, 16);
    x8 = (x8 + x13) | 0;
    x7 = rotateLeft(x7 ^ x8, 12);
    x2 = (x2 + x7) | 0;
    x13 = rotateLeft(x13 ^ x2, 8);
    x8 = (x8 + x13) | 0;
    x7 = rotateLeft(x7 ^ x8, 7);
    x3 = (x3 + x4) | 0;
    x14 = rotateLeft(x14 ^ x3, 16);
    x9 = (x9 + x14) | 0;
    x4 = rotateLeft(x4 ^ x9, 12);
    x3 = (x3 + x4) | 0;
    x14 = rotateLeft(x14 ^ x3, 8);
    x9 = (x9 + x14) | 0;
    x4 = rotateLeft(x4 ^ x9, 7);
  }
  writeWord(0, x0 + input[0]!);
  writeWord(1, x1 + input[1]!);
  writeWord(2, x2 + input[2]!);
  writeWord(3, x3 + input[3]!);
  writeWord(4, x4 + input[4]!);
  writeWord(5, x5 + input[5]!);
  writeWord(6, x6 + input[6]!);
  writeWord(7, x7 + input[7]!);
  writeWord(8, x8 + input[8]!);
  writeWord(9, x9 + input[9]!);
  writeWord(10, x10 + input[10]!);
  writeWord(11, x11 + input[11]!);
  writeWord(12, x12 + input[12]!);
  writeWord(13, x13 + input[13]!);
  writeWord(14, x14 + input[14]!);
  writeWord(15, x15 + input[15]!);
}

function rotateLeft(word: number, bits: number): number {
  return (word << bits) | (word >>> (32 - bits));
}

function writeWord(index: number, word: number): void {
  const at = index * 4;
  keyStream[at] = word;
  keyStream[at + 1] = word >>> 8;
  keyStream[at + 2] = word >>> 16;
  keyStream[at + 3] = word >>> 24;
}

/**
 * out[offset + i] = source[i] ^ the key stream from block `firstCounter` on, for i < length. `out` may
 * be source's own array at the same position: each byte is read before it is written.
 */
export function xorKeyStream(
  source: Uint8Array,
  out: Uint8Array,
  offset: number,
  length: number,
  firstCounter: number,
): void {
  // Stryker disable next-line EqualityOperator: at done = length a further block writes nothing
  for (let done = 0, counter = firstCounter; done < length; done += 64, counter++) {
    keyStreamBlock(counter);
    const end = Math.min(64, length - done);
    for (let i = 0; i < end; i++) out[offset + done + i] = source[done + i]! ^ keyStream[i]!;
  }
}
