import { isShardlineError, ShardlineError } from '../errors.js';
import { BitCounter } from '../wire/bit-sink.js';
import type { Quantizer } from '../wire/quantize.js';
import { StructType } from './composite.js';
import type { AnyFieldType } from './field.js';
import { QuantizedField, VectorField } from './quantized.js';

/** One sink for every check: it only counts bits, so checking a value allocates nothing. */
const counter = new BitCounter();

/**
 * Checks values before they are stored in a struct (a world's `spawn` and `set`), so a bad write
 * fails at the call that made it, naming the field, rather than when a tick is encoded:
 * - a key the struct does not declare is VALUE_INVALID (a misspelled field is never silently dropped);
 * - a value its kind cannot carry (wrong type, an integer or enum out of range, a string over its
 *   bytes, NaN) is VALUE_INVALID;
 * - a quantized value outside its range is VALUE_INVALID, or clamped when the field declares
 *   `outOfRange: 'clamp'` (within one step of the range it clamps quietly: a rounding hair).
 * Returns how many values beyond a hair will be clamped, for the caller to count. `partial`: keys may be missing.
 */
export function checkStructValues(
  struct: StructType<never>,
  values: unknown,
  partial: boolean,
  path = '',
): number {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ShardlineError('VALUE_INVALID', `${path || 'state'} must be an object`);
  }
  const record = values as Record<string, unknown>;
  let clamped = 0;
  for (const key of Object.keys(record)) {
    const index = struct.keys.indexOf(key as never);
    if (index < 0) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `${'name' in struct ? String(struct.name) : 'the struct'} has no field ${JSON.stringify(`${path}${key}`)} (fields: ${struct.keys.join(', ')})`,
        { field: `${path}${key}` },
      );
    }
    clamped += checkFieldValue(struct.fields[index]!, record[key], `${path}${key}`);
  }
  if (!partial) {
    const missing = struct.keys.find((key) => !(key in record));
    if (missing !== undefined) {
      throw new ShardlineError('VALUE_INVALID', `missing field ${JSON.stringify(`${path}${missing}`)}`, {
        field: `${path}${missing}`,
      });
    }
  }
  return clamped;
}

/** Checks one field's value (see checkStructValues); returns 1 if it will be clamped, else 0. */
export function checkFieldValue(type: AnyFieldType, value: unknown, path: string): number {
  if (type instanceof StructType)
    return checkStructValues(type as StructType<never>, value, false, `${path}.`);
  if (type instanceof QuantizedField) return checkRange(type.quantizer, type.outOfRange, value, path);
  if (type instanceof VectorField) {
    if (typeof value !== 'object' || value === null) {
      throw new ShardlineError('VALUE_INVALID', `${path} must be a vector { ${type.axes.join(', ')} }`, {
        field: path,
      });
    }
    let clamped = 0;
    for (const axis of type.axes) {
      clamped += checkRange(
        type.quantizer,
        type.outOfRange,
        (value as Record<string, unknown>)[axis],
        `${path}.${axis}`,
      );
    }
    return clamped > 0 ? 1 : 0;
  }
  try {
    type.write(counter, value);
  } catch (error) {
    if (!isShardlineError(error)) throw error;
    const reason = error.message.replace(/^[A-Z_]+: /, ''); // the code is said once, by this error
    throw new ShardlineError('VALUE_INVALID', `${path}: ${reason}`, { field: path });
  } finally {
    counter.reset();
  }
  return 0;
}

function checkRange(
  quantizer: Quantizer,
  outOfRange: 'refuse' | 'clamp',
  value: unknown,
  path: string,
): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ShardlineError('VALUE_INVALID', `${path} must be a number, not ${String(value)}`, {
      field: path,
    });
  }
  const { min, max, step } = quantizer;
  if (value >= min - step && value <= max + step) return 0;
  if (outOfRange === 'clamp') return 1;
  throw new ShardlineError('VALUE_INVALID', `${path} = ${value} is outside its range [${min}, ${max}]`, {
    field: path,
  });
}
