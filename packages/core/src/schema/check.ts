import { isShardlineError, ShardlineError } from '../errors.js';
import { BitCounter } from '../wire/bit-sink.js';
import type { Quantizer } from '../wire/quantize.js';
import { ArrayField, OptionalField, StructType } from './composite.js';
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
 *   `outOfRange: 'clamp'` (within one step of the range it clamps quietly: a rounding hair), at any
 *   depth: in nested structs, optionals and array elements too;
 * - a vector with a key that is not one of its axes is VALUE_INVALID.
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
  if (type instanceof VectorField) return vectorCheck(type as VectorField<never>);
  if (type instanceof OptionalField) {
    const inner = fieldCheck(type.inner as AnyFieldType);
    return (value, prefix, key) => (value === null ? 0 : inner(value, prefix, key));
  }
  if (type instanceof ArrayField) return arrayCheck(type as ArrayField<unknown>);
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

function vectorCheck(type: VectorField<never>): FieldCheck {
  const range = rangeCheck(type.quantizer, type.outOfRange);
  const axes: readonly string[] = type.axes;
  const refuse = (path: string): never => {
    throw new ShardlineError('VALUE_INVALID', `${path} must be a vector { ${axes.join(', ')} }`, {
      field: path,
    });
  };
  return (value, prefix, key) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(`${prefix}${key}`);
    const vector = value as Record<string, unknown>;
    for (const axis in vector)
      if (Object.hasOwn(vector, axis) && !axes.includes(axis)) refuse(`${prefix}${key}`);
    let clamped = 0;
    for (const axis of axes) clamped += range(vector[axis], `${prefix}${key}.`, axis);
    return clamped > 0 ? 1 : 0;
  };
}

/** An array's check: its length as declared, then each element's (named `path[i]`). */
function arrayCheck(type: ArrayField<unknown>): FieldCheck {
  const element = fieldCheck(type.element as AnyFieldType);
  return (value, prefix, key) => {
    const path = `${prefix}${key}`;
    const refuse = (problem: string): never => {
      throw new ShardlineError('VALUE_INVALID', `${path}: ${problem}`, { field: path });
    };
    if (!Array.isArray(value)) refuse('must be an array');
    const items = value as unknown[];
    if (type.fixedLength !== undefined && items.length !== type.fixedLength)
      refuse(`has ${items.length} elements, declared exactly ${type.fixedLength}`);
    if (items.length > type.maxLength)
      refuse(`has ${items.length} elements, declared at most ${type.maxLength}`);
    let clamped = 0;
    for (let i = 0; i < items.length; i++) clamped += element(items[i], `${path}[`, `${i}]`);
    return clamped;
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
