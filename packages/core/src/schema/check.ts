import { isShardlineError, ShardlineError } from '../errors.js';
import { BitCounter } from '../wire/bit-sink.js';
import type { Quantizer } from '../wire/quantize.js';
import { StructType } from './composite.js';
import type { AnyFieldType } from './field.js';
import { QuantizedField, VectorField } from './quantized.js';

/** One sink for every check: it only counts bits, so checking a value allocates nothing. */
const counter = new BitCounter();

/**
 * Checks one field's value; `prefix` + `key` is its path, joined only to name it in an error, so
 * a value that passes costs no string. Returns 1 if it will be clamped, else 0.
 */
type FieldCheck = (value: unknown, prefix: string, key: string) => number;

/** A struct's checks, made once per struct type (see compiled): its field keys to their checks. */
interface StructCheck {
  readonly struct: StructType<never>;
  readonly checks: ReadonlyMap<string, FieldCheck>;
}

const compiledStructs = new WeakMap<StructType<never>, StructCheck>();
const compiledFields = new WeakMap<AnyFieldType, FieldCheck>();

/**
 * Checks values before they are stored in a struct (a world's `spawn` and `set`), so a bad write
 * fails at the call that made it, naming the field, rather than when a tick is encoded:
 * - a key the struct does not declare is VALUE_INVALID (a misspelled field is never silently dropped);
 * - a value its kind cannot carry (wrong type, an integer or enum out of range, a string over its
 *   bytes, NaN) is VALUE_INVALID;
 * - a quantized value outside its range is VALUE_INVALID, or clamped when the field declares
 *   `outOfRange: 'clamp'` (within one step of the range it clamps quietly: a rounding hair).
 * Returns how many values beyond a hair will be clamped, for the caller to count. `partial`: keys may be missing.
 * Each struct type's checks are compiled once (a key → check map), so a write costs a lookup and a
 * check per field it names.
 */
export function checkStructValues(
  struct: StructType<never>,
  values: unknown,
  partial: boolean,
  path = '',
): number {
  return checkStruct(compiled(struct), values, partial, path);
}

/** Checks one field's value (see checkStructValues); returns 1 if it will be clamped, else 0. */
export function checkFieldValue(type: AnyFieldType, value: unknown, path: string): number {
  return fieldCheck(type)(value, path, '');
}

function compiled(struct: StructType<never>): StructCheck {
  let check = compiledStructs.get(struct);
  if (!check) {
    const checks = new Map<string, FieldCheck>();
    for (let i = 0; i < struct.keys.length; i++) checks.set(struct.keys[i]!, fieldCheck(struct.fields[i]!));
    check = { struct, checks };
    compiledStructs.set(struct, check);
  }
  return check;
}

function checkStruct(compiledStruct: StructCheck, values: unknown, partial: boolean, path: string): number {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new ShardlineError('VALUE_INVALID', `${path || 'state'} must be an object`);
  }
  const { struct, checks } = compiledStruct;
  const record = values as Record<string, unknown>;
  let clamped = 0;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue; // own enumerable keys only, as Object.keys
    const check = checks.get(key);
    if (check === undefined) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `${'name' in struct ? String(struct.name) : 'the struct'} has no field ${JSON.stringify(`${path}${key}`)} (fields: ${struct.keys.join(', ')})`,
        { field: `${path}${key}` },
      );
    }
    clamped += check(record[key], path, key);
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

/** The check of a field type, made once per type. */
function fieldCheck(type: AnyFieldType): FieldCheck {
  let check = compiledFields.get(type);
  if (!check) {
    check = makeFieldCheck(type);
    compiledFields.set(type, check);
  }
  return check;
}

function makeFieldCheck(type: AnyFieldType): FieldCheck {
  if (type instanceof StructType) {
    const struct = type as StructType<never>;
    return (value, prefix, key) => checkStruct(compiled(struct), value, false, `${prefix}${key}.`);
  }
  if (type instanceof QuantizedField) {
    const range = rangeCheck(type.quantizer, type.outOfRange);
    return (value, prefix, key) => range(value, prefix, key);
  }
  if (type instanceof VectorField) {
    const range = rangeCheck(type.quantizer, type.outOfRange);
    const axes = type.axes;
    return (value, prefix, key) => {
      if (typeof value !== 'object' || value === null) {
        const path = `${prefix}${key}`;
        throw new ShardlineError('VALUE_INVALID', `${path} must be a vector { ${axes.join(', ')} }`, {
          field: path,
        });
      }
      let clamped = 0;
      for (const axis of axes) {
        clamped += range((value as Record<string, unknown>)[axis], `${prefix}${key}.`, axis);
      }
      return clamped > 0 ? 1 : 0;
    };
  }
  return (value, prefix, key) => {
    try {
      type.write(counter, value);
    } catch (error) {
      if (!isShardlineError(error)) throw error;
      const path = `${prefix}${key}`;
      const reason = error.message.replace(/^[A-Z_]+: /, ''); // the code is said once, by this error
      throw new ShardlineError('VALUE_INVALID', `${path}: ${reason}`, { field: path });
    } finally {
      counter.reset();
    }
    return 0;
  };
}

/** A quantized value's check: a number within the range (and a step's hair), or clamped if the field says so. */
function rangeCheck(quantizer: Quantizer, outOfRange: 'refuse' | 'clamp'): FieldCheck {
  const { min, max, step } = quantizer;
  const low = min - step;
  const high = max + step;
  return (value, prefix, key) => {
    if (typeof value === 'number' && value >= low && value <= high) return 0; // NaN fails both
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new ShardlineError('VALUE_INVALID', `${prefix}${key} must be a number, not ${String(value)}`, {
        field: `${prefix}${key}`,
      });
    }
    if (outOfRange === 'clamp') return 1;
    throw new ShardlineError(
      'VALUE_INVALID',
      `${prefix}${key} = ${value} is outside its range [${min}, ${max}]`,
      { field: `${prefix}${key}` },
    );
  };
}
