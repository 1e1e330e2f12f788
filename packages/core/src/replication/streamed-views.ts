import type { FieldMap } from '../schema/composite.js';
import type { EntitySnapshot } from '../schema/entity-snapshot.js';
import { writeCommonMask, writeId, writeRecordMask, writeSectionHead } from '../schema/snapshot.js';
import type { BitString } from '../wire/bit-sink.js';
import { BitWriter } from '../wire/bit-writer.js';
import { IdBitmap } from './id-bitmap.js';
import type { WorldSchema } from './world-schema.js';
import { NO_BASELINE, type WorldSnapshot } from './world-snapshot.js';

/** What a streamed client holds: the entities it was last sent, ascending, with their schema indexes. */
export interface HeldView {
  readonly ids: Uint32Array;
  readonly schemas: Uint32Array;
}

/** An entity's change: its change mask and its changed fields' deltas (written after the mask). */
interface UpdateRecord {
  mask: number;
  deltas: BitString;
}

/** No update record: the entity was touched but its state is the same at wire precision. */
const UNCHANGED = null;

/**
 * Interest-managed views for clients whose every snapshot is delivered (a reliable transport, no
 * byte budget). Such a client always holds the previous send tick's world restricted to what it saw,
 * so its next message is just: despawns for what left its view, full states for what entered, and
 * for what it still sees and changed since, the change — the same bits for every client, computed
 * once per round. The work per client is a merge of what it sees with what it holds plus a copy of
 * ready-made records, instead of comparing every visible entity (chooseView). The bytes are exactly
 * what the snapshot codec would write for that view against that baseline (PROTOCOL.md §6, §11).
 */
export class StreamedViews {
  private current: WorldSnapshot | undefined;
  private baseline: WorldSnapshot | undefined;
  /** The entities set since the baseline, as bits (membership is tested per seen entity per client). */
  private readonly changed = new IdBitmap();
  private readonly updateRecords = new Map<number, UpdateRecord | typeof UNCHANGED>();
  private readonly spawnRecords = new Map<number, BitString>();
  private readonly scratch = new BitWriter({ initialBytes: 256 });
  /** Per schema: this message's despawn, spawn and update ids (reused between clients). */
  private readonly sections: { despawns: number[]; spawns: number[]; updates: number[] }[];

  constructor(world: WorldSchema) {
    this.sections = world.schemas.map(() => ({ despawns: [], spawns: [], updates: [] }));
  }

  /**
   * Starts a send round: `current` is the world now; `baseline` the world at the previous send tick,
   * which every client already streamed holds (restricted to its view); `changed` the entities set
   * since then.
   */
  beginRound(
    current: WorldSnapshot,
    baseline: WorldSnapshot | undefined,
    changed: ReadonlySet<number>,
  ): void {
    this.current = current;
    this.baseline = baseline;
    this.changed.mark(changed);
    this.updateRecords.clear();
    this.spawnRecords.clear();
  }

  /**
   * Writes one client's message into `writer` (reset first): `held` is what it holds (undefined: nothing
   * yet, so a full state), `visible` what it sees now (ascending ids) with `schemaOf` for their schemas.
   * Returns what the client holds once it has the message, and how many entity records it carries.
   */
  write(
    writer: BitWriter,
    held: HeldView | undefined,
    visible: Uint32Array,
    schemaOf: (id: number) => number | undefined,
  ): { held: HeldView; records: number } {
    const current = this.current!;
    for (const section of this.sections) {
      section.despawns.length = 0;
      section.spawns.length = 0;
      section.updates.length = 0;
    }
    const nextSchemas = new Uint32Array(visible.length);
    const heldIds = held?.ids ?? new Uint32Array(0);
    let h = 0;
    for (let v = 0; v < visible.length; v++) {
      const id = visible[v]!;
      while (h < heldIds.length && heldIds[h]! < id) {
        this.sections[held!.schemas[h]!]!.despawns.push(heldIds[h]!);
        h++;
      }
      if (h < heldIds.length && heldIds[h] === id) {
        const s = held!.schemas[h++]!;
        nextSchemas[v] = s;
        if (this.changed.has(id) && this.updateRecord(s, id) !== UNCHANGED)
          this.sections[s]!.updates.push(id);
      } else {
        const s = schemaOf(id)!;
        nextSchemas[v] = s;
        this.sections[s]!.spawns.push(id);
      }
    }
    for (; h < heldIds.length; h++) this.sections[held!.schemas[h]!]!.despawns.push(heldIds[h]!);

    writer.reset();
    writer.writeUint(current.tick, 32);
    writer.writeUint(held ? this.baseline!.tick : NO_BASELINE, 32);
    let records = 0;
    for (const [s, { despawns, spawns, updates }] of this.sections.entries()) {
      records += despawns.length + spawns.length + updates.length;
      writeIds(writer, despawns, () => undefined);
      writeIds(writer, spawns, (id) => this.spawnRecord(s, id));
      this.writeUpdates(writer, s, updates);
    }
    return { held: { ids: visible, schemas: nextSchemas }, records };
  }

  /** An update section (PROTOCOL.md §6): ids, the common change mask, then each mask and the deltas. */
  private writeUpdates(writer: BitWriter, s: number, ids: readonly number[]): void {
    const order = writeSectionHead(writer, ids.length, (i) => ids[i]!);
    if (ids.length === 0) return;
    const fieldCount = this.current!.snapshots[s]!.layout.schema.fieldCount;
    const records = ids.map((id) => this.updateRecord(s, id)!);
    const common = writeCommonMask(
      writer,
      records.map((record) => record.mask),
      fieldCount,
    );
    let previous = -1;
    for (const [i, id] of ids.entries()) {
      previous = writeId(writer, id, previous, order);
      writeRecordMask(writer, records[i]!.mask, common, fieldCount);
      writer.writeBits(records[i]!.deltas);
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

  /** Entity `id`'s change since the baseline (mask and deltas), or UNCHANGED. */
  private updateRecord(s: number, id: number): UpdateRecord | typeof UNCHANGED {
    let record = this.updateRecords.get(id);
    if (record === undefined) {
      record = deltaRecord(this.scratch, this.current!.snapshots[s]!, this.baseline!.snapshots[s]!, id);
      this.updateRecords.set(id, record);
    }
    return record;
  }
}

function deltaRecord(
  scratch: BitWriter,
  now: EntitySnapshot<FieldMap>,
  before: EntitySnapshot<FieldMap>,
  id: number,
): UpdateRecord | typeof UNCHANGED {
  const row = now.indexOf(id);
  const baseRow = before.indexOf(id);
  const { layout } = now;
  const mask = layout.changedMask(now.codes, now.objects, row, before.codes, before.objects, baseRow);
  if (mask === 0) return UNCHANGED;
  scratch.reset();
  layout.writeDeltaFields(scratch, mask, now.codes, now.objects, row, before.codes, before.objects, baseRow);
  return { mask, deltas: scratch.takeBits() };
}

/** A section (PROTOCOL.md §6): count and gap-code order, then each id followed by its record, if any. */
function writeIds(
  writer: BitWriter,
  ids: readonly number[],
  recordOf: (id: number) => BitString | undefined,
): void {
  const order = writeSectionHead(writer, ids.length, (i) => ids[i]!);
  let previous = -1;
  for (const id of ids) {
    previous = writeId(writer, id, previous, order);
    const record = recordOf(id);
    if (record) writer.writeBits(record);
  }
}
