/**
 * The host's byte order. Typed arrays use it; the wire is little-endian, so a big-endian host swaps
 * bytes where words are stored or loaded whole.
 */
// Stryker disable next-line all: fixed per machine; every machine tests run on is little-endian
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Indices of a float64's low and high 32-bit words in a Uint32Array view of it. */
// Stryker disable next-line all: fixed per machine, as above
export const [FLOAT64_LOW_WORD, FLOAT64_HIGH_WORD] = LITTLE_ENDIAN_HOST ? [0, 1] : [1, 0];
