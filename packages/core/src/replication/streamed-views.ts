import type { FieldMap } from '../schema/composite.js';
import { indexOfId } from '../schema/entity-snapshot.js';
import { SectionDeltas } from '../schema/section-deltas.js';
import { writeId, writeRecordMask, writeSectionHead, writeUpdateHead } from '../schema/snapshot.js';
import type { BitString } from '../wire/bit-sink.js';
import { BitWriter } from '../wire/bit-writer.js';
import { IdBitmap } from './id-bitmap.js';
import type { InterestGrid, Viewpoint } from './interest-grid.js';
import type { WorldSchema } from './world-schema.js';
import { NO_BASELINE, PRIOR_SPAN_BITS, type WorldSnapshot } from './world-snapshot.js';

const NO_IDS = new Uint32Array(0);

/** What a streamed client holds: the entities it was last sent, ascending, with their schema indexes. */
export interface HeldView {
  readonly ids: Uint32Array;
  readonly schemas: Uint32Array;
}

/** An entity's change: its change mask and its changed fields' deltas (written after the mask). */
interface UpdateRecord {
  schema: number;
  mask: number;
  /** Its residuals' index in its schema's SectionDeltas. */
  measured: number;
  row: number;
  baseRow: number;
  /** Written when a client first needs it. */
  deltas: BitString | undefined;
}

/**
 * Interest-managed views for clients whose every snapshot is delivered (a reliable transport, no
 * byte budget). Such a client always holds the previous send tick's world restricted to what it saw,
 * so its next message is just: despawns for what left its view, full states for what entered, and
 * for what it still sees and changed since, the change — the same bits for every client, computed
 * once per round. The work per client is a merge of what it sees with what it holds plus a copy of
 * ready-made records, instead of comparing every visible entity (chooseView). The messages are what
 * the snapshot codec would write for that view against that baseline (PROTOCOL.md §6, §11), except
 * that each schema's residual orders are chosen once per round, from every entity that changed, and
 * nothing is predicted (prior span 0).
 */
export class StreamedViews {
  private current: WorldSnapshot | undefined;
  private baseline: WorldSnapshot | undefined;
  /** The entities set since the baseline, as bits (membership is tested per seen entity per client). */
  private readonly changed = new IdBitmap();
  /** The entities in both worlds whose state differs at wire precision. */
  private readonly updateRecords = new Map<number, UpdateRecord>();
  /** Scratch lists of one update section's records and masks (reused between clients). */
  private readonly records: UpdateRecord[] = [];
  private readonly masks: number[] = [];
  /** Per schema: the round's residuals and orders. */
  private readonly deltas: SectionDeltas<FieldMap>[];
  private readonly spawnRecords = new Map<number, BitString>();
  private readonly scratch = new BitWriter({ initialBytes: 256 });
  /** Scratch for writeNear: the changes' ranks in ascending order, and the ids that entered and left the view. */
  private ranks = new Uint32Array(256);
  private readonly entered: number[] = [];
  private readonly left: number[] = [];
  /** Per rank of the grid's changes, whether its entity has an update this round (built on first use). */
  private updatesByRank: Uint8Array | undefined;
  /** Scratch schema indexes of one message's visible entities (reused between clients). */
  private nextSchemas = new Uint32Array(256);
  /** Per schema: this message's despawn, spawn and update ids (reused between clients). */
  private readonly sections: { despawns: number[]; spawns: number[]; updates: number[] }[];

  constructor(world: WorldSchema) {
    this.sections = world.schemas.map(() => ({ despawns: [], spawns: [], updates: [] }));
    this.deltas = world.codecs.map((codec) => new SectionDeltas(codec.layout));
  }

  /**
   * Starts a send round: `current` is the world now; `baseline` the world at the previous send tick,
   * which every client already streamed holds (restricted to its view); `changed` the entities set
   * since then, with `schemaOf` for their schemas.
   */
  beginRound(
    current: WorldSnapshot,
    baseline: WorldSnapshot | undefined,
    changed: ReadonlySet<number>,
    schemaOf: (id: number) => number | undefined,
  ): void {
    this.current = current;
    this.baseline = baseline;
    this.changed.mark(changed);
    this.updatesByRank = undefined;
    this.updateRecords.clear();
    this.spawnRecords.clear();
    if (baseline) this.measureChanges(current, baseline, changed, schemaOf);
  }

  /** Finds the round's updates and measures their residuals, so each schema's orders are known. */
  private measureChanges(
    current: WorldSnapshot,
    baseline: WorldSnapshot,
    changed: ReadonlySet<number>,
    schemaOf: (id: number) => number | undefined,
  ): void {
    const counts = this.deltas.map(() => 0);
    for (const deltas of this.deltas) deltas.begin(changed.size);
    for (const id of changed) {
      const s = schemaOf(id);
      if (s === undefined) continue;
      const now = current.snapshots[s]!;
      const before = baseline.snapshots[s]!;
      const row = now.indexOf(id);
      const baseRow = before.indexOf(id);
      if (row < 0 || baseRow < 0) continue;
      const { layout } = now;
      const mask = layout.changedMask(now.codes, now.objects, row, before.codes, before.objects, baseRow);
      if (mask === 0) continue;
      const measured = counts[s]!++;
      this.deltas[s]!.measure(measured, mask, now.codes, row, before.codes, baseRow, undefined);
      this.updateRecords.set(id, { schema: s, mask, measured, row, baseRow, deltas: undefined });
    }
    for (const deltas of this.deltas) deltas.chooseOrders();
  }

  /**
   * Writes one client's message into `writer` (reset first): `held` is what it holds (undefined: nothing
   * yet, so a full state), `visible` what it sees now (ascending ids; read only during the call) with
   * `schemaOf` for their schemas.
   * Returns what the client holds once it has the message, and how many entity records it carries.
   */
  write(
    writer: BitWriter,
    held: HeldView | undefined,
    visible: Uint32Array,
    schemaOf: (id: number) => number | undefined,
  ): { held: HeldView; records: number } {
    this.clearSections();
    if (this.nextSchemas.length < visible.length) this.nextSchemas = new Uint32Array(visible.length * 2);
    const nextSchemas = this.nextSchemas;
    const heldIds = held?.ids ?? NO_IDS;
    let entered = 0;
    let left = 0;
    let h = 0;
    for (let v = 0; v < visible.length; v++) {
      const id = visible[v]!;
      while (h < heldIds.length && heldIds[h]! < id) {
        this.sections[held!.schemas[h]!]!.despawns.push(heldIds[h]!);
        h++;
        left++;
      }
      if (h < heldIds.length && heldIds[h] === id) {
        const s = held!.schemas[h++]!;
        nextSchemas[v] = s;
        if (this.changed.has(id) && this.updateRecords.has(id)) this.sections[s]!.updates.push(id);
      } else {
        const s = schemaOf(id)!;
        nextSchemas[v] = s;
        this.sections[s]!.spawns.push(id);
        entered++;
      }
    }
    for (; h < heldIds.length; h++, left++) this.sections[held!.schemas[h]!]!.despawns.push(heldIds[h]!);
    // Most messages change nothing of what the client holds: it keeps the same view (no copies).
    const nextHeld =
      held && entered === 0 && left === 0
        ? held
        : { ids: visible.slice(), schemas: nextSchemas.slice(0, visible.length) };
    return { held: nextHeld, records: this.writeMessage(writer, held !== undefined) };
  }

  /**
   * write() for a client whose view has not moved since it was sent `held` (last round): only the
   * entities that changed near it since (`changes`: ranks from `grid.changesNear`, possibly repeated)
   * can have come into its view, left it or changed in it. The work is in proportion to those, not to
   * what it sees.
   */
  writeNear(
    writer: BitWriter,
    held: HeldView,
    changes: readonly number[],
    grid: InterestGrid,
    viewpoint: Viewpoint,
    schemaOf: (id: number) => number | undefined,
  ): { held: HeldView; records: number } {
    this.clearSections();
    if (this.ranks.length < changes.length) this.ranks = new Uint32Array(changes.length * 2);
    const ranks = this.ranks.subarray(0, changes.length);
    for (let i = 0; i < changes.length; i++) ranks[i] = changes[i]!;
    ranks.sort(); // ascending ranks: ascending ids
    const { entered, left } = this;
    entered.length = 0;
    left.length = 0;
    let from = 0; // ids ascend, so each search starts after the last id found
    for (let i = 0; i < ranks.length; i++) {
      const rank = ranks[i]!;
      if (i > 0 && ranks[i - 1] === rank) continue;
      const id = grid.changedId(rank);
      const h = indexOfId(held.ids, id, from);
      if (h >= 0) from = h + 1;
      const seen = grid.changeSeenBy(viewpoint, rank);
      if (h >= 0 && !seen) {
        this.sections[held.schemas[h]!]!.despawns.push(id);
        left.push(id);
      } else if (h >= 0) {
        if (this.hasUpdate(grid, rank)) this.sections[held.schemas[h]!]!.updates.push(id);
      } else if (seen) {
        this.sections[schemaOf(id)!]!.spawns.push(id);
        entered.push(id);
      }
    }
    const nextHeld = entered.length === 0 && left.length === 0 ? held : amend(held, entered, left, schemaOf);
    return { held: nextHeld, records: this.writeMessage(writer, true) };
  }

  /** Whether the entity of a grid change has an update this round (a table per round: no lookups per client). */
  private hasUpdate(grid: InterestGrid, rank: number): boolean {
    if (this.updatesByRank === undefined) {
      const flags = new Uint8Array(grid.changeCount);
      for (let r = 0; r < flags.length; r++) flags[r] = this.updateRecords.has(grid.changedId(r)) ? 1 : 0;
      this.updatesByRank = flags;
    }
    return this.updatesByRank[rank] === 1;
  }

  private clearSections(): void {
    for (const section of this.sections) {
      section.despawns.length = 0;
      section.spawns.length = 0;
      section.updates.length = 0;
    }
  }

  /** Writes the message of the sections collected; returns how many entity records it carries. */
  private writeMessage(writer: BitWriter, delta: boolean): number {
    writer.reset();
    writer.writeUint(this.current!.tick, 32);
    writer.writeUint(delta ? this.baseline!.tick : NO_BASELINE, 32);
    if (delta) writer.writeUint(0, PRIOR_SPAN_BITS); // no prediction
    let records = 0;
    for (let s = 0; s < this.sections.length; s++) {
      const { despawns, spawns, updates } = this.sections[s]!;
      records += despawns.length + spawns.length + updates.length;
      writeIds(writer, despawns);
      this.writeSpawns(writer, s, spawns);
      this.writeUpdates(writer, s, updates);
    }
    return records;
  }

  /** A spawn section (PROTOCOL.md §6.1): ids, each followed by the entity's full state. */
  private writeSpawns(writer: BitWriter, s: number, ids: readonly number[]): void {
    const order = writeSectionHead(writer, ids);
    let previous = -1;
    for (const id of ids) {
      previous = writeId(writer, id, previous, order);
      writer.writeBits(this.spawnRecord(s, id));
    }
  }

  /** An update section (PROTOCOL.md §6.2): ids, the head, then each id, mask and deltas. */
  private writeUpdates(writer: BitWriter, s: number, ids: readonly number[]): void {
    const order = writeSectionHead(writer, ids);
    if (ids.length === 0) return;
    const fieldCount = this.current!.snapshots[s]!.layout.fieldCount;
    const { records, masks } = this;
    records.length = 0;
    masks.length = 0;
    for (const id of ids) {
      const record = this.updateRecords.get(id)!;
      records.push(record);
      masks.push(record.mask);
    }
    const common = writeUpdateHead(writer, fieldCount, masks, this.deltas[s]!);
    let previous = -1;
    for (let i = 0; i < ids.length; i++) {
      previous = writeId(writer, ids[i]!, previous, order);
      writeRecordMask(writer, masks[i]!, common, fieldCount);
      writer.writeBits(this.deltasOf(records[i]!));
    }
  }

  /** Entity `id`'s full state now. */
  private spawnRecord(s: number, id: number): BitString {
    let record = this.spawnRecords.get(id);
    if (!record) {
      const now = this.current!.snapshots[s]!;
      this.scratch.reset();
      now.layout.writeFull(this.scratch, now.codes, now.objects, now.indexOf(id));
      record = this.scratch.takeBits();
      this.spawnRecords.set(id, record);
    }
    return record;
  }

  /** An update's field deltas, written at the round's orders. */
  private deltasOf(record: UpdateRecord): BitString {
    if (!record.deltas) {
      const now = this.current!.snapshots[record.schema]!;
      const before = this.baseline!.snapshots[record.schema]!;
      this.scratch.reset();
      this.deltas[record.schema]!.write(
        this.scratch,
        record.measured,
        record.mask,
        now.codes,
        now.objects,
        record.row,
        before.codes,
        before.objects,
        record.baseRow,
      );
      record.deltas = this.scratch.takeBits();
    }
    return record.deltas;
  }
}

/** `held` without the `left` ids and with the `entered` ones (both ascending; none of `entered` held). */
function amend(
  held: HeldView,
  entered: readonly number[],
  left: readonly number[],
  schemaOf: (id: number) => number | undefined,
): HeldView {
  const size = held.ids.length + entered.length - left.length;
  const ids = new Uint32Array(size);
  const schemas = new Uint32Array(size);
  let n = 0;
  let e = 0;
  let l = 0;
  for (let h = 0; h < held.ids.length; h++) {
    const id = held.ids[h]!;
    for (; e < entered.length && entered[e]! < id; e++, n++) {
      ids[n] = entered[e]!;
      schemas[n] = schemaOf(entered[e]!)!;
    }
    if (l < left.length && left[l] === id) {
      l++;
      continue;
    }
    ids[n] = id;
    schemas[n++] = held.schemas[h]!;
  }
  for (; e < entered.length; e++, n++) {
    ids[n] = entered[e]!;
    schemas[n] = schemaOf(entered[e]!)!;
  }
  return { ids, schemas };
}

/** A despawn section (PROTOCOL.md §6.1): count and gap-code order, then the ids. */
function writeIds(writer: BitWriter, ids: readonly number[]): void {
  const order = writeSectionHead(writer, ids);
  let previous = -1;
  for (const id of ids) previous = writeId(writer, id, previous, order);
}
