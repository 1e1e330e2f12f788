import { ShardlineError } from '../errors.js';

/**
 * UTF-8 through the platform's TextEncoder/TextDecoder (present in browsers and Node), reached via
 * globalThis so core needs neither DOM nor Node type declarations.
 */
interface PlatformTextEncoder {
  encode(input: string): Uint8Array;
}
interface PlatformTextDecoder {
  decode(input: Uint8Array): string;
}
interface TextCodecGlobals {
  TextEncoder: new () => PlatformTextEncoder;
  TextDecoder: new (label: string, options: { fatal: boolean }) => PlatformTextDecoder;
}

const platform = globalThis as unknown as TextCodecGlobals;
const encoder = new platform.TextEncoder();
const strictDecoder = new platform.TextDecoder('utf-8', { fatal: true });

/** Encodes a string as UTF-8. Lone surrogates become U+FFFD (3 bytes), as TextEncoder defines. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, rejecting malformed input with WIRE_INVALID instead of substituting characters. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw new ShardlineError('WIRE_INVALID', 'string is not valid UTF-8', { byteLength: bytes.length });
  }
}
