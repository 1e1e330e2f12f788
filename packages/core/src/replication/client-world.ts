import { ShardlineError } from '../errors.js';
import type { FieldMap } from '../schema/composite.js';
import type { EntitySchema } from '../schema/entity.js';
import { type Replica, ReplicaSet } from '../schema/replica.js';
import { BitReader } from '../wire/bit-reader.js';
import { type AnyEntitySchema, WorldSchema } from './world-schema.js';
import {
  emptyWorldSnapshot,
  readWorldSnapshotBody,
  readWorldSnapshotHeader,
  type WorldSnapshot,
} from './world-snapshot.js';

export interface ClientWorldOptions {
  schemas: readonly AnyEntitySchema[];
  /**
   * Ticks of received snapshots kept as possible baselines and priors (those newer than the newest
   * received tick minus this); match the server's historyTicks. Default 64.
   */
  historyTicks?: number;
}

export type ReceiveResult =
  | { kind: 'applied'; tick: number; ack: number }
  /** Older than what is displayed: kept as a baseline and acknowledged, not shown. */
  | { kind: 'late'; tick: number; ack: number }
  /** Encoded against a baseline (or prior) this client no longer has, or never had: nothing to acknowledge. */
  | { kind: 'no-baseline'; tick: number }
  | { kind: 'malformed'; code: string };

/**
 * The client's copy of the world, sans-IO: decodes snapshot messages against the baselines it kept,
 * shows the newest, and turns each change into spawn, dirty and despawn events on per-schema replica
 * sets. Every decoded snapshot is acknowledged (the caller sends `ack` back to the server).
 */
export class ClientWorld {
  readonly schema: WorldSchema;
  private readonly replicaSets: ReplicaSet<FieldMap>[];
  private readonly history = new Map<number, WorldSnapshot>();
  private readonly historyTicks: number;
  private newestTick = -1;
  private displayed: WorldSnapshot;
  private readonly typeOfEntity = new Map<number, number>();

  constructor(options: ClientWorldOptions) {
    this.schema = new WorldSchema(options.schemas);
    this.historyTicks = options.historyTicks ?? 64;
    this.replicaSets = this.schema.schemas.map((schema) => new ReplicaSet(schema));
    this.displayed = emptyWorldSnapshot(this.schema, -1);
  }

  /** The tick of the snapshot shown, or -1 before any. */
  get tick(): number {
    return this.displayed.tick;
  }

  /** The snapshot shown (values as the server quantized them). */
  get snapshot(): WorldSnapshot {
    return this.displayed;
  }

  /** Spawn, dirty and despawn events for one schema's entities. */
  replicas<F extends FieldMap>(schema: EntitySchema<F>): ReplicaSet<F> {
    return this.replicaSets[this.schema.indexOf(schema)] as unknown as ReplicaSet<F>;
  }

  /** Any entity by id, whatever its schema: how entity references resolve. */
  entity(id: number): Replica<FieldMap> | undefined {
    const index = this.typeOfEntity.get(id);
    return index === undefined ? undefined : this.replicaSets[index]!.get(id);
  }

  /**
   * Forgets the world shown and every snapshot kept (the client moved to another world, whose
   * ticks and entity ids are its own): every replica despawns, with its event, and the next
   * snapshot received is shown whatever its tick.
   */
  reset(): void {
    this.show(emptyWorldSnapshot(this.schema, -1));
    this.history.clear();
    this.newestTick = -1;
  }

  receive(bytes: Uint8Array): ReceiveResult {
    try {
      const reader = new BitReader(bytes);
      const { tick, baselineTick, priorTick } = readWorldSnapshotHeader(reader);
      const baseline = baselineTick === undefined ? undefined : this.history.get(baselineTick);
      const prior = priorTick === undefined ? undefined : this.history.get(priorTick);
      if ((baselineTick !== undefined && !baseline) || (priorTick !== undefined && !prior)) {
        return { kind: 'no-baseline', tick };
      }
      const snapshot = readWorldSnapshotBody(reader, this.schema, tick, baseline, prior);
      this.remember(snapshot);
      if (tick <= this.displayed.tick) return { kind: 'late', tick, ack: tick };
      this.show(snapshot);
      return { kind: 'applied', tick, ack: tick };
    } catch (error) {
      if (error instanceof ShardlineError) return { kind: 'malformed', code: error.code };
      throw error;
    }
  }

  /**
   * Keeps a decoded snapshot, and drops those that left the window. The server names baselines and
   * priors only from its own window of the same length ending at its current tick, which is no older
   * than anything received, so whatever it names that this client decoded is still here.
   */
  private remember(snapshot: WorldSnapshot): void {
    if (snapshot.tick <= this.newestTick - this.historyTicks) return;
    this.history.set(snapshot.tick, snapshot);
    if (snapshot.tick <= this.newestTick) return;
    this.newestTick = snapshot.tick;
    for (const tick of this.history.keys()) {
      if (tick <= this.newestTick - this.historyTicks) this.history.delete(tick);
    }
  }

  /** Shows a newer snapshot: replicas change by the difference from what was shown, not from the baseline. */
  private show(snapshot: WorldSnapshot): void {
    const fire = this.schema.codecs.map((codec, s) => {
      const changes = codec.changes(snapshot.snapshots[s]!, this.displayed.snapshots[s]!);
      for (const id of changes.despawned) this.typeOfEntity.delete(id);
      for (const id of changes.spawned) this.typeOfEntity.set(id, s);
      return this.replicaSets[s]!.stage(changes);
    });
    this.displayed = snapshot;
    // Events fire once every schema is applied, so references across schemas resolve in listeners.
    for (const run of fire) run();
  }
}
