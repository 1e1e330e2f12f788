import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import type { FieldMap, StructType } from './composite.js';
import { EntitySnapshot, indexOfId, lineageAfter } from './entity-snapshot.js';
import { layoutOf, type PackedLayout } from './layout.js';
import { MAX_PREDICTION_TICKS, type PriorRow, SectionDeltas } from './section-deltas.js';

/** What a decoded snapshot message did, besides the resulting snapshot. Every list ascends by id. */
export interface DecodedSnapshot<F extends FieldMap> {
  snapshot: EntitySnapshot<F>;
  despawned: number[];
  spawned: number[];
  updated: number[];
  /** changedMasks[i]: bit f set when field f of entity updated[i] changed. */
  changedMasks: number[];
}

export interface SnapshotCodecOptions {
  /** Most entities one snapshot may hold; larger counts off the wire are WIRE_LIMIT. Default 65,536. */
  maxEntities?: number;
}

export const DEFAULT_MAX_ENTITIES = 1 << 16;

/**
 * Linear prediction for a delta (PROTOCOL.md §6.3): `prior` is a snapshot both sides hold from `span`
 * ticks before the baseline (Shardline uses the baseline's own baseline); the snapshot encoded is
 * `steps` ticks after the baseline. Both are 1 … MAX_PREDICTION_TICKS.
 */
export interface Prediction<F extends FieldMap> {
  prior: EntitySnapshot<F>;
  span: number;
  steps: number;
}

/**
 * Ids are gap-coded with an exp-Golomb code whose order (0 … 3, `uint(2)` after the section's count)
 * the writer picks per section for the fewest bits: order 0 suits runs of neighbouring ids (a gap of
 * 0 costs one bit), higher orders sparse ones.
 */
const GAP_ORDER_BITS = 2;
const MAX_GAP_ORDER = 3;
/** Scratch counts of the masks of schemas with up to 8 fields (encoding is synchronous). */
const SMALL_MASK_COUNTS = new Uint32Array(256);

const MIN_ID_BITS = 1;
const NO_CODES = new Uint32Array(0);

/**
 * Encodes a snapshot as a delta against a baseline snapshot both sides hold (the empty snapshot for a
 * full state). Three sections, each led by a varuint count:
 *   despawns: ids in the baseline but not the current snapshot;
 *   spawns:   ids new in the current snapshot, each with its full state;
 *   updates:  ids in both whose state differs at wire precision, each with a change mask and the
 *             changed fields' deltas against the baseline state.
 * Within a section ids ascend and each is written as its gap from the previous one (first: from -1)
 * minus one. See docs/wire/PROTOCOL.md §6.
 */
export class SnapshotCodec<F extends FieldMap> {
  readonly maxEntities: number;
  readonly layout: PackedLayout<F>;
  private readonly empty: EntitySnapshot<F>;
  private readonly despawnIds: number[] = [];
  private readonly spawnIndexes: number[] = [];
  private readonly updateIndexes: number[] = [];
  private readonly updateBaseIndexes: number[] = [];
  private readonly updateMasks: number[] = [];
  private readonly deltas: SectionDeltas<F>;
  /** Scratch flags, one per row, for merging lineage generations. */
  private rowMarks = new Uint8Array(0);

  constructor(
    readonly schema: StructType<F>,
    options: SnapshotCodecOptions = {},
  ) {
    this.maxEntities = options.maxEntities ?? DEFAULT_MAX_ENTITIES;
    this.layout = layoutOf(schema);
    this.empty = EntitySnapshot.empty(schema);
    this.deltas = new SectionDeltas(this.layout);
  }

  /** Writes `current` as a delta against `baseline` (the empty snapshot: in full), optionally predicted. */
  encode(
    sink: BitSink,
    current: EntitySnapshot<F>,
    baseline: EntitySnapshot<F> = this.empty,
    prediction?: Prediction<F>,
  ): void {
    if (current.layout !== this.layout || baseline.layout !== this.layout) {
      throw new ShardlineError('VALUE_INVALID', 'snapshot belongs to another schema than this codec');
    }
    if (current.size > this.maxEntities) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `${current.size} entities exceed maxEntities ${this.maxEntities}`,
      );
    }
    if (prediction) this.checkPrediction(prediction);
    this.diff(current, baseline);
    const { despawnIds, spawnIndexes, updateIndexes, updateBaseIndexes, updateMasks, layout, deltas } = this;

    let order = writeSectionHead(sink, despawnIds);
    let previous = -1;
    for (const id of despawnIds) previous = writeId(sink, id, previous, order);

    order = writeSectionHead(sink, current.ids, spawnIndexes);
    previous = -1;
    for (const index of spawnIndexes) {
      previous = writeId(sink, current.ids[index]!, previous, order);
      layout.writeFull(sink, current.codes, current.objects, index);
    }

    order = writeSectionHead(sink, current.ids, updateIndexes);
    if (updateIndexes.length === 0) return;
    deltas.begin(updateIndexes.length);
    const prior = prediction && priorRow(prediction);
    let priorFrom = 0;
    for (let i = 0; i < updateIndexes.length; i++) {
      const index = updateIndexes[i]!;
      if (prior) {
        prior.row = indexOfId(prediction.prior.ids, current.ids[index]!, priorFrom);
        if (prior.row >= 0) priorFrom = prior.row + 1;
      }
      deltas.measure(i, updateMasks[i]!, current.codes, index, baseline.codes, updateBaseIndexes[i]!, prior);
    }
    deltas.chooseOrders();
    const common = writeUpdateHead(sink, layout.fieldCount, updateMasks, deltas);
    previous = -1;
    for (let i = 0; i < updateIndexes.length; i++) {
      const index = updateIndexes[i]!;
      previous = writeId(sink, current.ids[index]!, previous, order);
      writeRecordMask(sink, updateMasks[i]!, common, layout.fieldCount);
      deltas.write(
        sink,
        i,
        updateMasks[i]!,
        current.codes,
        current.objects,
        index,
        baseline.codes,
        baseline.objects,
        updateBaseIndexes[i]!,
      );
    }
  }

  /** Records in the last message `encode` wrote: entities despawned, spawned and updated. */
  get lastEncodedCounts(): { despawns: number; spawns: number; updates: number } {
    return {
      despawns: this.despawnIds.length,
      spawns: this.spawnIndexes.length,
      updates: this.updateIndexes.length,
    };
  }

  /**
   * What turns `previous` into `current`, without encoding: the lists a decoder would report. Used by
   * receivers whose displayed state is not the baseline a message was encoded against.
   */
  changes(current: EntitySnapshot<F>, previous: EntitySnapshot<F>): DecodedSnapshot<F> {
    this.diff(current, previous);
    return {
      snapshot: current,
      despawned: [...this.despawnIds],
      spawned: this.spawnIndexes.map((index) => current.ids[index]!),
      updated: this.updateIndexes.map((index) => current.ids[index]!),
      changedMasks: [...this.updateMasks],
    };
  }

  /** Fills the scratch lists with what differs between the snapshots. */
  private diff(current: EntitySnapshot<F>, baseline: EntitySnapshot<F>): void {
    this.despawnIds.length = 0;
    this.spawnIndexes.length = 0;
    this.updateIndexes.length = 0;
    this.updateBaseIndexes.length = 0;
    this.updateMasks.length = 0;
    if (current.ids !== baseline.ids) {
      this.mergeWalk(current, baseline);
      return;
    }
    const touched = current.touchedSince(baseline);
    if (touched === undefined) {
      for (let row = 0; row < current.size; row++) this.compareRow(current, baseline, row, row);
    } else if (touched.length === 1) {
      const rows = touched[0]!;
      for (let i = 0; i < rows.length; i++) this.compareRow(current, baseline, rows[i]!, rows[i]!);
    } else {
      this.compareTouched(current, baseline, touched);
    }
  }

  /** Rows touched in any of several generations, each compared once, in ascending order. */
  private compareTouched(
    current: EntitySnapshot<F>,
    baseline: EntitySnapshot<F>,
    lists: (readonly number[])[],
  ): void {
    if (this.rowMarks.length < current.size) this.rowMarks = new Uint8Array(current.size);
    const marks = this.rowMarks;
    for (const list of lists) for (const row of list) marks[row] = 1;
    for (let row = 0; row < current.size; row++) {
      if (marks[row] === 0) continue;
      marks[row] = 0;
      this.compareRow(current, baseline, row, row);
    }
  }

  private compareRow(
    current: EntitySnapshot<F>,
    baseline: EntitySnapshot<F>,
    row: number,
    baseRow: number,
  ): void {
    const mask = this.layout.changedMask(
      current.codes,
      current.objects,
      row,
      baseline.codes,
      baseline.objects,
      baseRow,
    );
    if (mask !== 0) {
      this.updateIndexes.push(row);
      this.updateBaseIndexes.push(baseRow);
      this.updateMasks.push(mask);
    }
  }

  /** Merge-walks snapshots with different id lists (ascending) into the scratch lists. */
  private mergeWalk(current: EntitySnapshot<F>, baseline: EntitySnapshot<F>): void {
    const currentIds = current.ids;
    const baseIds = baseline.ids;
    let b = 0;
    for (let c = 0; c < currentIds.length; c++) {
      const id = currentIds[c]!;
      while (b < baseIds.length && baseIds[b]! < id) this.despawnIds.push(baseIds[b++]!);
      if (b < baseIds.length && baseIds[b] === id) this.compareRow(current, baseline, c, b++);
      else this.spawnIndexes.push(c);
    }
    while (b < baseIds.length) this.despawnIds.push(baseIds[b++]!);
  }

  /**
   * Decodes what `encode` wrote against the same baseline. Hostile input gets ShardlineError: counts
   * over maxEntities (WIRE_LIMIT), ids that do not fit the baseline (WIRE_INVALID), truncation.
   */
  decode(
    reader: BitReader,
    baseline: EntitySnapshot<F> = this.empty,
    prediction?: Prediction<F>,
  ): DecodedSnapshot<F> {
    if (baseline.layout !== this.layout) {
      throw new ShardlineError('VALUE_INVALID', 'baseline belongs to another schema than this codec');
    }
    if (prediction) this.checkPrediction(prediction);
    const layout = this.layout;
    const { codeSlots, objectSlots } = layout;

    const despawnCount = this.readCount(reader, MIN_ID_BITS);
    let order = readGapOrder(reader, despawnCount);
    const despawned = new Array<number>(despawnCount);
    let previous = -1;
    for (let i = 0; i < despawnCount; i++) {
      previous = readId(reader, previous, order);
      if (baseline.indexOf(previous) < 0) invalid(`despawned entity ${previous} is not in the baseline`);
      despawned[i] = previous;
    }

    const spawnCount = this.readCount(reader, MIN_ID_BITS + layout.schema.minBits);
    order = readGapOrder(reader, spawnCount);
    const spawned = new Array<number>(spawnCount);
    const spawnCodes = spawnCount === 0 ? NO_CODES : new Uint32Array(spawnCount * codeSlots);
    const spawnObjects = spawnCount === 0 ? [] : new Array<unknown>(spawnCount * objectSlots);
    previous = -1;
    for (let i = 0; i < spawnCount; i++) {
      previous = readId(reader, previous, order);
      if (baseline.indexOf(previous) >= 0 && indexOfId(despawned, previous) < 0) {
        invalid(`spawned entity ${previous} already exists`);
      }
      spawned[i] = previous;
      layout.readFull(reader, spawnCodes, spawnObjects, i);
    }

    // A record is at least an id and a common-mask bit (a bool field's delta takes no bits).
    const updateCount = this.readCount(reader, MIN_ID_BITS + 1);
    order = readGapOrder(reader, updateCount);
    const { fieldCount } = layout;
    const fields = updateCount === 0 ? 0 : reader.readUint(fieldCount);
    if (updateCount > 0 && fields === 0) invalid('update section changes no field');
    this.deltas.readOrders(reader, fields);
    const common = updateCount === 0 ? 0 : reader.readUint(fieldCount);
    if ((common & ~fields) !== 0) invalid('common mask names a field the section does not change');
    const prior = prediction && priorRow(prediction);
    let priorFrom = 0;
    const updated = new Array<number>(updateCount);
    const changedMasks = new Array<number>(updateCount);
    const updatedRows = new Array<number>(updateCount);
    const codes = baseline.codes.slice();
    const objects = objectSlots === 0 ? baseline.objects : baseline.objects.slice();
    previous = -1;
    const baseIds = baseline.ids;
    let searchFrom = 0;
    for (let i = 0; i < updateCount; i++) {
      const id = readId(reader, previous, order);
      previous = id;
      // Ids ascend, so a forward scan finds every row in one pass over the baseline.
      while (searchFrom < baseIds.length && baseIds[searchFrom]! < id) searchFrom++;
      const index = searchFrom;
      if (baseIds[index] !== id || (despawnCount > 0 && indexOfId(despawned, id) >= 0)) {
        invalid(`updated entity ${id} is not in the baseline`);
      }
      searchFrom = index + 1;
      updatedRows[i] = index;
      const mask = common !== 0 && reader.readBool() ? common : reader.readUint(fieldCount);
      if (mask === 0) invalid('entity delta changes no field');
      if ((mask & ~fields) !== 0) invalid('change mask names a field the section does not change');
      if (prior) {
        prior.row = indexOfId(prediction.prior.ids, id, priorFrom);
        if (prior.row >= 0) priorFrom = prior.row + 1;
      }
      this.deltas.read(reader, mask, codes, objects as unknown[], index, prior);
      updated[i] = id;
      changedMasks[i] = mask;
    }

    const size = baseline.size - despawnCount + spawnCount;
    if (size > this.maxEntities)
      throw new ShardlineError('WIRE_LIMIT', `snapshot would hold ${size} entities`);
    const snapshot =
      despawnCount === 0 && spawnCount === 0
        ? new EntitySnapshot(layout, baseline.ids, codes, objects, lineageAfter(baseline, updatedRows))
        : merge(layout, baseline.ids, codes, objects, despawned, spawned, spawnCodes, spawnObjects);
    return { snapshot, despawned, spawned, updated, changedMasks };
  }

  private checkPrediction({ prior, span, steps }: Prediction<F>): void {
    if (prior.layout !== this.layout) {
      throw new ShardlineError('VALUE_INVALID', 'prior belongs to another schema than this codec');
    }
    const fits = (ticks: number) => Number.isInteger(ticks) && ticks >= 1 && ticks <= MAX_PREDICTION_TICKS;
    if (!fits(span) || !fits(steps)) {
      throw new ShardlineError('VALUE_INVALID', `prediction span ${span} and steps ${steps} must be 1..255`);
    }
  }

  /** Reads a section count, bounded by maxEntities and by what the remaining input could hold. */
  private readCount(reader: BitReader, minRecordBits: number): number {
    const count = reader.readVarUint();
    if (count > this.maxEntities) {
      throw new ShardlineError('WIRE_LIMIT', `${count} records exceed maxEntities ${this.maxEntities}`);
    }
    if (count * minRecordBits > reader.remainingBits) {
      throw new ShardlineError('WIRE_TRUNCATED', `${count} records cannot fit the remaining input`);
    }
    return count;
  }
}

/**
 * Writes a section's count and, if it has records, the gap-code order that takes the fewest bits
 * for its ascending ids — `ids`, or `ids[indexes[i]]` with `indexes` — and returns the order.
 */
export function writeSectionHead(sink: BitSink, ids: ArrayLike<number>, indexes?: readonly number[]): number {
  const count = indexes ? indexes.length : ids.length;
  sink.writeVarUint(count);
  if (count === 0) return 0;
  // Bits at order k: Σ 2·bitLength(gap + 2^k) − (1 + k)·count; the constant part is added last.
  let lengths0 = 0;
  let lengths1 = 0;
  let lengths2 = 0;
  let lengths3 = 0;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const id = ids[indexes ? indexes[i]! : i]!;
    const gap = id - previous - 1;
    previous = id;
    if (gap >= 0x4000_0000) return writeGapOrder(sink, MAX_GAP_ORDER); // huge gaps: the widest order
    lengths0 += 32 - Math.clz32(gap + 1);
    lengths1 += 32 - Math.clz32(gap + 2);
    lengths2 += 32 - Math.clz32(gap + 4);
    lengths3 += 32 - Math.clz32(gap + 8);
  }
  const bits = [
    2 * lengths0 - count,
    2 * lengths1 - 2 * count,
    2 * lengths2 - 3 * count,
    2 * lengths3 - 4 * count,
  ];
  const order = bits.indexOf(Math.min(...bits));
  return writeGapOrder(sink, order);
}

/**
 * The head of an update section after its ids' gap order (PROTOCOL.md §6.2): the fields any record
 * changes, the section's order for each Coded slot of those fields, then the common mask. Returns the
 * common mask.
 */
export function writeUpdateHead<F extends FieldMap>(
  sink: BitSink,
  fieldCount: number,
  masks: readonly number[],
  deltas: SectionDeltas<F>,
): number {
  let fields = 0;
  for (const mask of masks) fields |= mask;
  sink.writeUint(fields >>> 0, fieldCount);
  deltas.writeOrders(sink, fields);
  return writeCommonMask(sink, masks, fieldCount);
}

function priorRow<F extends FieldMap>(prediction: Prediction<F>): PriorRow {
  return { codes: prediction.prior.codes, row: -1, span: prediction.span, steps: prediction.steps };
}

function writeGapOrder(sink: BitSink, order: number): number {
  sink.writeUint(order, GAP_ORDER_BITS);
  return order;
}

/**
 * Writes an update section's common change mask (PROTOCOL.md §6): the most frequent of `masks`
 * (ties: the smaller) when flagging it per record takes fewer bits than writing every mask, else 0
 * (none). Returns it.
 */
export function writeCommonMask(sink: BitSink, masks: readonly number[], fieldCount: number): number {
  // Up to 8 fields, counts live in a reused array (cleared after); wider masks in a map.
  const small = fieldCount <= 8;
  const counts = small ? undefined : new Map<number, number>();
  let common = 0;
  let best = 0;
  for (const mask of masks) {
    const count = small ? ++SMALL_MASK_COUNTS[mask]! : (counts!.get(mask) ?? 0) + 1;
    if (!small) counts!.set(mask, count);
    if (count > best || (count === best && mask < common)) {
      best = count;
      common = mask;
    }
  }
  if (small) for (const mask of masks) SMALL_MASK_COUNTS[mask] = 0;
  // With it: one flag bit per record, plus the mask for the others. Without: a mask per record.
  const withCommon = masks.length + (masks.length - best) * fieldCount;
  if (withCommon >= masks.length * fieldCount) common = 0;
  sink.writeUint(common, fieldCount);
  return common;
}

/** A record's change mask: with a common mask, a flag bit (1: the common one) before any other. */
export function writeRecordMask(sink: BitSink, mask: number, common: number, fieldCount: number): void {
  if (common !== 0) sink.writeBool(mask === common);
  if (mask !== common || common === 0) sink.writeUint(mask, fieldCount);
}

function readGapOrder(reader: BitReader, count: number): number {
  return count === 0 ? 0 : reader.readUint(GAP_ORDER_BITS);
}

/** Writes `id` gap-coded after `previous` (−1 first) at a section's order; returns `id`. */
export function writeId(sink: BitSink, id: number, previous: number, order: number): number {
  sink.writeExpGolomb(id - previous - 1, order);
  return id;
}

function readId(reader: BitReader, previous: number, order: number): number {
  const id = previous + 1 + reader.readExpGolomb(order);
  if (id > 0xffff_ffff) invalid(`entity id ${id} exceeds 32 bits`);
  return id;
}

function invalid(message: string): never {
  throw new ShardlineError('WIRE_INVALID', message);
}

/** Baseline rows minus despawns plus spawned rows, in ascending id order. */
function merge<F extends FieldMap>(
  layout: PackedLayout<F>,
  baseIds: Uint32Array,
  baseCodes: Uint32Array,
  baseObjects: readonly unknown[],
  despawned: readonly number[],
  spawned: readonly number[],
  spawnCodes: Uint32Array,
  spawnObjects: readonly unknown[],
): EntitySnapshot<F> {
  const { codeSlots, objectSlots } = layout;
  const size = baseIds.length - despawned.length + spawned.length;
  const ids = new Uint32Array(size);
  const codes = new Uint32Array(size * codeSlots);
  const objects = new Array<unknown>(size * objectSlots);
  let out = 0;
  const copyRow = (fromCodes: Uint32Array, fromObjects: readonly unknown[], row: number, id: number) => {
    ids[out] = id;
    codes.set(fromCodes.subarray(row * codeSlots, (row + 1) * codeSlots), out * codeSlots);
    for (let o = 0; o < objectSlots; o++) objects[out * objectSlots + o] = fromObjects[row * objectSlots + o];
    out++;
  };
  let d = 0;
  let s = 0;
  for (let b = 0; b < baseIds.length; b++) {
    const id = baseIds[b]!;
    while (s < spawned.length && spawned[s]! < id) copyRow(spawnCodes, spawnObjects, s, spawned[s++]!);
    if (d < despawned.length && despawned[d] === id) {
      d++;
      continue;
    }
    copyRow(baseCodes, baseObjects, b, id);
  }
  while (s < spawned.length) copyRow(spawnCodes, spawnObjects, s, spawned[s++]!);
  return new EntitySnapshot(layout, ids, codes, objects);
}
