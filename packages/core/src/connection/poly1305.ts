import { readU32 } from './crypto.js';

/**
 * Poly1305 (RFC 8439 §2.5) for the AEAD's use (§2.8), allocation-free: one module-level state.
 * The AEAD only ever authenticates whole 16-byte blocks (it zero-pads AAD and ciphertext), so this
 * takes whole blocks; callers pad a tail themselves.
 *
 * Arithmetic mod p = 2^130 − 5 runs on six 22-bit limbs (limb k is bits 22k..22k+21) held in
 * doubles: 2^132 ≡ 4·5 = 20 (mod p), so a product that reaches limb 6 wraps to limb (k − 6) times 20.
 * Between blocks limbs are below 2^22 (limb 1 up to 2^13 over), so with a block added they are below
 * 2^23 + 2^13, a limb product below (2^23 + 2^13) · 20·2^22 < 2^49.4 and a sum of six below 2^52:
 * inside a double's exact integers, with no 64-bit arithmetic.
 */

/** 2^22, one limb's range. */
const LIMB = 0x40_0000;

/** The clamped key half r, as limbs. */
const r = new Float64Array(6);
/** The key half s, as 16 bytes. */
const s = new Uint8Array(16);
/** The accumulator h, as limbs. */
const accumulator = new Float64Array(6);
/** h + 5 − 2^130, in finishMac. */
const minusP = new Float64Array(6);

/** Starts a MAC under a 32-byte one-time key (r then s). */
export function startMac(oneTimeKey: Uint8Array): void {
  // Clamp r (§2.5): clear the top four bits of bytes 3, 7, 11, 15 and the bottom two of bytes 4, 8, 12;
  // in 32-bit words, mask each with 0x0fffffff and words 1–3 also with 0xfffffffc.
  const w0 = readU32(oneTimeKey, 0) & 0x0fff_ffff;
  const w1 = readU32(oneTimeKey, 4) & 0x0fff_fffc;
  const w2 = readU32(oneTimeKey, 8) & 0x0fff_fffc;
  const w3 = readU32(oneTimeKey, 12) & 0x0fff_fffc;
  r[0] = w0 & 0x3f_ffff;
  r[1] = ((w0 >>> 22) | (w1 << 10)) & 0x3f_ffff;
  r[2] = ((w1 >>> 12) | (w2 << 20)) & 0x3f_ffff;
  r[3] = (w2 >>> 2) & 0x3f_ffff;
  r[4] = ((w2 >>> 24) | (w3 << 8)) & 0x3f_ffff;
  r[5] = w3 >>> 14;
  // Stryker disable next-line EqualityOperator: a 17th byte lands past s, where typed arrays ignore writes
  for (let i = 0; i < 16; i++) s[i] = oneTimeKey[16 + i]!;
  accumulator.fill(0);
}

/** Absorbs `count` whole 16-byte blocks of bytes from `at`: h = (h + block + 2^128)·r, for each. */
export function absorbBlocks(bytes: Uint8Array, at: number, count: number): void {
  let h0 = accumulator[0]!;
  let h1 = accumulator[1]!;
  let h2 = accumulator[2]!;
  let h3 = accumulator[3]!;
  let h4 = accumulator[4]!;
  let h5 = accumulator[5]!;
  const r0 = r[0]!;
  const r1 = r[1]!;
  const r2 = r[2]!;
  const r3 = r[3]!;
  const r4 = r[4]!;
  const r5 = r[5]!;
  const s1 = r1 * 20;
  const s2 = r2 * 20;
  const s3 = r3 * 20;
  const s4 = r4 * 20;
  const s5 = r5 * 20;
  for (let index = 0; index < count; index++) {
    // The block as limbs (bits 0..127 as 22, 22, 22, 22, 22 and 18 bits), plus 2^128: bit 18 of limb 5.
    const from = at + index * 16;
    const w0 = readU32(bytes, from);
    const w1 = readU32(bytes, from + 4);
    const w2 = readU32(bytes, from + 8);
    const w3 = readU32(bytes, from + 12);
    h0 += w0 & 0x3f_ffff;
    h1 += ((w0 >>> 22) | (w1 << 10)) & 0x3f_ffff;
    h2 += ((w1 >>> 12) | (w2 << 20)) & 0x3f_ffff;
    h3 += (w2 >>> 2) & 0x3f_ffff;
    h4 += ((w2 >>> 24) | (w3 << 8)) & 0x3f_ffff;
    h5 += (w3 >>> 14) | 0x4_0000;
    // h·r, limb by limb, each limb's carry into the next.
    let carry = 0;
    let d0 = h0 * r0 + h1 * s5 + h2 * s4 + h3 * s3 + h4 * s2 + h5 * s1;
    carry = Math.floor(d0 / LIMB);
    d0 -= carry * LIMB;
    let d1 = carry + h0 * r1 + h1 * r0 + h2 * s5 + h3 * s4 + h4 * s3 + h5 * s2;
    carry = Math.floor(d1 / LIMB);
    d1 -= carry * LIMB;
    let d2 = carry + h0 * r2 + h1 * r1 + h2 * r0 + h3 * s5 + h4 * s4 + h5 * s3;
    carry = Math.floor(d2 / LIMB);
    d2 -= carry * LIMB;
    let d3 = carry + h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * s5 + h5 * s4;
    carry = Math.floor(d3 / LIMB);
    d3 -= carry * LIMB;
    let d4 = carry + h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0 + h5 * s5;
    carry = Math.floor(d4 / LIMB);
    d4 -= carry * LIMB;
    let d5 = carry + h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1 + h5 * r0;
    carry = Math.floor(d5 / LIMB);
    d5 -= carry * LIMB;
    // What carried past limb 5 is a multiple of 2^132: fold it back in times 20.
    d0 += carry * 20;
    carry = Math.floor(d0 / LIMB);
    h0 = d0 - carry * LIMB;
    h1 = d1 + carry;
    h2 = d2;
    h3 = d3;
    h4 = d4;
    h5 = d5;
  }
  accumulator[0] = h0;
  accumulator[1] = h1;
  accumulator[2] = h2;
  accumulator[3] = h3;
  accumulator[4] = h4;
  accumulator[5] = h5;
}

/** Bits per limb of a number below 2^130 (limb 5 holds bits 110..129). */
const WIDTHS = [22, 22, 22, 22, 22, 20];

/** Writes the 16-byte tag, (h mod p) + s mod 2^128, little-endian, into `out` at `offset`. */
export function finishMac(out: Uint8Array, offset: number): void {
  const h = accumulator;
  // Carry around three times with limb 5 cut at bit 130 (2^130 ≡ 5): h arrives with limbs < 2^23;
  // after one pass the limbs are in range but limb 0 may hold 5·(what left limb 5) over; a second
  // pass can carry out of limb 5 again only by at most 1 (5 into limb 0); the third settles it.
  // Stryker disable next-line EqualityOperator: a fourth pass finds nothing to carry
  for (let pass = 0; pass < 3; pass++) {
    for (let i = 0; i < 6; i++) {
      const range = 2 ** WIDTHS[i]!;
      const carry = Math.floor(h[i]! / range);
      h[i] = h[i]! - carry * range;
      if (i < 5) h[i + 1] = h[i + 1]! + carry;
      else h[0] = h[0]! + carry * 5;
    }
  }
  // h ≥ p exactly when h + 5 reaches 2^130; then h − p = h + 5 − 2^130.
  let carry = 5;
  for (let i = 0; i < 6; i++) {
    const range = 2 ** WIDTHS[i]!;
    const sum = h[i]! + carry;
    carry = Math.floor(sum / range);
    minusP[i] = sum - carry * range;
  }
  const reduced = carry === 1 ? minusP : h;
  // The low 128 bits plus s, a byte at a time.
  let held = 0;
  let bitsHeld = 0;
  let limb = 0;
  let byteCarry = 0;
  for (let i = 0; i < 16; i++) {
    // Stryker disable next-line EqualityOperator: taking the next limb with exactly 8 bits held adds the same bits, earlier (and no 7th limb is ever needed)
    if (bitsHeld < 8) {
      held += reduced[limb]! * 2 ** bitsHeld;
      bitsHeld += WIDTHS[limb++]!;
    }
    const low = held % 256;
    const sum = low + s[i]! + byteCarry;
    out[offset + i] = sum;
    byteCarry = sum >>> 8;
    held = (held - low) / 256;
    bitsHeld -= 8;
  }
}
