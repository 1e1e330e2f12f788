import { ShardlineError } from '../errors.js';
import type { FieldMap } from '../schema/composite.js';
import { EntitySnapshot } from '../schema/entity-snapshot.js';
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

/**
 * A snapshot message (PROTOCOL.md §11): tick u32, baseline tick u32 (NO_BASELINE for a full state),
 * then each schema's snapshot delta (§6) against the baseline's, in schema order.
 */
export function writeWorldSnapshot(
  sink: BitSink,
  world: WorldSchema,
  current: WorldSnapshot,
  baseline: WorldSnapshot | undefined,
): void {
  sink.writeUint(current.tick, 32);
  sink.writeUint(baseline ? baseline.tick : NO_BASELINE, 32);
  world.codecs.forEach((codec, s) => {
    codec.encode(sink, current.snapshots[s]!, baseline?.snapshots[s]);
  });
}

/** Reads the header; the caller looks up the baseline, then calls readWorldSnapshotBody. */
export function readWorldSnapshotHeader(reader: BitReader): {
  tick: number;
  baselineTick: number | undefined;
} {
  const tick = reader.readUint(32);
  const baselineTick = reader.readUint(32);
  if (tick === NO_BASELINE) throw new ShardlineError('WIRE_INVALID', 'tick out of range');
  return { tick, baselineTick: baselineTick === NO_BASELINE ? undefined : baselineTick };
}

export function readWorldSnapshotBody(
  reader: BitReader,
  world: WorldSchema,
  tick: number,
  baseline: WorldSnapshot | undefined,
): WorldSnapshot {
  const snapshots = world.codecs.map((codec, s) => codec.decode(reader, baseline?.snapshots[s]).snapshot);
  reader.expectEnd();
  return { tick, snapshots };
}
