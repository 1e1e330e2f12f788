import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import { zigzagDecode } from '../wire/integers.js';
import type { FieldMap, StructType, StructValue } from './composite.js';
import type { AnyFieldType } from './field.js';
import { IntegerCodedField } from './integer-coded.js';
import { VectorField } from './quantized.js';
import { BoolField } from './scalars.js';

/** How a code slot is delta-coded (see PROTOCOL.md §5). */
enum SlotMode {
  /** Delta is the full code. */
  Absolute = 0,
  /** Delta is the wrapped code difference as a non-zero length-prefixed integer. */
  Relative = 1,
  /** A bool: a changed one is its negation, zero bits. */
  Bool = 2,
  /** A relative vector component: a changed bit, then Relative if set. */
  ComponentRelative = 3,
}

/**
 * The packed form of an entity schema's state: every top-level field whose values map onto integer
 * codes (integers, enums, quantized floats, angles, bools, vector components) occupies code slots
 * in a Uint32Array row; every other field (strings, arrays, structs, …) an object slot holding its
 * value. Values are quantized once, when they are stored, so comparing and delta-coding snapshots is
 * integer work. Encodings are bit-for-bit those of the field kinds themselves (tests hold this).
 */
export class PackedLayout<F extends FieldMap> {
  readonly codeSlots: number;
  readonly objectSlots: number;
  /** Per field: its first code slot, or -1 when it lives in an object slot. */
  private readonly codeStart: number[] = [];
  /** Per field: how many code slots it has (0 for object fields). */
  private readonly codeCount: number[] = [];
  /** Per field: its object slot, or -1. */
  private readonly objectSlot: number[] = [];
  private readonly slotBits: number[] = [];
  private readonly slotMode: SlotMode[] = [];
  private readonly slotMaxCode: number[] = [];
  /** Change-mask bit of the field each slot belongs to. */
  private readonly slotFieldBit: number[] = [];
  private readonly objectFieldBit: number[] = [];
  private readonly objectFields: AnyFieldType[] = [];

  constructor(readonly schema: StructType<F>) {
    schema.fields.forEach((field, index) => {
      const bit = 2 ** index;
      const codes = slotsOf(field);
      if (codes.length === 0) {
        this.codeStart.push(-1);
        this.codeCount.push(0);
        this.objectSlot.push(this.objectFields.length);
        this.objectFields.push(field);
        this.objectFieldBit.push(bit);
        return;
      }
      this.codeStart.push(this.slotBits.length);
      this.codeCount.push(codes.length);
      this.objectSlot.push(-1);
      for (const slot of codes) {
        this.slotBits.push(slot.bits);
        this.slotMode.push(slot.mode);
        this.slotMaxCode.push(slot.maxCode);
        this.slotFieldBit.push(bit);
      }
    });
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
    const fieldCount = this.codeStart.length;
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
    const fieldCount = this.codeStart.length;
    for (let f = 0; f < fieldCount; f++) {
      const start = this.codeStart[f]!;
      if (start < 0) {
        objects[index * this.objectSlots + this.objectSlot[f]!] = this.schema.fields[f]!.read(reader);
        continue;
      }
      const at = index * this.codeSlots;
      for (let s = start; s < start + this.codeCount[f]!; s++) codes[at + s] = this.readCode(reader, s);
    }
  }

  /** The change mask, then each changed field's delta of row `index` against the baseline row. */
  writeDelta(
    sink: BitSink,
    mask: number,
    codes: Uint32Array,
    objects: readonly unknown[],
    index: number,
    baseCodes: Uint32Array,
    baseObjects: readonly unknown[],
    baseIndex: number,
  ): void {
    sink.writeUint(mask, this.codeStart.length);
    this.writeDeltaFields(sink, mask, codes, objects, index, baseCodes, baseObjects, baseIndex);
  }

  /** Each changed field's delta (the mask written elsewhere, e.g. as a section's common mask). */
  writeDeltaFields(
    sink: BitSink,
    mask: number,
    codes: Uint32Array,
    objects: readonly unknown[],
    index: number,
    baseCodes: Uint32Array,
    baseObjects: readonly unknown[],
    baseIndex: number,
  ): void {
    const { codeStart, codeCount, slotBits, slotMode } = this;
    const fieldCount = codeStart.length;
    const at = index * this.codeSlots;
    const baseAt = baseIndex * this.codeSlots;
    for (let f = 0; f < fieldCount; f++) {
      if (((mask >>> f) & 1) === 0) continue;
      const start = codeStart[f]!;
      if (start < 0) {
        const o = this.objectSlot[f]!;
        const value = objects[index * this.objectSlots + o];
        this.objectFields[o]!.writeDelta(sink, value, baseObjects[baseIndex * this.objectSlots + o]);
        continue;
      }
      const end = start + codeCount[f]!;
      for (let s = start; s < end; s++) {
        const code = codes[at + s]!;
        const base = baseCodes[baseAt + s]!;
        const bits = slotBits[s]!;
        switch (slotMode[s]) {
          case SlotMode.Absolute:
            sink.writeUint(code, bits);
            break;
          case SlotMode.Relative:
            writeRelative(sink, base, code, bits);
            break;
          case SlotMode.ComponentRelative:
            sink.writeUint(code === base ? 0 : 1, 1);
            if (code !== base) writeRelative(sink, base, code, bits);
            break;
          default: // SlotMode.Bool: the mask bit says it flipped
        }
      }
    }
  }

  /** Reads a change mask (non-zero, else WIRE_INVALID). */
  readMask(reader: BitReader): number {
    const mask = reader.readUint(this.codeStart.length);
    if (mask === 0) throw new ShardlineError('WIRE_INVALID', 'entity delta changes no field');
    return mask;
  }

  /** Applies the field deltas named by `mask` to row `index`, which holds the baseline state. */
  readDelta(reader: BitReader, mask: number, codes: Uint32Array, objects: unknown[], index: number): void {
    const { codeStart, codeCount, slotMode, slotBits, slotMaxCode } = this;
    const fieldCount = codeStart.length;
    const at = index * this.codeSlots;
    for (let f = 0; f < fieldCount; f++) {
      if (((mask >>> f) & 1) === 0) continue;
      const start = codeStart[f]!;
      if (start < 0) {
        const slot = index * this.objectSlots + this.objectSlot[f]!;
        objects[slot] = this.schema.fields[f]!.readDelta(reader, objects[slot]);
        continue;
      }
      const end = start + codeCount[f]!;
      let componentChanged = false;
      for (let s = start; s < end; s++) {
        const mode = slotMode[s]!;
        let code: number;
        if (mode === SlotMode.Relative) {
          code = relativeCode(reader, codes[at + s]!, slotBits[s]!);
        } else if (mode === SlotMode.Absolute) {
          code = reader.readUint(slotBits[s]!);
        } else if (mode === SlotMode.Bool) {
          code = codes[at + s]! ^ 1;
        } else if (reader.readUint(1) === 1) {
          code = relativeCode(reader, codes[at + s]!, slotBits[s]!);
          componentChanged = true;
        } else {
          continue;
        }
        if (code > slotMaxCode[s]!) invalidCode(code, s); // only integer ranges and enums can exceed
        codes[at + s] = code;
      }
      if (slotMode[start] === SlotMode.ComponentRelative && !componentChanged) {
        throw new ShardlineError('WIRE_INVALID', 'vector delta changes no component');
      }
    }
  }

  private readCode(reader: BitReader, slot: number): number {
    const code = reader.readUint(this.slotBits[slot]!);
    if (code > this.slotMaxCode[slot]!) invalidCode(code, slot);
    return code;
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

function invalidCode(code: number, slot: number): never {
  throw new ShardlineError('WIRE_INVALID', `code ${code} is out of range for slot ${slot}`);
}

/** Reads a relative delta (PROTOCOL.md §5.2) and applies it to `base`; the caller validates the code. */
function relativeCode(reader: BitReader, base: number, bits: number): number {
  const diff = zigzagDecode(reader.readNonZeroUint(bits));
  const shift = 32 - bits;
  return ((base + diff) << shift) >>> shift;
}

function writeRelative(sink: BitSink, base: number, code: number, bits: number): void {
  const shift = 32 - bits;
  const diff = ((code - base) << shift) >> shift;
  sink.writeNonZeroUint(((diff << 1) ^ (diff >> 31)) >>> 0, bits);
}

interface CodeSlot {
  bits: number;
  mode: SlotMode;
  maxCode: number;
}

/** The code slots a field kind packs into; none for kinds that stay objects. */
function slotsOf(field: AnyFieldType): CodeSlot[] {
  if (field instanceof IntegerCodedField) {
    const mode = field.deltaMode === 'relative' ? SlotMode.Relative : SlotMode.Absolute;
    return [{ bits: field.bits, mode, maxCode: field.maxCode }];
  }
  if (field instanceof BoolField) return [{ bits: 1, mode: SlotMode.Bool, maxCode: 1 }];
  if (field instanceof VectorField) {
    const mode = field.deltaMode === 'relative' ? SlotMode.ComponentRelative : SlotMode.Absolute;
    const { bits, maxCode } = field.quantizer;
    return field.axes.map(() => ({ bits, mode, maxCode }));
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
