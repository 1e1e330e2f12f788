import { ShardlineError } from '../errors.js';
import type { FieldMap, StructType, StructValue } from './composite.js';
import { EntitySnapshot } from './entity-snapshot.js';
import type { DecodedSnapshot } from './snapshot.js';

/** Called after a whole update is applied, once per field whose visible value changed. */
export type DirtyListener<V> = (value: V, previous: V) => void;

/** A dirty event waiting for the end of the update that caused it. */
export interface PendingDirty {
  listeners: ReadonlySet<DirtyListener<unknown>>;
  value: unknown;
  previous: unknown;
}

/**
 * The receiving side of one entity's network variables.
 *
 * - `get(key)` is the visible value: a local override if one is set, else the authoritative value.
 * - `setLocal(key, value)` overrides a field locally (prediction) without sending anything and without
 *   a dirty event. The next authoritative value for that field replaces the override, and fires the
 *   dirty event only if it differs (at wire precision) from what was visible.
 * - `onDirty(key, listener)` fires once per applied change of that field, after the whole update.
 */
export class Replica<F extends FieldMap> {
  /** The last state the server sent, as of `readAt`. */
  private unpacked: StructValue<F> | undefined;
  /**
   * A replica of a ReplicaSet reads its state from the set's newest snapshot when first asked after
   * an update (most updates of most entities are never read before the next one); `readAt` is the
   * set's version it last read or staged at. Without a source, `unpacked` is the state.
   */
  private source: ReplicaSource<F> | undefined;
  /** The entity's id (0 for a replica made on its own, outside a set). */
  readonly id: number;
  private readAt = -1;
  private readonly overrides = new Map<keyof F, unknown>();
  private readonly listeners = new Map<keyof F, Set<DirtyListener<unknown>>>();

  constructor(schema: StructType<F>, initial: StructValue<F>);
  /** A replica of entity `id` in `source`'s newest snapshot. */
  constructor(schema: StructType<F>, initial: undefined, source: ReplicaSource<F>, id: number);
  constructor(
    readonly schema: StructType<F>,
    initial: StructValue<F> | undefined,
    source?: ReplicaSource<F>,
    id = 0,
  ) {
    this.unpacked = initial;
    this.source = source;
    this.id = id;
  }

  get<K extends keyof F & string>(key: K): StructValue<F>[K] {
    return (this.overrides.has(key) ? this.overrides.get(key) : this.authoritative[key]) as StructValue<F>[K];
  }

  /** The last state the server sent, ignoring local overrides. */
  get authoritativeState(): StructValue<F> {
    return this.authoritative;
  }

  private get authoritative(): StructValue<F> {
    const source = this.source;
    if (source && this.readAt !== source.version) {
      this.unpacked = source.stateOf(this.id);
      this.readAt = source.version;
    }
    return this.unpacked!;
  }

  /** Whether updates must be staged eagerly: something to compare (dirty events) or to replace (overrides). */
  get active(): boolean {
    return this.overrides.size > 0 || this.listeners.size > 0;
  }

  /** Stops following the source (the entity left it): keeps the state it has now. */
  detach(): void {
    this.unpacked = this.authoritative;
    this.source = undefined;
  }

  /** The visible state: authoritative values with local overrides on top. */
  get state(): StructValue<F> {
    if (this.overrides.size === 0) return this.authoritative;
    const merged: Record<string, unknown> = { ...this.authoritative };
    for (const [key, value] of this.overrides) merged[key as string] = value;
    return merged as StructValue<F>;
  }

  setLocal<K extends keyof F & string>(key: K, value: StructValue<F>[K]): void {
    this.fieldIndex(key);
    this.overrides.set(key, value);
    this.source?.activate(this);
  }

  hasLocal(key: keyof F & string): boolean {
    return this.overrides.has(key);
  }

  /** Drops a local override; fires the dirty event if the visible value changes back. */
  clearLocal(key: keyof F & string): void {
    if (!this.overrides.has(key)) return;
    const previous = this.overrides.get(key);
    this.overrides.delete(key);
    const pending: PendingDirty[] = [];
    this.stageIfChanged(key, this.authoritative[key], previous, pending);
    fireDirty(pending);
  }

  /** Subscribes to changes of one field; returns the unsubscribe function. */
  onDirty<K extends keyof F & string>(key: K, listener: DirtyListener<StructValue<F>[K]>): () => void {
    this.fieldIndex(key);
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    const stored = listener as DirtyListener<unknown>;
    set.add(stored);
    this.source?.activate(this);
    return () => set.delete(stored);
  }

  /** Applies a new authoritative state and fires dirty events at once. */
  apply(next: StructValue<F>, changedMask: number): void {
    const pending: PendingDirty[] = [];
    this.stage(next, changedMask, pending);
    fireDirty(pending);
  }

  /**
   * Applies `next` (whose fields in `changedMask` changed) and queues the dirty events instead of
   * firing them: the caller fires them once its whole update is applied. `version` is the source's
   * version once the update is applied (a replica of a ReplicaSet).
   */
  stage(next: StructValue<F>, changedMask: number, pending: PendingDirty[], version = -1): void {
    const keys = this.schema.keys;
    for (let i = 0; i < keys.length; i++) {
      if (((changedMask >>> i) & 1) === 0 || !this.active) continue;
      const key = keys[i]!;
      const previous = this.overrides.has(key) ? this.overrides.get(key) : this.authoritative[key];
      this.overrides.delete(key);
      this.stageIfChanged(key, next[key], previous, pending);
    }
    this.unpacked = next;
    this.readAt = version;
  }

  private stageIfChanged(
    key: keyof F & string,
    value: unknown,
    previous: unknown,
    pending: PendingDirty[],
  ): void {
    const listeners = this.listeners.get(key);
    if (!listeners || listeners.size === 0) return;
    if (this.schema.fields[this.fieldIndex(key)]!.equals(value, previous)) return;
    pending.push({ listeners, value, previous });
  }

  private fieldIndex(key: string): number {
    const index = this.schema.keys.indexOf(key);
    if (index < 0) throw new ShardlineError('VALUE_INVALID', `no field ${key} in this schema`);
    return index;
  }
}

function fireDirty(pending: readonly PendingDirty[]): void {
  for (const { listeners, value, previous } of pending) {
    for (const listener of [...listeners]) listener(value, previous);
  }
}

export type ReplicaListener<F extends FieldMap> = (id: number, replica: Replica<F>) => void;

/** Where replicas of a set read their state (see Replica). */
export interface ReplicaSource<F extends FieldMap> {
  /** Changes with every update applied. */
  readonly version: number;
  /** Entity `id`'s state in the newest snapshot (it is there: replicas leave before their entity does). */
  stateOf(id: number): StructValue<F>;
  /** The replica now has listeners or overrides: its updates must be staged eagerly. */
  activate(replica: Replica<F>): void;
}

/**
 * The receiving side of a snapshot stream: one Replica per live entity. `apply` takes a decoded
 * snapshot, updates every replica, and only then fires spawn, dirty and despawn events, so listeners
 * see the whole update (an entity reference to an entity spawned in the same update resolves).
 */
export class ReplicaSet<F extends FieldMap> implements ReplicaSource<F> {
  private readonly replicas = new Map<number, Replica<F>>();
  private readonly spawnListeners = new Set<ReplicaListener<F>>();
  private readonly despawnListeners = new Set<ReplicaListener<F>>();
  /** The newest snapshot applied, which replicas read from, and its version. */
  private current: EntitySnapshot<F>;
  private currentVersion = 0;
  /** Replicas that got listeners or overrides (some may have lost them since: checked when used). */
  private readonly active = new Set<Replica<F>>();

  constructor(readonly schema: StructType<F>) {
    this.current = EntitySnapshot.empty(schema);
  }

  get version(): number {
    return this.currentVersion;
  }

  stateOf(id: number): StructValue<F> {
    return this.current.get(id)!;
  }

  activate(replica: Replica<F>): void {
    this.active.add(replica);
  }

  get(id: number): Replica<F> | undefined {
    return this.replicas.get(id);
  }

  get size(): number {
    return this.replicas.size;
  }

  ids(): IterableIterator<number> {
    return this.replicas.keys();
  }

  /** Every replica shown now, in id order of arrival (`.state` reads each one's values). */
  all(): Replica<F>[] {
    return [...this.replicas.values()];
  }

  onSpawn(listener: ReplicaListener<F>): () => void {
    this.spawnListeners.add(listener);
    return () => this.spawnListeners.delete(listener);
  }

  onDespawn(listener: ReplicaListener<F>): () => void {
    this.despawnListeners.add(listener);
    return () => this.despawnListeners.delete(listener);
  }

  apply(decoded: DecodedSnapshot<F>): void {
    this.stage(decoded)();
  }

  /**
   * Applies a decoded snapshot and returns the function that fires its events, so a caller applying
   * several sets (a world of several schemas) can fire after all of them are applied. Only replicas
   * with listeners or overrides do work per update; the others read the new state when asked.
   */
  stage(decoded: DecodedSnapshot<F>): () => void {
    const { snapshot } = decoded;
    const version = this.currentVersion + 1;
    const despawned: [number, Replica<F>][] = [];
    for (const id of decoded.despawned) {
      const replica = this.replicas.get(id);
      if (replica) {
        replica.detach(); // keeps its last state for despawn listeners and whoever still holds it
        this.replicas.delete(id);
        this.active.delete(replica);
        despawned.push([id, replica]);
      }
    }
    const pending: PendingDirty[] = [];
    if (this.active.size > 0) this.stageActive(decoded, pending, version);
    this.current = snapshot;
    this.currentVersion = version;
    const spawned: [number, Replica<F>][] = [];
    for (const id of decoded.spawned) {
      const replica = new Replica(this.schema, undefined, this, id);
      this.replicas.set(id, replica);
      spawned.push([id, replica]);
    }
    return () => {
      for (const [id, replica] of spawned)
        for (const listener of [...this.spawnListeners]) listener(id, replica);
      fireDirty(pending);
      for (const [id, replica] of despawned)
        for (const listener of [...this.despawnListeners]) listener(id, replica);
    };
  }

  /** Stages the updates of replicas with listeners or overrides (dirty events, overrides replaced). */
  private stageActive(decoded: DecodedSnapshot<F>, pending: PendingDirty[], version: number): void {
    for (const replica of this.active) if (!replica.active) this.active.delete(replica);
    for (let i = 0; i < decoded.updated.length; i++) {
      const id = decoded.updated[i]!;
      const replica = this.replicas.get(id);
      if (replica && this.active.has(replica))
        replica.stage(decoded.snapshot.get(id)!, decoded.changedMasks[i]!, pending, version);
    }
  }
}
