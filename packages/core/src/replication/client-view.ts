import type { FieldMap } from '../schema/composite.js';
import { EntitySnapshot, indexOfId, lineageAfter } from '../schema/entity-snapshot.js';
import { estimateDeltaBits } from '../schema/section-deltas.js';
import { BitCounter } from '../wire/bit-sink.js';
import type { WorldSnapshot } from './world-snapshot.js';

/** Bits assumed per entity record for its id gap and section bookkeeping, beyond its state. */
const RECORD_OVERHEAD_BITS = 8;
/** Bits of a snapshot message before any record: tick, baseline, three counts per schema. */
const MESSAGE_OVERHEAD_BITS = 64;

export interface ViewRequest {
  /** The world as of `tick`. */
  current: WorldSnapshot;
  /** What the client holds (its acknowledged view, or an empty world). */
  baseline: WorldSnapshot;
  tick: number;
  /** Ids the client may see (its interest area and global entities), ascending; undefined: every entity. */
  visible: Uint32Array | undefined;
  /** Bits one message may take; Infinity for no budget. */
  budgetBits: number;
  /** Per-client priorities of entities that waited (kept between calls; see chooseView). */
  priorities: Map<number, number>;
}

export interface ViewChoice {
  /** What the client will hold once it has this message: the baseline plus what fit. */
  view: WorldSnapshot;
  /** Entities that changed or entered but did not fit the budget this time. */
  deferred: number;
}

type Snapshot = EntitySnapshot<FieldMap>;

/**
 * One schema's part of a view being chosen: the entities the client will hold, ascending, each taken
 * from the current world (`currentRows[i]` ≥ 0) or kept as the baseline has it (`baseRows[i]`).
 */
class SchemaPlan {
  readonly ids: number[] = [];
  readonly baseRows: number[] = [];
  readonly currentRows: number[] = [];
  /** Entries that are new to the client or changed since its baseline. */
  readonly due: number[] = [];
  dropped = false;

  constructor(
    readonly now: Snapshot,
    readonly before: Snapshot,
  ) {}

  keep(id: number, baseRow: number, currentRow: number, due: boolean): void {
    if (due) this.due.push(this.ids.length);
    this.ids.push(id);
    this.baseRows.push(baseRow);
    this.currentRows.push(currentRow);
  }

  /** A due entry that did not fit: an update keeps the baseline's state, a spawn waits outside. */
  defer(entry: number): void {
    this.currentRows[entry] = -1;
  }

  /** The client's new view of this schema. */
  build(): Snapshot {
    const { layout } = this.now;
    const { codeSlots, objectSlots } = layout;
    let size = 0;
    for (let i = 0; i < this.ids.length; i++) if (this.currentRows[i]! >= 0 || this.baseRows[i]! >= 0) size++;
    const ids = new Uint32Array(size);
    const codes = new Uint32Array(size * codeSlots);
    const objects = new Array<unknown>(size * objectSlots);
    const updatedRows: number[] = [];
    let out = 0;
    for (let i = 0; i < this.ids.length; i++) {
      const currentRow = this.currentRows[i]!;
      const baseRow = this.baseRows[i]!;
      if (currentRow < 0 && baseRow < 0) continue; // a spawn that waits
      const source = currentRow >= 0 ? this.now : this.before;
      const row = currentRow >= 0 ? currentRow : baseRow;
      if (currentRow >= 0 && baseRow >= 0) updatedRows.push(out);
      ids[out] = this.ids[i]!;
      // Rows are a few slots: plain loops beat a typed-array view per row.
      for (let c = 0; c < codeSlots; c++) codes[out * codeSlots + c] = source.codes[row * codeSlots + c]!;
      for (let o = 0; o < objectSlots; o++)
        objects[out * objectSlots + o] = source.objects[row * objectSlots + o];
      out++;
    }
    // Nothing dropped and nothing spawned: the same entities as the baseline. Sharing its ids array
    // with a lineage lets the encoder look only at the rows updated.
    if (!this.dropped && size === this.before.size) {
      return new EntitySnapshot(
        layout,
        this.before.ids,
        codes,
        objects,
        lineageAfter(this.before, updatedRows),
      );
    }
    return new EntitySnapshot(layout, ids, codes, objects);
  }
}

/**
 * Chooses what one client gets this send tick (Fiedler's state synchronization): start from what the
 * client acknowledged; drop what left its interest or the world; then spawn or update what it sees,
 * highest priority first, while the byte budget lasts. An entity's priority grows by one each send
 * tick it is due and not sent, and resets once sent, so nothing waits forever. With `visible`, the
 * work is proportional to what the client sees and holds, not to the size of the world.
 */
export function chooseView(request: ViewRequest): ViewChoice {
  const { current, baseline, visible } = request;
  const plans = current.snapshots.map((now, s) => {
    const plan = new SchemaPlan(now, baseline.snapshots[s]!);
    if (visible) planVisible(plan, visible);
    else planAll(plan);
    return plan;
  });
  const deferred = request.budgetBits === Number.POSITIVE_INFINITY ? 0 : fillBudget(plans, request);
  return { view: { tick: request.tick, snapshots: plans.map((plan) => plan.build()) }, deferred };
}

/** Everything in the world is visible: a merge of the current ids with the baseline's. */
function planAll(plan: SchemaPlan): void {
  const { now, before } = plan;
  let baseRow = 0;
  for (let row = 0; row < now.size; row++) {
    const id = now.ids[row]!;
    while (baseRow < before.size && before.ids[baseRow]! < id) {
      baseRow++; // gone from the world
      plan.dropped = true;
    }
    planEntity(plan, id, row, baseRow < before.size && before.ids[baseRow] === id ? baseRow++ : -1);
  }
  if (baseRow < before.size) plan.dropped = true;
}

/** Only `visible` ids (ascending) are seen: a merge of them, as far as this schema has them, with the baseline's. */
function planVisible(plan: SchemaPlan, visible: Uint32Array): void {
  const { now, before } = plan;
  let baseRow = 0;
  let from = 0;
  for (let v = 0; v < visible.length; v++) {
    const id = visible[v]!;
    const row = indexOfId(now.ids, id, from);
    if (row < 0) continue; // another schema's entity
    from = row + 1;
    while (baseRow < before.size && before.ids[baseRow]! < id) {
      baseRow++; // out of sight, or gone from the world
      plan.dropped = true;
    }
    planEntity(plan, id, row, baseRow < before.size && before.ids[baseRow] === id ? baseRow++ : -1);
  }
  if (baseRow < before.size) plan.dropped = true;
}

/** Entity `id` is in the current world (at `row`) and seen; the client holds it at `baseRow` (or -1). */
function planEntity(plan: SchemaPlan, id: number, row: number, baseRow: number): void {
  const { now, before } = plan;
  const changed =
    baseRow < 0 ||
    now.layout.changedMask(now.codes, now.objects, row, before.codes, before.objects, baseRow) !== 0;
  plan.keep(id, baseRow, changed ? row : -1, changed);
}

interface Candidate {
  plan: SchemaPlan;
  entry: number;
  bits: number;
  priority: number;
}

/**
 * Keeps due entries by priority while the budget lasts and defers the rest; returns how many waited.
 * Afterwards `priorities` holds exactly the entities that waited: one sent, or no longer due, starts
 * afresh.
 */
function fillBudget(plans: SchemaPlan[], request: ViewRequest): number {
  const { priorities, budgetBits } = request;
  const counter = new BitCounter();
  const candidates: Candidate[] = [];
  for (const plan of plans) {
    const { now, before } = plan;
    const layout = now.layout;
    for (const entry of plan.due) {
      const row = plan.currentRows[entry]!;
      const baseRow = plan.baseRows[entry]!;
      let bits: number;
      if (baseRow < 0) {
        counter.reset();
        layout.writeFull(counter, now.codes, now.objects, row);
        bits = counter.bitLength;
      } else {
        const mask = layout.changedMask(now.codes, now.objects, row, before.codes, before.objects, baseRow);
        bits = estimateDeltaBits(
          layout,
          mask,
          now.codes,
          now.objects,
          row,
          before.codes,
          before.objects,
          baseRow,
        );
      }
      const priority = (priorities.get(plan.ids[entry]!) ?? 0) + 1;
      candidates.push({ plan, entry, bits: bits + RECORD_OVERHEAD_BITS, priority });
    }
  }
  priorities.clear();
  candidates.sort((a, b) => b.priority - a.priority);
  let usedBits = MESSAGE_OVERHEAD_BITS;
  for (const candidate of candidates) {
    if (usedBits + candidate.bits <= budgetBits) {
      usedBits += candidate.bits;
      continue;
    }
    candidate.plan.defer(candidate.entry);
    priorities.set(candidate.plan.ids[candidate.entry]!, candidate.priority);
  }
  return priorities.size;
}
