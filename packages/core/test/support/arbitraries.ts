import {
  AngleField,
  type AnyFieldType,
  ArrayField,
  BoolField,
  BytesField,
  EntityRefField,
  EnumField,
  Float32Field,
  Float64Field,
  IntegerField,
  OptionalField,
  QuantizedField,
  QuaternionField,
  StringField,
  StructType,
  VarIntField,
  VarUintField,
  VectorField,
} from '@shardline/core';
import fc from 'fast-check';

/** An arbitrary producing valid values of any declared field kind (including out-of-range floats). */
export function arbitraryFor(type: AnyFieldType): fc.Arbitrary<unknown> {
  if (type instanceof BoolField) return fc.boolean();
  if (type instanceof IntegerField) return fc.integer({ min: type.min, max: type.max });
  if (type instanceof EnumField) return fc.constantFrom(...type.values);
  if (type instanceof VarUintField) return fc.nat({ max: 0xffff_ffff });
  if (type instanceof VarIntField) return fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
  if (type instanceof Float32Field) return fc.float();
  if (type instanceof Float64Field) return fc.double();
  if (type instanceof QuantizedField) {
    const { min, max } = type.quantizer;
    const span = max - min;
    return fc.double({ min: min - span / 10, max: max + span / 10, noNaN: true });
  }
  if (type instanceof AngleField) return fc.double({ min: -20, max: 20, noNaN: true });
  if (type instanceof VectorField) {
    const { min, max } = type.quantizer;
    const component = fc.double({ min, max, noNaN: true });
    return type.axes.length === 2
      ? fc.record({ x: component, y: component })
      : fc.record({ x: component, y: component, z: component });
  }
  if (type instanceof QuaternionField) {
    const component = fc.double({ min: -1, max: 1, noNaN: true });
    return fc
      .tuple(component, component, component, component)
      .filter(([x, y, z, w]) => Math.hypot(x, y, z, w) > 0.1)
      .map(([x, y, z, w]) => {
        const length = Math.hypot(x, y, z, w);
        return { x: x / length, y: y / length, z: z / length, w: w / length };
      });
  }
  if (type instanceof StringField) {
    return fc
      .string({ unit: 'grapheme', maxLength: type.maxBytes })
      .filter((text) => new TextEncoder().encode(text).length <= type.maxBytes);
  }
  if (type instanceof BytesField) return fc.uint8Array({ maxLength: type.maxLength });
  if (type instanceof EntityRefField) return fc.option(fc.nat({ max: 0xffff_ffff }), { nil: null });
  if (type instanceof ArrayField) {
    const element = arbitraryFor(type.element);
    return type.fixedLength !== undefined
      ? fc.array(element, { minLength: type.fixedLength, maxLength: type.fixedLength })
      : fc.array(element, { maxLength: Math.min(type.maxLength, 8) });
  }
  if (type instanceof OptionalField) return fc.option(arbitraryFor(type.inner), { nil: null });
  if (type instanceof StructType) {
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    type.keys.forEach((key, i) => {
      record[key] = arbitraryFor(type.fields[i]!);
    });
    return fc.record(record);
  }
  throw new Error(`no arbitrary for ${type.descriptor}`);
}

/**
 * Equality "within the declared precision": the kind's own `equals` (same bits on the wire), except
 * quaternions, compared as rotations: smallest-three may pick another largest component for two
 * near-equal components after a round trip, which changes the bits but not the rotation.
 */
export function sameOnWire(type: AnyFieldType, a: unknown, b: unknown): boolean {
  if (type instanceof QuaternionField) {
    const p = a as { x: number; y: number; z: number; w: number };
    const q = b as typeof p;
    const dot = Math.abs(p.x * q.x + p.y * q.y + p.z * q.z + p.w * q.w);
    return dot > 1 - 4 * type.quantizer.component.step;
  }
  if (type instanceof StructType) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    return type.keys.every((key, i) => sameOnWire(type.fields[i]!, x[key], y[key]));
  }
  if (type instanceof ArrayField) {
    const x = a as unknown[];
    const y = b as unknown[];
    return x.length === y.length && x.every((item, i) => sameOnWire(type.element, item, y[i]));
  }
  if (type instanceof OptionalField) {
    return a === null || b === null ? a === b : sameOnWire(type.inner, a, b);
  }
  return type.equals(a, b);
}
