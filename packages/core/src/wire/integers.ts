/** Integer helpers shared by the bit stream and the schema's integer codings. */

/** Number of bits needed to represent `value` (0 needs 0 bits). `value` is an integer in [0, 2^53). */
export function bitLength(value: number): number {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: at 2^32 − 1 the general form below gives 32 as well, and 32 − clz32(0) is 0
  if (value <= 0xffff_ffff) return value === 0 ? 0 : 32 - Math.clz32(value);
  return 32 + bitLength(Math.floor(value / 0x1_0000_0000));
}

/** Bit length of x = value + 2^order, the number an exp-Golomb code of that order writes (1 … 33). */
export function expGolombLength(value: number, order: number): number {
  // Stryker disable next-line all: the int32 shortcut and the general form agree; the check picks the faster one
  if (value < 0x4000_0000 && order < 30) return 32 - Math.clz32(value + (1 << order));
  const x = value + 2 ** order;
  return x > 0xffff_ffff ? 33 : 32 - Math.clz32(x);
}

/** Bits needed to hold any of `count` distinct codes 0..count-1 (1 code needs 0 bits). */
export function bitsForCount(count: number): number {
  // Stryker disable next-line EqualityOperator: bitLength(0) is 0 too
  return count <= 1 ? 0 : bitLength(count - 1);
}

/**
 * Maps a signed 32-bit integer onto an unsigned one: 0,-1,1,-2,2 → 0,1,2,3,4. A value in
 * [-2^(bits-1), 2^(bits-1)) lands in [0, 2^bits).
 */
export function zigzagEncode(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

export function zigzagDecode(code: number): number {
  return (code >>> 1) ^ -(code & 1);
}

/**
 * Signed difference `to - from` modulo 2^bits (bits 1..32), as the representative in
 * [-2^(bits-1), 2^(bits-1)); `from` and `to` are codes in [0, 2^bits). `wrapAdd(from, diff, bits)`
 * restores `to` exactly. Sign-extending the low `bits` bits is the modular reduction.
 */
export function wrappedDifference(from: number, to: number, bits: number): number {
  const shift = 32 - bits;
  return ((to - from) << shift) >> shift;
}

/** `(base + diff) mod 2^bits`, in [0, 2^bits). */
export function wrapAdd(base: number, diff: number, bits: number): number {
  const shift = 32 - bits;
  return ((base + diff) << shift) >>> shift;
}

/** LENGTH_PREFIX_BITS[maxBits]: bits of the length prefix of a non-zero uint of at most maxBits bits. */
export const LENGTH_PREFIX_BITS: readonly number[] = Array.from({ length: 33 }, (_, bits) =>
  bitsForCount(bits),
);
