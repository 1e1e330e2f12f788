/**
 * Small byte arrays carved from shared blocks. A typed array with a buffer of its own costs several
 * times more to create than a view of a shared one, and packets are made by the thousand per
 * second, so (like Node's Buffer pool) copies of up to POOLED_MAX_BYTES share BLOCK_BYTES blocks.
 * Contract for users of a pooled array: it is a view (`byteOffset` may be non-zero, `buffer` holds
 * other arrays too), and a block stays in memory while any array carved from it is referenced.
 */
const BLOCK_BYTES = 32 * 1024;
const POOLED_MAX_BYTES = 2048;
/** Arrays start at multiples of this, so views of wider types stay possible. */
const ALIGN_BYTES = 8;

let block = new ArrayBuffer(BLOCK_BYTES);
let used = 0;

/** A new zero-filled array of `length` bytes, from the pool when small. */
export function pooledBytes(length: number): Uint8Array {
  if (length > POOLED_MAX_BYTES) return new Uint8Array(length);
  if (used + length > BLOCK_BYTES) {
    block = new ArrayBuffer(BLOCK_BYTES);
    used = 0;
  }
  const bytes = new Uint8Array(block, used, length);
  used += (length + ALIGN_BYTES - 1) & ~(ALIGN_BYTES - 1);
  return bytes;
}

/** A pooled copy of the first `length` bytes of `source`. */
export function pooledCopy(source: Uint8Array, length = source.length): Uint8Array {
  const copy = pooledBytes(length);
  // Stryker disable next-line all: the whole array or a view of all of it, the same bytes; no view when none is needed
  copy.set(length === source.length ? source : source.subarray(0, length));
  return copy;
}
