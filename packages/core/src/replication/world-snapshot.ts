import { ShardlineError } from '../errors.js';
import type { FieldMap } from '../schema/composite.js';
import { EntitySnapshot } from '../schema/entity-snapshot.js';
import { MAX_PREDICTION_TICKS } from '../schema/section-deltas.js';
import type { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import type { WorldSchema } from './world-schema.js';

/** The whole world at one tick: one entity snapshot per schema, in the world schema's order. */
export interface WorldSnapshot {
  readonly tick: number;
  readonly snapshots: readonly EntitySnapshot<FieldMap>[];
}

export function emptyWorldSnapshot(world: WorldSchema, tick: number): WorldSnapshot {
  return { tick, snapshots: world.schemas.map((schema) => EntitySnapshot.empty(schema)) };
}

/** "No baseline": the message is a full state. */
export const NO_BASELINE = 0xffff_ffff;

/** Bits of a message's prior span (PROTOCOL.md §11). */
export const PRIOR_SPAN_BITS = 8;

/** Whether `prior` may predict a message of tick `tick` against `baseline` (spans of 1 … 255 ticks). */
export function canPredict(tick: number, baseline: WorldSnapshot, prior: WorldSnapshot): boolean {
  const span = baseline.tick - prior.tick;
  const steps = tick - baseline.tick;
  return span >= 1 && span <= MAX_PREDICTION_TICKS && steps >= 1 && steps <= MAX_PREDICTION_TICKS;
}

/**
 * A snapshot message (PROTOCOL.md §11): tick u32, baseline tick u32 (NO_BASELINE for a full state),
 * with a baseline the prior span uint(8) (0: no prediction; else updates are predicted from the
 * snapshot that many ticks before the baseline, §6.3), then each schema's snapshot delta (§6) against
 * the baseline's, in schema order. A `prior` must pass canPredict.
 */
export function writeWorldSnapshot(
  sink: BitSink,
  world: WorldSchema,
  current: WorldSnapshot,
  baseline: WorldSnapshot | undefined,
  prior?: WorldSnapshot,
): void {
  sink.writeUint(current.tick, 32);
  sink.writeUint(baseline ? baseline.tick : NO_BASELINE, 32);
  if (!baseline) {
    world.codecs.forEach((codec, s) => {
      codec.encode(sink, current.snapshots[s]!);
    });
    return;
  }
  const span = prior ? baseline.tick - prior.tick : 0;
  sink.writeUint(span, PRIOR_SPAN_BITS);
  const steps = current.tick - baseline.tick;
  world.codecs.forEach((codec, s) => {
    const prediction = prior && { prior: prior.snapshots[s]!, span, steps };
    codec.encode(sink, current.snapshots[s]!, baseline.snapshots[s], prediction);
  });
}

export interface WorldSnapshotHeader {
  tick: number;
  baselineTick: number | undefined;
  /** The tick of the snapshot updates are predicted from, if any. */
  priorTick: number | undefined;
}

/** Reads the header; the caller looks up the baseline and prior, then calls readWorldSnapshotBody. */
export function readWorldSnapshotHeader(reader: BitReader): WorldSnapshotHeader {
  const tick = reader.readUint(32);
  const baselineTick = reader.readUint(32);
  if (tick === NO_BASELINE) throw new ShardlineError('WIRE_INVALID', 'tick out of range');
  if (baselineTick === NO_BASELINE) return { tick, baselineTick: undefined, priorTick: undefined };
  const span = reader.readUint(PRIOR_SPAN_BITS);
  if (span === 0) return { tick, baselineTick, priorTick: undefined };
  const steps = tick - baselineTick;
  if (steps < 1 || steps > MAX_PREDICTION_TICKS || span > baselineTick) {
    throw new ShardlineError('WIRE_INVALID', `cannot predict tick ${tick} from ${baselineTick} − ${span}`);
  }
  return { tick, baselineTick, priorTick: baselineTick - span };
}

export function readWorldSnapshotBody(
  reader: BitReader,
  world: WorldSchema,
  tick: number,
  baseline: WorldSnapshot | undefined,
  prior?: WorldSnapshot,
): WorldSnapshot {
  const snapshots = world.codecs.map((codec, s) => {
    const prediction = baseline &&
      prior && {
        prior: prior.snapshots[s]!,
        span: baseline.tick - prior.tick,
        steps: tick - baseline.tick,
      };
    return codec.decode(reader, baseline?.snapshots[s], prediction).snapshot;
  });
  reader.expectEnd();
  return { tick, snapshots };
}
