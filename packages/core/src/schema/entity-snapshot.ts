import { ShardlineError } from '../errors.js';
import type { FieldMap, StructType, StructValue } from './composite.js';
import { layoutOf, type PackedLayout } from './layout.js';

/**
 * How a snapshot was made from its parent when no entity spawned or despawned: the rows that may
 * differ. Encoders use it to examine only those rows when the baseline is an ancestor; any other
 * baseline falls back to comparing every row, so lineage is an optimization, never a requirement.
 */
export interface SnapshotLineage<F extends FieldMap> {
  readonly parent: EntitySnapshot<F>;
  /** Ascending row indexes set since the parent (a row set back to its old value may appear). */
  readonly touchedRows: readonly number[];
  /** Generations back to the oldest linked ancestor; links stop at MAX_LINEAGE_DEPTH. */
  readonly depth: number;
}

/**
 * Snapshots link to at most this many ancestors, so a chain keeps a bounded number of old snapshots
 * alive (about one second of ticks at 30 Hz) while covering the usual baseline ages.
 */
export const MAX_LINEAGE_DEPTH = 32;

/**
 * The state of a set of entities of one schema, packed: ids strictly ascending, and for the entity at
 * index i its quantized codes in `codes[i * layout.codeSlots …]` and its other field values in
 * `objects[i * layout.objectSlots …]`. Snapshots are immutable values (any one may serve as a
 * baseline); change one through `edit()`, which returns a builder for a new snapshot.
 */
export class EntitySnapshot<F extends FieldMap> {
  /** Use EntitySnapshot.empty / EntitySnapshot.from, a builder, or a codec's decode. */
  constructor(
    readonly layout: PackedLayout<F>,
    readonly ids: Uint32Array,
    readonly codes: Uint32Array,
    readonly objects: readonly unknown[],
    readonly lineage?: SnapshotLineage<F>,
  ) {}

  /**
   * Lists of rows that may differ from `ancestor`, if it is linked through lineage (same ids);
   * undefined otherwise.
   */
  touchedSince(ancestor: EntitySnapshot<F>): (readonly number[])[] | undefined {
    const lists: (readonly number[])[] = [];
    let node: EntitySnapshot<F> = this;
    while (node !== ancestor) {
      if (!node.lineage) return undefined;
      lists.push(node.lineage.touchedRows);
      node = node.lineage.parent;
    }
    return lists;
  }

  static empty<F extends FieldMap>(schema: StructType<F>): EntitySnapshot<F> {
    return new EntitySnapshot(layoutOf(schema), new Uint32Array(0), new Uint32Array(0), []);
  }

  /** A snapshot of (id, state) pairs in any order; ids must be distinct 32-bit unsigned integers. */
  static from<F extends FieldMap>(
    schema: StructType<F>,
    entries: Iterable<readonly [number, StructValue<F>]>,
  ): EntitySnapshot<F> {
    const builder = EntitySnapshot.empty(schema).edit();
    for (const [id, value] of entries) {
      if (builder.has(id)) throw new ShardlineError('VALUE_INVALID', `entity id ${id} appears twice`);
      builder.set(id, value);
    }
    return builder.build();
  }

  get size(): number {
    return this.ids.length;
  }

  /** Index of `id`, or -1. */
  indexOf(id: number): number {
    return indexOfId(this.ids, id);
  }

  has(id: number): boolean {
    return this.indexOf(id) >= 0;
  }

  /** The state of entity `id` as receivers see it (quantized), or undefined. */
  get(id: number): StructValue<F> | undefined {
    const index = this.indexOf(id);
    return index < 0 ? undefined : this.valueAt(index);
  }

  valueAt(index: number): StructValue<F> {
    return this.layout.unpack(this.codes, this.objects, index);
  }

  /** One field of entity `id`, without building the whole state. */
  field<K extends keyof F & string>(id: number, key: K): StructValue<F>[K] | undefined {
    const index = this.indexOf(id);
    if (index < 0) return undefined;
    return this.layout.unpackField(this.layout.schema.keys.indexOf(key), this.codes, this.objects, index) as
      | StructValue<F>[K]
      | undefined;
  }

  *entries(): IterableIterator<[number, StructValue<F>]> {
    for (let i = 0; i < this.ids.length; i++) yield [this.ids[i]!, this.valueAt(i)];
  }

  /**
   * A builder starting from this snapshot; this snapshot is never changed. With `linkPast`, the
   * snapshot built links its lineage past this one, to this one's parent (with the rows touched in
   * both generations), so it does not keep this one alive: for a snapshot that will never be a
   * baseline (a server's ticks between two sends). Encodings are the same either way.
   */
  edit(options: { linkPast?: boolean } = {}): SnapshotBuilder<F> {
    return new SnapshotBuilder(this, options.linkPast ?? false);
  }
}

/** Lineage for a snapshot whose `touchedRows` changed from `parent` (same ids), within the depth limit. */
export function lineageAfter<F extends FieldMap>(
  parent: EntitySnapshot<F>,
  touchedRows: readonly number[],
): SnapshotLineage<F> | undefined {
  const depth = (parent.lineage?.depth ?? 0) + 1;
  return depth <= MAX_LINEAGE_DEPTH ? { parent, touchedRows, depth } : undefined;
}

/**
 * Lineage for a snapshot whose `touchedRows` (ascending) changed from `skipped`, linked past it to
 * its parent: the rows touched in either generation, one generation deeper than `skipped`'s. Without
 * a lineage on `skipped`, lineage to `skipped` itself.
 */
function lineagePast<F extends FieldMap>(
  skipped: EntitySnapshot<F>,
  touchedRows: readonly number[],
): SnapshotLineage<F> | undefined {
  const link = skipped.lineage;
  if (!link) return lineageAfter(skipped, touchedRows);
  const depth = link.depth + 1;
  if (depth > MAX_LINEAGE_DEPTH) return undefined;
  return { parent: link.parent, touchedRows: mergeAscending(link.touchedRows, touchedRows), depth };
}

/** The union of two ascending lists of rows, ascending, each row once. */
function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0) return b as number[];
  if (b.length === 0) return a as number[];
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j === b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    if (i < a.length && a[i] === next) i++;
    if (j < b.length && b[j] === next) j++;
    merged.push(next);
  }
  return merged;
}

/** Index of `id` in ascending `ids` at or after `from`, or -1 (binary search). */
export function indexOfId(ids: ArrayLike<number>, id: number, from = 0): number {
  let low = from;
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

/**
 * Builds the next snapshot from a previous one: `set` and `patch` quantize values as they are stored,
 * `delete` removes an entity, `build` returns the snapshot. A builder builds once.
 */
export class SnapshotBuilder<F extends FieldMap> {
  private readonly layout: PackedLayout<F>;
  private readonly base: EntitySnapshot<F>;
  private readonly ids: Uint32Array;
  private readonly codes: Uint32Array;
  private readonly objects: unknown[];
  private readonly removed = new Set<number>();
  private readonly spawned = new Map<number, StructValue<F>>();
  /** Scratch for a spawn's row, made at the first spawn. */
  private scratchCodes: Uint32Array | undefined;
  private readonly scratchObjects: unknown[] = [];
  /** A row as it was before a store, to put back if the store throws (made at the first store). */
  private savedCodes: Uint32Array | undefined;
  private readonly savedObjects: unknown[] = [];
  /** touched[row] = 1 once the row is stored to; touchedRows lists those rows. */
  private readonly touched: Uint8Array;
  private readonly touchedRows: number[] = [];
  private built = false;

  /** Link the built snapshot's lineage past `base` (see EntitySnapshot.edit). */
  private readonly linkPast: boolean;

  constructor(base: EntitySnapshot<F>, linkPast = false) {
    this.base = base;
    this.linkPast = linkPast;
    this.layout = base.layout;
    this.ids = base.ids;
    this.codes = base.codes.slice();
    this.objects = base.objects.slice();
    this.touched = new Uint8Array(base.size);
  }

  has(id: number): boolean {
    const row = indexOfId(this.ids, id);
    return this.spawned.has(id) || (row >= 0 && !this.removed.has(row));
  }

  /**
   * Stores the whole state of entity `id`, spawning it if new. VALUE_INVALID leaves it unchanged.
   * Values are copied in (quantized codes, or frozen copies of arrays and objects): changing the
   * caller's object afterwards changes nothing here; store it again instead.
   */
  set(id: number, value: StructValue<F>): this {
    this.assertOpen();
    const row = indexOfId(this.ids, id);
    if (row >= 0) {
      this.save(row);
      try {
        this.layout.pack(value, this.codes, this.objects, row);
      } catch (error) {
        this.restore(row);
        throw error;
      }
      this.markTouched(row);
      this.removed.delete(row);
      return this;
    }
    if (id !== id >>> 0)
      throw new ShardlineError('VALUE_INVALID', `entity id ${id} is not a 32-bit unsigned integer`);
    // Pack into a scratch row now: it validates, and the frozen copies it makes are what build() stores.
    this.scratchCodes ??= new Uint32Array(this.layout.codeSlots);
    this.layout.pack(value, this.scratchCodes, this.scratchObjects, 0);
    this.spawned.set(id, this.layout.unpack(this.scratchCodes, this.scratchObjects, 0));
    return this;
  }

  /** Entity `id` as stored so far (spawned, or its base row with the changes since), or undefined. */
  get(id: number): StructValue<F> | undefined {
    const pending = this.spawned.get(id);
    if (pending) return pending;
    const row = indexOfId(this.ids, id);
    if (row < 0 || this.removed.has(row)) return undefined;
    return this.layout.unpack(this.codes, this.objects, row);
  }

  /** Stores some fields of an existing entity. VALUE_INVALID leaves it unchanged. */
  patch(id: number, values: Partial<StructValue<F>>): this {
    this.assertOpen();
    const pending = this.spawned.get(id);
    if (pending) return this.set(id, { ...pending, ...values });
    const row = indexOfId(this.ids, id);
    if (row < 0 || this.removed.has(row))
      throw new ShardlineError('VALUE_INVALID', `no entity ${id} to patch`);
    const keys = this.layout.schema.keys;
    this.save(row);
    try {
      // for…in over own keys: Object.keys' array, per patch, is what a tick's writes made most.
      for (const key in values) {
        if (!Object.hasOwn(values, key)) continue;
        const field = keys.indexOf(key);
        if (field < 0) throw new ShardlineError('VALUE_INVALID', `no field ${key} in this schema`);
        this.layout.packField(field, values[key], this.codes, this.objects, row);
      }
    } catch (error) {
      this.restore(row);
      throw error;
    }
    this.markTouched(row);
    return this;
  }

  /**
   * Stores entity `id` exactly as `source` (a snapshot of the same schema) holds it: a row copy for an
   * entity this builder has, no re-quantizing. VALUE_INVALID if `source` lacks it.
   */
  copyFrom(source: EntitySnapshot<F>, id: number): this {
    this.assertOpen();
    const from = source.indexOf(id);
    if (from < 0) throw new ShardlineError('VALUE_INVALID', `no entity ${id} to copy`);
    const row = indexOfId(this.ids, id);
    if (row < 0) {
      this.spawned.set(id, source.valueAt(from));
      return this;
    }
    const { codeSlots, objectSlots } = this.layout;
    this.codes.set(source.codes.subarray(from * codeSlots, (from + 1) * codeSlots), row * codeSlots);
    for (let o = 0; o < objectSlots; o++)
      this.objects[row * objectSlots + o] = source.objects[from * objectSlots + o];
    this.removed.delete(row);
    this.markTouched(row);
    return this;
  }

  /** Removes entity `id`; returns whether it was present. */
  delete(id: number): boolean {
    this.assertOpen();
    if (this.spawned.delete(id)) return true;
    const row = indexOfId(this.ids, id);
    if (row < 0 || this.removed.has(row)) return false;
    this.removed.add(row);
    return true;
  }

  build(): EntitySnapshot<F> {
    this.assertOpen();
    this.built = true;
    if (this.removed.size === 0 && this.spawned.size === 0) {
      const rows = this.touchedRows.sort((a, b) => a - b);
      const lineage = this.linkPast ? lineagePast(this.base, rows) : lineageAfter(this.base, rows);
      return new EntitySnapshot(this.layout, this.ids, this.codes, this.objects, lineage);
    }
    const { codeSlots, objectSlots } = this.layout;
    const added = [...this.spawned.keys()].sort((a, b) => a - b);
    const size = this.ids.length - this.removed.size + added.length;
    const ids = new Uint32Array(size);
    const codes = new Uint32Array(size * codeSlots);
    const objects = new Array<unknown>(size * objectSlots);
    let out = 0;
    let next = 0;
    const takeAdded = () => {
      const id = added[next++]!;
      ids[out] = id;
      this.layout.pack(this.spawned.get(id)!, codes, objects, out++);
    };
    for (let row = 0; row < this.ids.length; row++) {
      while (next < added.length && added[next]! < this.ids[row]!) takeAdded();
      if (this.removed.has(row)) continue;
      ids[out] = this.ids[row]!;
      codes.set(this.codes.subarray(row * codeSlots, (row + 1) * codeSlots), out * codeSlots);
      for (let o = 0; o < objectSlots; o++)
        objects[out * objectSlots + o] = this.objects[row * objectSlots + o];
      out++;
    }
    while (next < added.length) takeAdded();
    return new EntitySnapshot(this.layout, ids, codes, objects);
  }

  /** Keeps row `row` as it is, for `restore` (a store to it may throw halfway). */
  private save(row: number): void {
    const { codeSlots, objectSlots } = this.layout;
    if (!this.savedCodes) this.savedCodes = new Uint32Array(codeSlots);
    const saved = this.savedCodes;
    const codeAt = row * codeSlots;
    const objectAt = row * objectSlots;
    for (let s = 0; s < codeSlots; s++) saved[s] = this.codes[codeAt + s]!;
    for (let o = 0; o < objectSlots; o++) this.savedObjects[o] = this.objects[objectAt + o];
  }

  /** Puts back row `row` as `save` kept it. */
  private restore(row: number): void {
    const { codeSlots, objectSlots } = this.layout;
    this.codes.set(this.savedCodes!, row * codeSlots);
    for (let o = 0; o < objectSlots; o++) this.objects[row * objectSlots + o] = this.savedObjects[o];
  }

  private markTouched(row: number): void {
    if (this.touched[row] === 0) {
      this.touched[row] = 1;
      this.touchedRows.push(row);
    }
  }

  private assertOpen(): void {
    if (this.built) throw new ShardlineError('VALUE_INVALID', 'this snapshot builder has already built');
  }
}
