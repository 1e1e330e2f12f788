import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import { BitCounter, type BitSink } from '../wire/bit-sink.js';
import { wrapAdd, wrappedDifference, zigzagDecode, zigzagEncode } from '../wire/integers.js';
import type { FieldMap } from './composite.js';
import { FieldStorage, invalidCode, type PackedLayout, readCode, SlotMode } from './layout.js';

/** Longest prediction span and step a snapshot message may name (PROTOCOL.md §11). */
export const MAX_PREDICTION_TICKS = 255;

/**
 * Where an update's prediction comes from: the row of the same entity in the prior snapshot (the
 * baseline's own baseline, `span` ticks before the baseline), the message being `steps` ticks after
 * the baseline. A row of -1 (or no prior at all) predicts the baseline value itself.
 */
export interface PriorRow {
  codes: Uint32Array;
  row: number;
  span: number;
  steps: number;
}

/** How a field's delta is written in an update record (PROTOCOL.md §6.2). */
enum FieldDelta {
  /** Its kind's own delta (§5). */
  Object = 0,
  /** A residual per code slot. */
  Residuals = 1,
  /** Every code in full. */
  Full = 2,
  /** A bool: nothing (it flipped). */
  Flip = 3,
  /** A relative quaternion: "same largest index", then residuals or the codes in full. */
  Quaternion = 4,
}

/** Bucket per bit length 0 … 32 of a residual, per slot. */
const LENGTH_BUCKETS = 33;

/**
 * The code an update predicts for a continuous slot (PROTOCOL.md §6.3): the baseline code moved on
 * along the line from the prior code, d · steps / span rounded half up, modulo 2^bits. Exact in
 * doubles: |d| < 2^31 and steps, span ≤ 255 keep every operand below 2^41.
 */
export function predictCode(base: number, prior: number, steps: number, span: number, bits: number): number {
  const d = wrappedDifference(prior, base, bits);
  const offset = steps === span ? d : Math.floor((2 * d * steps + span) / (2 * span));
  return wrapAdd(base, offset, bits);
}

/**
 * The deltas of one update section of a schema (PROTOCOL.md §6.2): every Coded slot's change is a
 * residual — the wrapped difference from the baseline code, or from the predicted code when a prior
 * row exists — zigzagged and written as exp-Golomb at an order the section header gives per slot.
 * The writer measures every record's residuals first (`measure`), picks the orders that take the
 * fewest bits (`chooseOrders`), then writes the header and the records.
 */
export class SectionDeltas<F extends FieldMap> {
  /** Per slot: this section's exp-Golomb order. */
  readonly orders: Uint8Array;
  /** Per measured record and slot: the zigzagged residual (meaningful for measured slots only). */
  private residuals = new Uint32Array(0);
  private readonly lengths: Uint32Array;
  /** Per field: how its delta is coded, its code slots [start, end), and whether they are predicted. */
  private readonly kind: FieldDelta[] = [];
  private readonly start: number[] = [];
  private readonly end: number[] = [];
  private readonly predicted: boolean[] = [];
  /** Scratch: a field's baseline codes while its delta is read in place (a field has at most 4). */
  private readonly before = new Uint32Array(4);

  constructor(readonly layout: PackedLayout<F>) {
    this.orders = new Uint8Array(layout.codeSlots);
    this.lengths = new Uint32Array(layout.codeSlots * LENGTH_BUCKETS);
    for (let f = 0; f < layout.fieldCount; f++) {
      const start = layout.codeStart[f]!;
      const last = start + layout.codeCount[f]! - 1;
      this.start.push(start);
      this.end.push(last + 1);
      this.predicted.push(start >= 0 && layout.slotPredicted[last]!);
      if (start < 0) this.kind.push(FieldDelta.Object);
      else if (layout.slotMode[start] === SlotMode.QuatLargest) this.kind.push(FieldDelta.Quaternion);
      else if (layout.slotMode[start] === SlotMode.Coded) this.kind.push(FieldDelta.Residuals);
      else if (layout.slotMode[start] === SlotMode.Bool) this.kind.push(FieldDelta.Flip);
      else this.kind.push(FieldDelta.Full);
    }
  }

  /** Starts measuring a section of `count` records (residuals of earlier sections are dropped). */
  begin(count: number): void {
    const needed = count * this.layout.codeSlots;
    if (this.residuals.length < needed)
      this.residuals = new Uint32Array(Math.max(needed, 2 * this.residuals.length));
  }

  /** Computes and counts the residuals of record `record`: row `row` against `baseRow` (and a prior). */
  measure(
    record: number,
    mask: number,
    codes: Uint32Array,
    row: number,
    baseCodes: Uint32Array,
    baseRow: number,
    prior: PriorRow | undefined,
  ): void {
    const { residuals, lengths, kind, layout } = this;
    const slotBits = layout.slotBits;
    const slots = layout.codeSlots;
    const at = row * slots;
    const baseAt = baseRow * slots;
    const out = record * slots;
    const priorAt = prior && prior.row >= 0 ? prior.row * slots : -1;
    for (let f = 0; f < kind.length; f++) {
      const fieldKind = kind[f];
      if (
        ((mask >>> f) & 1) === 0 ||
        (fieldKind !== FieldDelta.Residuals && fieldKind !== FieldDelta.Quaternion)
      )
        continue;
      let s = this.start[f]!;
      let predict = priorAt >= 0 && this.predicted[f]!;
      if (fieldKind === FieldDelta.Quaternion) {
        if (codes[at + s] !== baseCodes[baseAt + s]) continue; // written in full
        predict &&= prior!.codes[priorAt + s] === baseCodes[baseAt + s];
        s++;
      }
      for (const end = this.end[f]!; s < end; s++) {
        const bits = slotBits[s]!;
        const base = baseCodes[baseAt + s]!;
        const predicted = predict
          ? predictCode(base, prior!.codes[priorAt + s]!, prior!.steps, prior!.span, bits)
          : base;
        const residual = zigzagEncode(wrappedDifference(predicted, codes[at + s]!, bits));
        residuals[out + s] = residual;
        lengths[s * LENGTH_BUCKETS + (32 - Math.clz32(residual))]!++;
      }
    }
  }

  /**
   * Sets each slot's order to the one that takes the fewest bits for what was measured (counting a
   * value of bit length L at order k as 2·max(L, k + 1) − 1 − k bits, ignoring carries), and clears
   * the counts.
   */
  chooseOrders(): void {
    const { layout, lengths, orders } = this;
    for (let s = 0; s < layout.codeSlots; s++) {
      const first = s * LENGTH_BUCKETS;
      let longest = -1;
      for (let length = 0; length < LENGTH_BUCKETS; length++)
        if (lengths[first + length] !== 0) longest = length;
      let best = 0;
      let bestBits = Number.POSITIVE_INFINITY;
      const maxOrder = Math.min(layout.slotBits[s]! - 1, longest);
      for (let order = 0; order <= maxOrder; order++) {
        let bits = 0;
        for (let length = 0; length <= longest; length++) {
          const count = lengths[first + length]!;
          if (count !== 0) bits += count * (2 * Math.max(length, order + 1) - 1 - order);
        }
        if (bits < bestBits) {
          bestBits = bits;
          best = order;
        }
      }
      orders[s] = best;
      if (longest >= 0) lengths.fill(0, first, first + longest + 1);
    }
  }

  /** The orders of the Coded slots of the fields in `fields` (a mask), in slot order. */
  writeOrders(sink: BitSink, fields: number): void {
    const { layout, orders } = this;
    for (let s = 0; s < layout.codeSlots; s++) {
      if ((fields & layout.slotFieldBit[s]!) !== 0 && layout.slotOrderBits[s]! > 0)
        sink.writeUint(orders[s]!, layout.slotOrderBits[s]!);
    }
  }

  readOrders(reader: BitReader, fields: number): void {
    const { layout, orders } = this;
    orders.fill(0);
    for (let s = 0; s < layout.codeSlots; s++) {
      if ((fields & layout.slotFieldBit[s]!) === 0 || layout.slotOrderBits[s]! === 0) continue;
      const order = reader.readUint(layout.slotOrderBits[s]!);
      if (order >= layout.slotBits[s]!) invalid(`order ${order} is too large for slot ${s}`);
      orders[s] = order;
    }
  }

  /** The changed fields' deltas of measured record `record` (its mask written elsewhere). */
  write(
    sink: BitSink,
    record: number,
    mask: number,
    codes: Uint32Array,
    objects: readonly unknown[],
    row: number,
    baseCodes: Uint32Array,
    baseObjects: readonly unknown[],
    baseRow: number,
  ): void {
    const { layout, residuals, orders, kind } = this;
    const slotBits = layout.slotBits;
    const at = row * layout.codeSlots;
    const out = record * layout.codeSlots;
    for (let f = 0; f < kind.length; f++) {
      if (((mask >>> f) & 1) === 0) continue;
      let s = this.start[f]!;
      const end = this.end[f]!;
      switch (kind[f]) {
        case FieldDelta.Residuals:
          for (; s < end; s++) sink.writeExpGolomb(residuals[out + s]!, orders[s]!);
          break;
        case FieldDelta.Quaternion:
          if (codes[at + s] === baseCodes[baseRow * layout.codeSlots + s]) {
            sink.writeBool(true);
            for (s++; s < end; s++) sink.writeExpGolomb(residuals[out + s]!, orders[s]!);
          } else {
            sink.writeBool(false);
            for (; s < end; s++) sink.writeUint(codes[at + s]!, slotBits[s]!);
          }
          break;
        case FieldDelta.Full:
          for (; s < end; s++) sink.writeUint(codes[at + s]!, slotBits[s]!);
          break;
        case FieldDelta.Object: {
          const o = layout.objectSlot[f]!;
          const value = objects[row * layout.objectSlots + o];
          layout.objectFields[o]!.writeDelta(sink, value, baseObjects[baseRow * layout.objectSlots + o]);
          break;
        }
        default: // FieldDelta.Flip: the mask bit says it flipped
      }
    }
  }

  /**
   * Applies the deltas of the fields in `mask` to row `row`, which holds the baseline state. A code
   * field that decodes to its baseline value is WIRE_INVALID (its mask bit claimed a change).
   */
  read(
    reader: BitReader,
    mask: number,
    codes: Uint32Array,
    objects: unknown[],
    row: number,
    prior: PriorRow | undefined,
  ): void {
    const { layout, kind } = this;
    const at = row * layout.codeSlots;
    const priorAt = prior && prior.row >= 0 ? prior.row * layout.codeSlots : -1;
    for (let f = 0; f < kind.length; f++) {
      if (((mask >>> f) & 1) === 0) continue;
      const start = this.start[f]!;
      const end = this.end[f]!;
      let s = start;
      let predict = priorAt >= 0 && this.predicted[f]!;
      const before = this.before;
      for (let i = start; i < end; i++) before[i - start] = codes[at + i]!;
      switch (kind[f]) {
        case FieldDelta.Object: {
          const slot = row * layout.objectSlots + layout.objectSlot[f]!;
          objects[slot] = layout.schema.fields[f]!.readDelta(reader, objects[slot]);
          continue;
        }
        case FieldDelta.Flip:
          codes[at + s] = codes[at + s]! ^ 1;
          continue;
        case FieldDelta.Full:
          for (; s < end; s++) codes[at + s] = readCode(reader, layout, s);
          break;
        case FieldDelta.Quaternion:
          if (!reader.readBool()) {
            const largest = reader.readUint(2);
            if (largest === codes[at + s]) invalid('full quaternion delta keeps the largest component');
            codes[at + s] = largest;
            for (s++; s < end; s++) codes[at + s] = readCode(reader, layout, s);
            break;
          }
          predict &&= prior!.codes[priorAt + s] === codes[at + s];
          this.readResiduals(reader, codes, at, s + 1, end, predict ? prior : undefined, priorAt);
          break;
        default: // FieldDelta.Residuals
          this.readResiduals(reader, codes, at, s, end, predict ? prior : undefined, priorAt);
      }
      let changed = false;
      for (let i = start; i < end; i++) if (codes[at + i] !== before[i - start]) changed = true;
      if (!changed) invalid(`delta of field ${f} changes nothing`);
      if (layout.storage[f] === FieldStorage.Quaternion) layout.checkQuaternion(f, codes, at + start);
    }
  }

  /** Slots [from, end) of row `at` as residuals against their codes, predicted from `prior` if given. */
  private readResiduals(
    reader: BitReader,
    codes: Uint32Array,
    at: number,
    from: number,
    end: number,
    prior: PriorRow | undefined,
    priorAt: number,
  ): void {
    const { slotBits, slotMaxCode } = this.layout;
    for (let s = from; s < end; s++) {
      const bits = slotBits[s]!;
      const base = codes[at + s]!;
      const residual = reader.readExpGolomb(this.orders[s]!);
      if (bits < 32 && residual >>> bits !== 0) invalid(`residual ${residual} exceeds ${bits} bits`);
      const predicted = prior
        ? predictCode(base, prior.codes[priorAt + s]!, prior.steps, prior.span, bits)
        : base;
      const code = wrapAdd(predicted, zigzagDecode(residual), bits);
      if (code > slotMaxCode[s]!) invalidCode(code, s);
      codes[at + s] = code;
    }
  }
}

/**
 * About how many bits an update of row `row` against `baseRow` takes (before orders are known: Coded
 * residuals counted at order 0, no prediction). For filling a byte budget.
 */
export function estimateDeltaBits<F extends FieldMap>(
  layout: PackedLayout<F>,
  mask: number,
  codes: Uint32Array,
  objects: readonly unknown[],
  row: number,
  baseCodes: Uint32Array,
  baseObjects: readonly unknown[],
  baseRow: number,
): number {
  const slots = layout.codeSlots;
  let bits = layout.fieldCount;
  for (let s = 0; s < slots; s++) {
    if ((mask & layout.slotFieldBit[s]!) === 0) continue;
    const code = codes[row * slots + s]!;
    const base = baseCodes[baseRow * slots + s]!;
    const width = layout.slotBits[s]!;
    if (layout.slotMode[s] === SlotMode.Coded) {
      const residual = zigzagEncode(wrappedDifference(base, code, width));
      bits += 2 * (32 - Math.clz32(residual + 1)) - 1;
    } else if (layout.slotMode[s] !== SlotMode.Bool) bits += width + 1;
  }
  if (layout.objectSlots > 0) {
    const counter = new BitCounter();
    for (let o = 0; o < layout.objectSlots; o++) {
      if ((mask & layout.objectFieldBit[o]!) === 0) continue;
      const value = objects[row * layout.objectSlots + o];
      layout.objectFields[o]!.writeDelta(counter, value, baseObjects[baseRow * layout.objectSlots + o]);
    }
    bits += counter.bitLength;
  }
  return bits;
}

function invalid(message: string): never {
  throw new ShardlineError('WIRE_INVALID', message);
}
