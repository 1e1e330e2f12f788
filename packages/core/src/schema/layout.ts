import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import { bitsForCount } from '../wire/integers.js';
import type { FieldMap, StructType, StructValue } from './composite.js';
import type { AnyFieldType } from './field.js';
import { IntegerCodedField } from './integer-coded.js';
import { AngleField, QuantizedField, QuaternionField, VectorField } from './quantized.js';
import { BoolField } from './scalars.js';

/** How a code slot is delta-coded inside a snapshot's update section (see PROTOCOL.md §6.2). */
export enum SlotMode {
  /** Delta is the full code. */
  Absolute = 0,
  /** Delta is the residual against the (predicted) baseline code, exp-Golomb at the section's order. */
  Coded = 1,
  /** A bool: a changed one is its negation, zero bits. */
  Bool = 2,
  /** A relative quaternion's largest-component index: a "same index" bit leads its field's delta. */
  QuatLargest = 3,
}

/** How a field is stored: in code slots, as a quaternion's four code slots, or as an object. */
export enum FieldStorage {
  Codes = 0,
  Quaternion = 1,
  Object = 2,
}

/**
 * The packed form of an entity schema's state: every top-level field whose values map onto integer
 * codes (integers, enums, quantized floats, angles, bools, vector components, quaternions as their
 * largest index and smallest three) occupies code slots in a Uint32Array row; every other field
 * (strings, arrays, structs, …) an object slot holding its value. Values are quantized once, when
 * they are stored, so comparing and delta-coding snapshots is integer work. Full values are encoded
 * bit for bit as the field kinds encode them (tests hold this); deltas are coded per update section
 * (LayoutDeltas).
 */
export class PackedLayout<F extends FieldMap> {
  readonly codeSlots: number;
  readonly objectSlots: number;
  readonly fieldCount: number;
  /** Per field: how it is stored. */
  readonly storage: FieldStorage[] = [];
  /** Per field: its first code slot, or -1 when it lives in an object slot. */
  readonly codeStart: number[] = [];
  /** Per field: how many code slots it has (0 for object fields). */
  readonly codeCount: number[] = [];
  /** Per field: its object slot, or -1. */
  readonly objectSlot: number[] = [];
  readonly slotBits: number[] = [];
  readonly slotMode: SlotMode[] = [];
  readonly slotMaxCode: number[] = [];
  /** Per slot: whether its code follows a continuous quantity, so linear prediction may apply. */
  readonly slotPredicted: boolean[] = [];
  /** Per slot: bits of its exp-Golomb order in a section header (Coded slots only, else 0). */
  readonly slotOrderBits: number[] = [];
  /** Change-mask bit of the field each slot belongs to. */
  readonly slotFieldBit: number[] = [];
  readonly objectFieldBit: number[] = [];
  readonly objectFields: AnyFieldType[] = [];

  constructor(readonly schema: StructType<F>) {
    schema.fields.forEach((field, index) => {
      const bit = 2 ** index;
      const codes = slotsOf(field);
      if (codes.length === 0) {
        this.storage.push(FieldStorage.Object);
        this.codeStart.push(-1);
        this.codeCount.push(0);
        this.objectSlot.push(this.objectFields.length);
        this.objectFields.push(field);
        this.objectFieldBit.push(bit);
        return;
      }
      this.storage.push(field instanceof QuaternionField ? FieldStorage.Quaternion : FieldStorage.Codes);
      this.codeStart.push(this.slotBits.length);
      this.codeCount.push(codes.length);
      this.objectSlot.push(-1);
      for (const slot of codes) {
        this.slotBits.push(slot.bits);
        this.slotMode.push(slot.mode);
        this.slotMaxCode.push(slot.maxCode);
        this.slotPredicted.push(slot.predicted);
        this.slotOrderBits.push(slot.mode === SlotMode.Coded ? bitsForCount(slot.bits) : 0);
        this.slotFieldBit.push(bit);
      }
    });
    this.fieldCount = schema.fields.length;
    this.codeSlots = this.slotBits.length;
    this.objectSlots = this.objectFields.length;
  }

  /** Quantizes `value` into row `index`. Throws VALUE_INVALID for values the declaration cannot carry. */
  pack(value: StructValue<F>, codes: Uint32Array, objects: unknown[], index: number): void {
    if (typeof value !== 'object' || value === null) {
      throw new ShardlineError('VALUE_INVALID', 'entity state must be an object');
    }
    const keys = this.schema.keys;
    for (let f = 0; f < keys.length; f++) this.packField(f, value[keys[f]!], codes, objects, index);
  }

  packField(field: number, value: unknown, codes: Uint32Array, objects: unknown[], index: number): void {
    const type = this.schema.fields[field]!;
    const start = this.codeStart[field]!;
    if (start < 0) {
      // Snapshots are values: keep a frozen copy, so later changes to the caller's object can neither
      // alter a baseline nor go unnoticed by the next comparison.
      objects[index * this.objectSlots + this.objectSlot[field]!] = frozenCopy(value);
      return;
    }
    const at = index * this.codeSlots + start;
    if (type instanceof IntegerCodedField) codes[at] = type.toCode(value);
    else if (type instanceof BoolField) {
      if (typeof value !== 'boolean')
        throw new ShardlineError('VALUE_INVALID', `${String(value)} is not a boolean`);
      codes[at] = value ? 1 : 0;
    } else if (type instanceof QuaternionField) {
      if (typeof value !== 'object' || value === null) {
        throw new ShardlineError('VALUE_INVALID', 'quaternion value must be an object');
      }
      codes.set(type.quantizer.encode(value as never), at);
    } else {
      const vector = type as VectorField<never>;
      const components = value as Record<string, number>;
      if (typeof value !== 'object' || value === null) {
        throw new ShardlineError('VALUE_INVALID', 'vector value must be an object');
      }
      vector.axes.forEach((axis, i) => {
        codes[at + i] = vector.quantizer.encode(components[axis]!);
      });
    }
  }

  /** The value stored in row `index`, as receivers see it. */
  unpack(codes: Uint32Array, objects: readonly unknown[], index: number): StructValue<F> {
    const out: Record<string, unknown> = {};
    const keys = this.schema.keys;
    for (let f = 0; f < keys.length; f++) out[keys[f]!] = this.unpackField(f, codes, objects, index);
    return out as StructValue<F>;
  }

  unpackField(field: number, codes: Uint32Array, objects: readonly unknown[], index: number): unknown {
    const type = this.schema.fields[field]!;
    const start = this.codeStart[field]!;
    if (start < 0) return objects[index * this.objectSlots + this.objectSlot[field]!];
    const at = index * this.codeSlots + start;
    if (type instanceof IntegerCodedField) return type.fromCode(codes[at]!);
    if (type instanceof BoolField) return codes[at] === 1;
    if (type instanceof QuaternionField) {
      return type.quantizer.decode(codes[at]!, codes[at + 1]!, codes[at + 2]!, codes[at + 3]!);
    }
    const vector = type as VectorField<never>;
    const out: Record<string, number> = {};
    vector.axes.forEach((axis, i) => {
      out[axis] = vector.quantizer.decode(codes[at + i]!);
    });
    return out;
  }

  /** Bit i set when field i differs between row `index` and row `baseIndex` of the baseline. */
  changedMask(
    codes: Uint32Array,
    objects: readonly unknown[],
    index: number,
    baseCodes: Uint32Array,
    baseObjects: readonly unknown[],
    baseIndex: number,
  ): number {
    const slots = this.codeSlots;
    const slotFieldBit = this.slotFieldBit;
    const at = index * slots;
    const baseAt = baseIndex * slots;
    let mask = 0;
    for (let s = 0; s < slots; s++) {
      if (codes[at + s] !== baseCodes[baseAt + s]) mask |= slotFieldBit[s]!;
    }
    const objectSlots = this.objectSlots;
    for (let o = 0; o < objectSlots; o++) {
      const value = objects[index * objectSlots + o];
      const base = baseObjects[baseIndex * objectSlots + o];
      // Object.is, not ===: 0 and -0 are different bits on the wire (float kinds).
      if (!Object.is(value, base) && !this.objectFields[o]!.equals(value, base))
        mask |= this.objectFieldBit[o]!;
    }
    return mask >>> 0;
  }

  /** Every field of row `index` in full, in declaration order. */
  writeFull(sink: BitSink, codes: Uint32Array, objects: readonly unknown[], index: number): void {
    const fieldCount = this.fieldCount;
    for (let f = 0; f < fieldCount; f++) {
      const start = this.codeStart[f]!;
      if (start < 0) {
        this.schema.fields[f]!.write(sink, objects[index * this.objectSlots + this.objectSlot[f]!]);
        continue;
      }
      const at = index * this.codeSlots;
      for (let s = start; s < start + this.codeCount[f]!; s++)
        sink.writeUint(codes[at + s]!, this.slotBits[s]!);
    }
  }

  /** Reads a full row into row `index`. */
  readFull(reader: BitReader, codes: Uint32Array, objects: unknown[], index: number): void {
    const fieldCount = this.fieldCount;
    for (let f = 0; f < fieldCount; f++) {
      const start = this.codeStart[f]!;
      if (start < 0) {
        objects[index * this.objectSlots + this.objectSlot[f]!] = this.schema.fields[f]!.read(reader);
        continue;
      }
      const at = index * this.codeSlots;
      for (let s = start; s < start + this.codeCount[f]!; s++) codes[at + s] = readCode(reader, this, s);
      if (this.storage[f] === FieldStorage.Quaternion) this.checkQuaternion(f, codes, at + start);
    }
  }

  /** WIRE_INVALID unless the quaternion field's codes at `at` rebuild a unit quaternion. */
  checkQuaternion(field: number, codes: Uint32Array, at: number): void {
    const { quantizer } = this.schema.fields[field] as QuaternionField;
    quantizer.decode(codes[at]!, codes[at + 1]!, codes[at + 2]!, codes[at + 3]!);
  }
}

/** A deep copy of plain data with arrays and objects frozen (byte arrays are copied, not frozen). */
function frozenCopy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return value.slice();
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = frozenCopy(item);
  return Object.freeze(copy);
}

/** Slot `slot`'s code in full off the wire (WIRE_INVALID past the slot's largest code). */
export function readCode(reader: BitReader, layout: PackedLayout<FieldMap>, slot: number): number {
  const code = reader.readUint(layout.slotBits[slot]!);
  if (code > layout.slotMaxCode[slot]!) invalidCode(code, slot);
  return code;
}

export function invalidCode(code: number, slot: number): never {
  throw new ShardlineError('WIRE_INVALID', `code ${code} is out of range for slot ${slot}`);
}

interface CodeSlot {
  bits: number;
  mode: SlotMode;
  maxCode: number;
  predicted: boolean;
}

/** The code slots a field kind packs into; none for kinds that stay objects. */
function slotsOf(field: AnyFieldType): CodeSlot[] {
  if (field instanceof IntegerCodedField) {
    const relative = field.deltaMode === 'relative';
    const continuous = field instanceof QuantizedField || field instanceof AngleField;
    const mode = relative ? SlotMode.Coded : SlotMode.Absolute;
    return [{ bits: field.bits, mode, maxCode: field.maxCode, predicted: relative && continuous }];
  }
  if (field instanceof BoolField) return [{ bits: 1, mode: SlotMode.Bool, maxCode: 1, predicted: false }];
  if (field instanceof VectorField) {
    const relative = field.deltaMode === 'relative';
    const mode = relative ? SlotMode.Coded : SlotMode.Absolute;
    const { bits, maxCode } = field.quantizer;
    return field.axes.map(() => ({ bits, mode, maxCode, predicted: relative }));
  }
  if (field instanceof QuaternionField) {
    const relative = field.deltaMode === 'relative';
    const bits = field.quantizer.componentBits;
    const component: CodeSlot = {
      bits,
      mode: relative ? SlotMode.Coded : SlotMode.Absolute,
      maxCode: field.quantizer.component.maxCode,
      predicted: relative,
    };
    const largest = { bits: 2, mode: relative ? SlotMode.QuatLargest : SlotMode.Absolute, maxCode: 3 };
    return [{ ...largest, predicted: false }, component, component, component];
  }
  return [];
}

const layouts = new WeakMap<StructType<FieldMap>, PackedLayout<FieldMap>>();

/** The (cached) packed layout of a schema. */
export function layoutOf<F extends FieldMap>(schema: StructType<F>): PackedLayout<F> {
  let layout = layouts.get(schema as unknown as StructType<FieldMap>);
  if (!layout) {
    layout = new PackedLayout(schema as unknown as StructType<FieldMap>);
    layouts.set(schema as unknown as StructType<FieldMap>, layout);
  }
  return layout as unknown as PackedLayout<F>;
}
