import { ShardlineError } from '../errors.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import type { FieldMap, StructType, StructValue } from './composite.js';

/**
 * The state of a set of entities of one schema: ids strictly ascending, `values[i]` the state of
 * `ids[i]`. Snapshots are values: never mutate one that may serve as a baseline.
 */
export interface EntitySnapshot<T> {
  readonly ids: readonly number[];
  readonly values: readonly T[];
}

export const EMPTY_SNAPSHOT: EntitySnapshot<never> = Object.freeze({ ids: [], values: [] });

/** Builds a snapshot from (id, state) pairs in any order; ids must be distinct u32 integers. */
export function snapshotFromEntries<T>(entries: Iterable<readonly [number, T]>): EntitySnapshot<T> {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  for (let i = 0; i < sorted.length; i++) {
    const id = sorted[i]![0];
    if (!isEntityId(id) || (i > 0 && sorted[i - 1]![0] === id)) {
      throw new ShardlineError('VALUE_INVALID', `entity id ${id} is not a distinct 32-bit unsigned integer`);
    }
  }
  return { ids: sorted.map((entry) => entry[0]), values: sorted.map((entry) => entry[1]) };
}

/** Index of `id` in the snapshot, or -1 (binary search). */
export function indexOfEntity(snapshot: EntitySnapshot<unknown>, id: number): number {
  const ids = snapshot.ids;
  let low = 0;
  let high = ids.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = ids[middle]!;
    if (candidate === id) return middle;
    if (candidate < id) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** True for integers in [0, 2^32). */
function isEntityId(id: number): boolean {
  return id === id >>> 0;
}

/** What a decoded snapshot delta did, besides the resulting snapshot. Every list is in ascending id order. */
export interface DecodedSnapshot<T> {
  snapshot: EntitySnapshot<T>;
  despawned: number[];
  spawned: { id: number; value: T }[];
  /** `changedMask` bit i is set when field i changed. */
  updated: { id: number; value: T; changedMask: number }[];
}

export interface SnapshotCodecOptions {
  /** Most entities one snapshot may hold; larger counts off the wire are WIRE_LIMIT. Default 65,536. */
  maxEntities?: number;
}

export const DEFAULT_MAX_ENTITIES = 1 << 16;

/** Ids are gap-coded as varuints of 4-bit groups: a gap below 16 costs 5 bits. */
const ID_GAP_GROUP_BITS = 4;
const MIN_ID_BITS = ID_GAP_GROUP_BITS + 1;

/**
 * Encodes a snapshot as a delta against a baseline snapshot both sides hold (the empty snapshot for a
 * full state). Layout, in three sections each led by a varuint count:
 *   despawns: ids in the baseline but not the current snapshot;
 *   spawns:   ids new in the current snapshot, each with its full state;
 *   updates:  ids in both whose state differs at wire precision, each with a change mask and the
 *             changed fields' deltas against the baseline state.
 * Within a section ids ascend and each is written as the gap from the previous one (first: from -1)
 * minus one. See docs/wire/PROTOCOL.md §Snapshots.
 */
export class SnapshotCodec<F extends FieldMap> {
  readonly maxEntities: number;
  private readonly despawnIds: number[] = [];
  private readonly spawnIndexes: number[] = [];
  private readonly updateIndexes: number[] = [];
  private readonly updateBaseIndexes: number[] = [];
  private readonly updateMasks: number[] = [];

  constructor(
    readonly schema: StructType<F>,
    options: SnapshotCodecOptions = {},
  ) {
    this.maxEntities = options.maxEntities ?? DEFAULT_MAX_ENTITIES;
  }

  encode(
    sink: BitSink,
    current: EntitySnapshot<StructValue<F>>,
    baseline: EntitySnapshot<StructValue<F>> = EMPTY_SNAPSHOT,
  ): void {
    if (current.ids.length > this.maxEntities) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `${current.ids.length} entities exceed maxEntities ${this.maxEntities}`,
      );
    }
    this.diff(current, baseline);
    const { despawnIds, spawnIndexes, updateIndexes, updateBaseIndexes, updateMasks, schema } = this;

    sink.writeVarUint(despawnIds.length);
    let previous = -1;
    for (const id of despawnIds) previous = writeId(sink, id, previous);

    sink.writeVarUint(spawnIndexes.length);
    previous = -1;
    for (const index of spawnIndexes) {
      previous = writeId(sink, current.ids[index]!, previous);
      schema.write(sink, current.values[index]!);
    }

    sink.writeVarUint(updateIndexes.length);
    previous = -1;
    for (let i = 0; i < updateIndexes.length; i++) {
      const index = updateIndexes[i]!;
      previous = writeId(sink, current.ids[index]!, previous);
      schema.writeMaskedDelta(
        sink,
        current.values[index]!,
        baseline.values[updateBaseIndexes[i]!]!,
        updateMasks[i]!,
      );
    }
  }

  /** Merge-walks both snapshots (ascending ids) into the scratch lists. */
  private diff(current: EntitySnapshot<StructValue<F>>, baseline: EntitySnapshot<StructValue<F>>): void {
    this.despawnIds.length = 0;
    this.spawnIndexes.length = 0;
    this.updateIndexes.length = 0;
    this.updateBaseIndexes.length = 0;
    this.updateMasks.length = 0;
    const currentIds = current.ids;
    const baseIds = baseline.ids;
    let b = 0;
    let previousId = -1;
    for (let c = 0; c < currentIds.length; c++) {
      const id = currentIds[c]!;
      if (!(id > previousId) || !isEntityId(id)) {
        throw new ShardlineError('VALUE_INVALID', `snapshot ids must ascend as u32 integers (at ${id})`);
      }
      previousId = id;
      while (b < baseIds.length && baseIds[b]! < id) this.despawnIds.push(baseIds[b++]!);
      if (b < baseIds.length && baseIds[b] === id) {
        const value = current.values[c]!;
        const base = baseline.values[b]!;
        const mask = value === base ? 0 : this.schema.changedMask(value, base);
        if (mask !== 0) {
          this.updateIndexes.push(c);
          this.updateBaseIndexes.push(b);
          this.updateMasks.push(mask);
        }
        b++;
      } else {
        this.spawnIndexes.push(c);
      }
    }
    while (b < baseIds.length) this.despawnIds.push(baseIds[b++]!);
  }

  /**
   * Decodes what `encode` wrote against the same baseline. Hostile input gets ShardlineError: counts
   * over maxEntities (WIRE_LIMIT), ids that do not fit the baseline (WIRE_INVALID), truncation.
   */
  decode(
    reader: BitReader,
    baseline: EntitySnapshot<StructValue<F>> = EMPTY_SNAPSHOT,
  ): DecodedSnapshot<StructValue<F>> {
    const schema = this.schema;

    const despawnCount = this.readCount(reader, MIN_ID_BITS);
    const despawned = new Array<number>(despawnCount);
    let previous = -1;
    for (let i = 0; i < despawnCount; i++) {
      previous = readId(reader, previous);
      if (indexOfEntity(baseline, previous) < 0)
        invalid(`despawned entity ${previous} is not in the baseline`);
      despawned[i] = previous;
    }

    const spawnCount = this.readCount(reader, MIN_ID_BITS + schema.minBits);
    const spawned = new Array<{ id: number; value: StructValue<F> }>(spawnCount);
    previous = -1;
    for (let i = 0; i < spawnCount; i++) {
      previous = readId(reader, previous);
      if (indexOfEntity(baseline, previous) >= 0 && !sortedIncludes(despawned, previous)) {
        invalid(`spawned entity ${previous} already exists`);
      }
      spawned[i] = { id: previous, value: schema.read(reader) };
    }

    const updateCount = this.readCount(reader, MIN_ID_BITS + schema.fieldCount);
    const updated = new Array<{ id: number; value: StructValue<F>; changedMask: number }>(updateCount);
    const values = baseline.values.slice();
    previous = -1;
    for (let i = 0; i < updateCount; i++) {
      const id = readId(reader, previous);
      previous = id;
      const index = indexOfEntity(baseline, id);
      if (index < 0 || sortedIncludes(despawned, id)) invalid(`updated entity ${id} is not in the baseline`);
      const changedMask = schema.readMask(reader);
      const value = schema.readFieldDeltas(reader, baseline.values[index]!, changedMask);
      values[index] = value;
      updated[i] = { id, value, changedMask };
    }

    const snapshot =
      despawnCount === 0 && spawnCount === 0
        ? { ids: baseline.ids, values }
        : mergeSnapshot(baseline.ids, values, despawned, spawned);
    if (snapshot.ids.length > this.maxEntities) {
      throw new ShardlineError('WIRE_LIMIT', `snapshot would hold ${snapshot.ids.length} entities`);
    }
    return { snapshot, despawned, spawned, updated };
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

function writeId(sink: BitSink, id: number, previous: number): number {
  sink.writeVarUint(id - previous - 1, ID_GAP_GROUP_BITS);
  return id;
}

function readId(reader: BitReader, previous: number): number {
  const id = previous + 1 + reader.readVarUint(ID_GAP_GROUP_BITS);
  if (id > 0xffff_ffff) invalid(`entity id ${id} exceeds 32 bits`);
  return id;
}

function sortedIncludes(sorted: readonly number[], id: number): boolean {
  return indexOfEntity({ ids: sorted, values: [] }, id) >= 0;
}

function invalid(message: string): never {
  throw new ShardlineError('WIRE_INVALID', message);
}

/** Baseline minus despawns plus spawns, in ascending id order. */
function mergeSnapshot<T>(
  baseIds: readonly number[],
  baseValues: readonly T[],
  despawned: readonly number[],
  spawned: readonly { id: number; value: T }[],
): EntitySnapshot<T> {
  const ids: number[] = [];
  const values: T[] = [];
  let d = 0;
  let s = 0;
  for (let b = 0; b < baseIds.length; b++) {
    const id = baseIds[b]!;
    while (s < spawned.length && spawned[s]!.id < id) {
      ids.push(spawned[s]!.id);
      values.push(spawned[s++]!.value);
    }
    if (d < despawned.length && despawned[d] === id) {
      d++;
      continue;
    }
    ids.push(id);
    values.push(baseValues[b]!);
  }
  for (; s < spawned.length; s++) {
    ids.push(spawned[s]!.id);
    values.push(spawned[s]!.value);
  }
  return { ids, values };
}
