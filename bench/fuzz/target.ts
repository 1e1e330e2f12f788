import { isDeepStrictEqual } from 'node:util';
import type { SeededRandom } from '../lib/random.js';

/**
 * One decoder under fuzz. `decode` takes hostile bytes and must either return or throw a
 * ShardlineError; anything else it throws (or a broken round trip, see `roundTrip`) is a failure.
 */
export interface FuzzTarget {
  name: string;
  /** Share of a run's inputs, relative to the other targets'. */
  weight: number;
  /** Valid encodings the mutator starts from. */
  corpus: readonly Uint8Array[];
  decode(input: Uint8Array): unknown;
  /** Longest an input may take before it counts as a hang, ms (default DEFAULT_INPUT_MS). */
  maxInputMs?: number;
  /** Names what `decode` returned, for the report (default `accepted`): a verdict, an HTTP status. */
  outcome?(result: unknown): string;
  /** Replaces the byte mutator (HTTP requests mutate their JSON). */
  generate?(random: SeededRandom, corpus: readonly Uint8Array[]): Uint8Array;
}

/** Thrown by a target when a decoder broke a contract without crashing; always a failure. */
export class ContractViolation extends Error {}

/**
 * The contract of a codec pair: whatever the decoder accepts, the encoder writes again, and that
 * decodes to the same value. `decoded` came from the input; `reencode` writes it; `decodeAgain` reads it.
 * With `canonicalizes`, the first pass may change the value (a quaternion's smallest-three form has
 * several encodings of nearly one rotation; the encoder picks its own): then the second pass must not.
 */
export function checkRoundTrip<T>(
  decoded: T,
  reencode: (value: T) => Uint8Array,
  decodeAgain: (bytes: Uint8Array) => T,
  canonicalizes = false,
): T {
  const pass = (value: T) => {
    try {
      return decodeAgain(reencode(value));
    } catch (error) {
      throw new ContractViolation(`accepted, but does not encode and decode again: ${String(error)}`);
    }
  };
  const expected = canonicalizes ? pass(decoded) : decoded;
  if (!isDeepStrictEqual(pass(expected), expected)) {
    throw new ContractViolation('accepted, but decodes differently once encoded again');
  }
  return decoded;
}
