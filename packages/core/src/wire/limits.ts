/**
 * Named hard limits of the wire layer. Declarations may ask for less, never for more.
 */

/** Largest single integer field in bits: values are JavaScript numbers handled with 32-bit operations. */
export const MAX_UINT_BITS = 32;

/**
 * Largest declared length of a string or byte array, and the default maximum size of a BitWriter:
 * 1 MiB, the largest message the reliable layer fragments (one message never exceeds it).
 */
export const MAX_DECLARED_BYTES = 1 << 20;

/** Largest declared element count of an array field: bounds what a hostile length can make us allocate. */
export const MAX_DECLARED_ARRAY_LENGTH = 1 << 16;

/** Varints carry at most 32-bit values; longer encodings are rejected instead of looping. */
export const MAX_VARUINT_VALUE = 0xffff_ffff;
