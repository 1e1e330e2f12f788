/** Integer helpers shared by the bit stream and the schema's integer codings. */

/** Number of bits needed to represent `value` (0 needs 0 bits). `value` is an integer in [0, 2^53). */
export function bitLength(value: number): number {
  if (value <= 0xffff_ffff) return value === 0 ? 0 : 32 - Math.clz32(value);
  return 32 + bitLength(Math.floor(value / 0x1_0000_0000));
}

/** Bits needed to hold any of `count` distinct codes 0..count-1 (1 code needs 0 bits). */
export function bitsForCount(count: number): number {
  return count <= 1 ? 0 : bitLength(count - 1);
}

/** Maps a signed integer in [-2^(bits-1), 2^(bits-1)) onto [0, 2^bits): 0,-1,1,-2,2 → 0,1,2,3,4. */
export function zigzagEncode(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function zigzagDecode(code: number): number {
  return code % 2 === 0 ? code / 2 : -(code + 1) / 2;
}

/**
 * Signed difference `to - from` modulo 2^bits, as the representative in [-2^(bits-1), 2^(bits-1)).
 * Used for relative (delta) coding: `wrapAdd(from, diff, bits)` restores `to` exactly.
 */
export function wrappedDifference(from: number, to: number, bits: number): number {
  const modulus = 2 ** bits;
  let diff = (to - from) % modulus;
  if (diff < -modulus / 2) diff += modulus;
  else if (diff >= modulus / 2) diff -= modulus;
  return diff;
}

/** `(base + diff) mod 2^bits`, in [0, 2^bits). */
export function wrapAdd(base: number, diff: number, bits: number): number {
  const modulus = 2 ** bits;
  const sum = (base + diff) % modulus;
  return sum < 0 ? sum + modulus : sum;
}
