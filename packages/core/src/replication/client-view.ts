import type { FieldMap } from '../schema/composite.js';
import type { SnapshotBuilder } from '../schema/entity-snapshot.js';
import { BitCounter } from '../wire/bit-sink.js';
import type { WorldSchema } from './world-schema.js';
import type { WorldSnapshot } from './world-snapshot.js';

/** Bits assumed per entity record for its id gap and section bookkeeping, beyond its state. */
const RECORD_OVERHEAD_BITS = 8;
/** Bits of a snapshot message before any record: tick, baseline, three counts per schema. */
const MESSAGE_OVERHEAD_BITS = 64;

export interface ViewChoice {
  /** What the client will hold once it has this message: the baseline plus what fit. */
  view: WorldSnapshot;
  /** Entities that changed or entered but did not fit the budget this time. */
  deferred: number;
}

/**
 * Chooses what one client gets this send tick (Fiedler's state synchronization): start from what the
 * client acknowledged; drop what left its interest; then spawn or update what it sees, highest
 * priority first, while the byte budget lasts. An entity's priority grows by one each send tick it is
 * due and not sent, and resets once sent, so nothing waits forever.
 */
export function chooseView(
  world: WorldSchema,
  current: WorldSnapshot,
  baseline: WorldSnapshot,
  tick: number,
  visible: (id: number) => boolean,
  budgetBits: number,
  priorities: Map<number, number>,
): ViewChoice {
  const builders: SnapshotBuilder<FieldMap>[] = baseline.snapshots.map((snapshot) => snapshot.edit());
  const candidates: { schema: number; id: number; bits: number; priority: number }[] = [];
  const counter = new BitCounter();

  world.schemas.forEach((_schema, s) => {
    const now = current.snapshots[s]!;
    const before = baseline.snapshots[s]!;
    const layout = world.codecs[s]!.layout;
    for (const id of before.ids) if (!visible(id) || !now.has(id)) builders[s]!.delete(id);
    for (let row = 0; row < now.size; row++) {
      const id = now.ids[row]!;
      if (!visible(id)) continue;
      const baseRow = before.indexOf(id);
      counter.reset();
      if (baseRow < 0) {
        layout.writeFull(counter, now.codes, now.objects, row);
      } else {
        const mask = layout.changedMask(now.codes, now.objects, row, before.codes, before.objects, baseRow);
        if (mask === 0) continue; // the client has it as it is
        layout.writeDelta(counter, mask, now.codes, now.objects, row, before.codes, before.objects, baseRow);
      }
      const priority = (priorities.get(id) ?? 0) + 1;
      priorities.set(id, priority);
      candidates.push({ schema: s, id, bits: counter.bitLength + RECORD_OVERHEAD_BITS, priority });
    }
  });

  // Priorities are kept only for entities still due: one that left or caught up starts afresh.
  const due = new Set(candidates.map((candidate) => candidate.id));
  for (const id of priorities.keys()) if (!due.has(id)) priorities.delete(id);
  candidates.sort((a, b) => b.priority - a.priority);
  let usedBits = MESSAGE_OVERHEAD_BITS;
  let deferred = 0;
  for (const candidate of candidates) {
    if (usedBits + candidate.bits > budgetBits) {
      deferred++;
      continue;
    }
    usedBits += candidate.bits;
    builders[candidate.schema]!.copyFrom(current.snapshots[candidate.schema]!, candidate.id);
    priorities.delete(candidate.id);
  }
  return { view: { tick, snapshots: builders.map((builder) => builder.build()) }, deferred };
}
