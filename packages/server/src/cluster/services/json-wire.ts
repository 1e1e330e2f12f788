import { ShardlineError } from '@shardline/core';
import type { Static, TSchema } from 'typebox';
import { Check } from 'typebox/value';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A JSON value as the engine carries it: UTF-8 bytes. */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/**
 * A JSON value off the engine, checked against `schema` (another process is not trusted): WIRE_INVALID
 * if the bytes are not UTF-8 JSON of that shape. `what` names it in the error. Sizes are bounded
 * before this by the engine's payload limit.
 */
export function decodeJson<S extends TSchema>(bytes: Uint8Array, schema: S, what: string): Static<S> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new ShardlineError('WIRE_INVALID', `${what} is not UTF-8 JSON`);
  }
  return checkJson(value, schema, what);
}

/** `value` if it has `schema`'s shape; WIRE_INVALID otherwise. */
export function checkJson<S extends TSchema>(value: unknown, schema: S, what: string): Static<S> {
  if (!Check(schema, value)) throw new ShardlineError('WIRE_INVALID', `${what} does not have its shape`);
  return value;
}
