import { ShardlineError } from '../errors.js';

/**
 * Whole-message compression for channels that ask for it, injected so core stays dependency-free:
 * `compressorFromNodeZlib(await import('node:zlib'))` on Node.
 */
export interface Compressor {
  compress(bytes: Uint8Array): Uint8Array;
  /** Inverse of compress. Must throw rather than produce more than `maxBytes` (a zip bomb stops here). */
  decompress(bytes: Uint8Array, maxBytes: number): Uint8Array;
}

/** The slice of node:zlib the adapter uses. */
export interface NodeZlibModule {
  deflateRawSync(buffer: Uint8Array, options?: { level?: number }): Uint8Array;
  inflateRawSync(buffer: Uint8Array, options: { maxOutputLength: number }): Uint8Array;
}

/** Raw DEFLATE over node:zlib; inflation is capped with zlib's own maxOutputLength. */
export function compressorFromNodeZlib(zlib: NodeZlibModule, level = 6): Compressor {
  // Node returns Buffers; hand out plain Uint8Array views of the same memory.
  const plain = (bytes: Uint8Array) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    compress: (bytes) => plain(zlib.deflateRawSync(bytes, { level })),
    decompress: (bytes, maxBytes) => plain(zlib.inflateRawSync(bytes, { maxOutputLength: maxBytes })),
  };
}

/** First byte of a message on a compressed channel: how the rest is stored. */
const STORED = 0;
const DEFLATED = 1;

/** Compresses when it saves bytes; otherwise stores. */
export function packCompressed(compressor: Compressor, bytes: Uint8Array): Uint8Array {
  const packed = compressor.compress(bytes);
  const smaller = packed.length < bytes.length;
  const body = smaller ? packed : bytes;
  const out = new Uint8Array(1 + body.length);
  out[0] = smaller ? DEFLATED : STORED;
  out.set(body, 1);
  return out;
}

/** Inverse of packCompressed; WIRE_INVALID for an unknown flag or a stream that does not inflate within `maxBytes`. */
export function unpackCompressed(compressor: Compressor, message: Uint8Array, maxBytes: number): Uint8Array {
  const body = message.subarray(1);
  if (message[0] === STORED) return body;
  if (message[0] !== DEFLATED) throw new ShardlineError('WIRE_INVALID', `compression flag ${message[0]}`);
  try {
    return compressor.decompress(body, maxBytes);
  } catch {
    throw new ShardlineError('WIRE_INVALID', `compressed message does not inflate within ${maxBytes} bytes`);
  }
}
