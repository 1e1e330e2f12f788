import { isShardlineError, ShardlineError } from '../errors.js';
import { checkStructValues } from '../schema/check.js';
import type { FieldMap, StructValue } from '../schema/composite.js';
import type { SnapshotBuilder } from '../schema/entity-snapshot.js';
import type { Infer } from '../schema/field.js';
import { BitWriter } from '../wire/bit-writer.js';
import { chooseView } from './client-view.js';
import { InputAuthority } from './input.js';
import { InterestGrid, type Viewpoint } from './interest-grid.js';
import { type HeldView, StreamedViews } from './streamed-views.js';
import { type AnyEntitySchema, type EntityId, WorldSchema } from './world-schema.js';
import {
  canPredict,
  emptyWorldSnapshot,
  NO_BASELINE,
  type WorldSnapshot,
  writeWorldSnapshot,
} from './world-snapshot.js';

export interface ServerWorldOptions {
  schemas: readonly AnyEntitySchema[];
  /** Simulation steps per second. Default 30. */
  tickHz?: number;
  /** Snapshots sent per second, a divisor of tickHz. Default: tickHz. */
  sendHz?: number;
  /**
   * Ticks of world history kept as baselines; older acknowledgements get full states. At least two
   * send ticks (VALUE_INVALID otherwise). Default 64, or four send ticks if that is more.
   */
  historyTicks?: number;
  /** Ticks one update may catch up on after a stall, before it skips time. Default 5. */
  maxCatchUpTicks?: number;
  /**
   * Interest management: where entities are, on a grid of `cellSize` world units. A client with a
   * viewpoint (setViewpoint) then sees only entities within its radius, and those without a position.
   */
  interest?: {
    cellSize: number;
    positionOf: (
      schema: AnyEntitySchema,
      state: Record<string, unknown>,
    ) => { x: number; y: number } | undefined;
  };
  /** Bytes one snapshot message may take per client; what does not fit waits, by priority. */
  snapshotBudgetBytes?: number;
  /** What clients send for the entities they own (declared with defineEntity); see receiveInput. */
  input?: AnyEntitySchema;
  /** Input messages one client may send per tick; more are RATE_LIMITED. Default 4. */
  maxInputsPerTick?: number;
}

/** One client's encoded snapshot, before it is counted and handed out. */
interface Encoded {
  bytes: Uint8Array;
  entitiesSent: number;
  baselineTick: number | undefined;
}

export interface OutgoingSnapshot {
  client: string;
  bytes: Uint8Array;
  /** The tick this snapshot is a delta against, or undefined for a full state. */
  baselineTick: number | undefined;
  /** What the caller gave addClient as the client's `tag` (e.g. its handle on the connection). */
  tag: unknown;
}

/**
 * A client, with what it was sent and how it fares (its ClientMetrics, kept flat: the send round
 * visits every client, and each object it touches per client costs).
 */
interface ClientView extends ClientMetrics {
  /** The client's id (its key in `clients`). */
  client: string;
  tag: unknown;
  ackedTick: number | undefined;
  /** Every snapshot sent arrives (a reliable transport): it counts as acknowledged once sent. */
  acknowledgedOnSend: boolean;
  /** What a streamed client holds (see StreamedViews); undefined before its first snapshot. */
  held: HeldView | undefined;
  /** The viewpoint `held` was chosen from (a copy; undefined: none, everything). */
  heldFrom: Viewpoint | undefined;
  viewpoint: Viewpoint | undefined;
  /** What this client was sent, by tick (with interest or a budget, clients hold different worlds). */
  views: Map<number, WorldSnapshot>;
  /**
   * The baseline of each message sent in the history window, by tick: a later message against that
   * tick predicts from it (PROTOCOL.md §6.3). Made at the first send to a client that acknowledges
   * (one acknowledged on send only ever names its last message: lastSentTick says all).
   */
  sentBaselines: SentBaselines | undefined;
  /** The tick of the last message sent (−1: none), and that message's baseline tick (−1: a full state). */
  lastSentTick: number;
  lastSentBaseline: number;
  priorities: Map<number, number>;
}

/** What a client has been sent (see ServerWorld.metrics). */
export interface ClientMetrics {
  snapshots: number;
  fullStates: number;
  bytes: number;
  lastSnapshotBytes: number;
  /** Entity records (spawns, updates, despawns) in the last snapshot. */
  lastEntitiesSent: number;
  /** Ticks between the last snapshot and the baseline it was encoded against (undefined: full state). */
  lastBaselineAgeTicks: number | undefined;
  /** Entities due but left out of the last snapshot by the byte budget. */
  lastBudgetOverflow: number;
}

export interface WorldMetrics {
  tick: number;
  entities: number;
  /** State writes (spawn, set) refused: unknown fields, values the fields cannot carry. */
  valuesRefused: number;
  /** Values outside their field's range that were clamped (fields declared `outOfRange: 'clamp'`). */
  valuesClamped: number;
  snapshots: number;
  bytes: number;
  /** Mean bytes per snapshot message over the world's life. */
  meanSnapshotBytes: number;
  clients: Record<string, ClientMetrics>;
}

/**
 * The authoritative world, sans-IO: entities of declared schemas, a fixed-rate tick driven by
 * `update(nowMs)`, and per client a snapshot each send tick, encoded against the newest snapshot that
 * client acknowledged (still in history) — so loss never corrupts state and nothing the client has is
 * sent again. Game logic runs in `onTick`.
 */
export class ServerWorld {
  readonly schema: WorldSchema;
  /** Called once per simulation step, before that tick's snapshot is taken. */
  onTick: ((tick: number, dtMs: number) => void) | undefined;
  /** Called for each accepted input, from receiveInput: the client owns `entity`. */
  onInput: ((client: string, entity: number, input: Record<string, unknown>) => void) | undefined;
  private readonly tickMs: number;
  private readonly sendEvery: number;
  private readonly historyTicks: number;
  private readonly maxCatchUpTicks: number;
  private currentTick = 0;
  private tickDueAtMs: number;
  private latest: WorldSnapshot;
  /**
   * The world at each send tick of the history window, by tick: what acknowledgements may name (a
   * tick between sends was sent to nobody). Only these are kept: the ticks between are built
   * linking past each other (EntitySnapshot.edit's linkPast) and die young.
   */
  private readonly history = new Map<number, WorldSnapshot>();
  /** The world as of the last send tick (the newest in `history`). */
  private kept: WorldSnapshot;
  private readonly builders: (SnapshotBuilder<FieldMap> | undefined)[];
  private readonly entityTypes = new Map<number, number>();
  private nextEntityId = 1;
  private readonly clients = new Map<string, ClientView>();
  private readonly writer = new BitWriter({ initialBytes: 4096 });
  private readonly grid: InterestGrid | undefined;
  private readonly positionOf: NonNullable<ServerWorldOptions['interest']>['positionOf'] | undefined;
  private readonly budgetBits: number;
  /** Whether clients get views of their own (interest or budget), rather than the shared world. */
  private readonly perClientViews: boolean;
  /** Entities spawned or changed this tick, to re-place on the grid once the tick is built (with a grid only). */
  private readonly moved = new Set<number>();
  /** Entities spawned or changed since the last send tick (what streamed clients may need). */
  private readonly changedSinceSend = new Set<number>();
  /** The world as of the last send tick: what streamed clients hold (kept whatever the history). */
  private lastSent: WorldSnapshot | undefined;
  /** The ascending ids of a world snapshot, for streamed clients without a viewpoint. */
  private allIdsOf: { world: WorldSnapshot; ids: Uint32Array } | undefined;
  /** Views of clients with acknowledgedOnSend, when there is interest and no byte budget. */
  private readonly streamed: StreamedViews | undefined;
  /** Scratch list of the entities changed near one still viewpoint. */
  private readonly nearby: number[] = [];
  private readonly authority: InputAuthority;
  private valuesRefused = 0;
  private valuesClamped = 0;
  /** The schema index of an entity (made once: hot paths take it per client). */
  private readonly schemaOfEntity = (id: number): number | undefined => this.entityTypes.get(id);

  constructor(options: ServerWorldOptions, nowMs: number) {
    this.schema = new WorldSchema(options.schemas);
    const tickHz = options.tickHz ?? 30;
    const sendHz = options.sendHz ?? tickHz;
    if (!(tickHz > 0) || !(sendHz > 0) || sendHz > tickHz || !Number.isInteger(tickHz / sendHz)) {
      throw new ShardlineError('VALUE_INVALID', `sendHz ${sendHz} must divide tickHz ${tickHz}`);
    }
    this.tickMs = 1000 / tickHz;
    this.sendEvery = tickHz / sendHz;
    this.historyTicks = options.historyTicks ?? Math.max(64, 4 * this.sendEvery);
    if (!Number.isInteger(this.historyTicks) || this.historyTicks < 2 * this.sendEvery) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `historyTicks ${this.historyTicks} must hold at least two send ticks (${2 * this.sendEvery})`,
      );
    }
    this.maxCatchUpTicks = options.maxCatchUpTicks ?? 5;
    this.tickDueAtMs = nowMs + this.tickMs;
    this.latest = emptyWorldSnapshot(this.schema, 0);
    this.history.set(0, this.latest);
    this.kept = this.latest;
    this.builders = this.schema.schemas.map(() => undefined);
    // Streamed views (interest without a byte budget) look only at changes near still viewpoints.
    this.grid = options.interest
      ? new InterestGrid(options.interest.cellSize, {
          trackChanges: options.snapshotBudgetBytes === undefined,
        })
      : undefined;
    this.positionOf = options.interest?.positionOf;
    this.budgetBits = (options.snapshotBudgetBytes ?? Number.POSITIVE_INFINITY) * 8;
    this.perClientViews = this.grid !== undefined || options.snapshotBudgetBytes !== undefined;
    this.streamed =
      this.grid && options.snapshotBudgetBytes === undefined ? new StreamedViews(this.schema) : undefined;
    this.authority = new InputAuthority(options.input, options.maxInputsPerTick ?? 4);
  }

  get tick(): number {
    return this.currentTick;
  }

  /** When the next tick falls due (ms, on the clock `update` is given): an edge can sleep until then. */
  get nextTickAtMs(): number {
    return this.tickDueAtMs;
  }

  /** The world as of the last completed tick. */
  get snapshot(): WorldSnapshot {
    return this.latest;
  }

  /**
   * Adds an entity; returns its id, typed by its schema (ids are never reused). Fields left out take
   * their defaults. The state is checked here (see checkStructValues): VALUE_INVALID names a field
   * the schema lacks or a value it cannot carry, and the world is unchanged. The server owns every
   * entity; `owner` gives a client authority over its input (see receiveInput).
   */
  spawn<S extends AnyEntitySchema>(
    schema: S,
    state: Partial<Infer<S>>,
    options: { owner?: string } = {},
  ): EntityId<S> {
    const index = this.schema.indexOf(schema);
    this.checked(schema, state, true);
    const id = this.nextEntityId++;
    this.builderFor(index).set(id, schema.create(state) as StructValue<FieldMap>);
    this.entityTypes.set(id, index);
    if (this.grid) this.moved.add(id);
    if (this.streamed) this.changedSinceSend.add(id);
    if (options.owner !== undefined) this.setOwner(id, options.owner);
    return id as EntityId<S>;
  }

  /** Gives `client` authority over an entity's input, or (undefined) takes it back. */
  setOwner(id: number, client: string | undefined): void {
    this.typeOf(id);
    this.authority.setOwner(id, client);
  }

  ownerOf(id: number): string | undefined {
    return this.authority.ownerOf(id);
  }

  /**
   * An input message from a client (InputSender.encode): accepted inputs reach onInput and return
   * true; a duplicate or late one returns false. Throws ShardlineError (NOT_OWNER, RATE_LIMITED,
   * WIRE_*) to reject one; the world is unchanged and the caller may count or disconnect the client.
   */
  receiveInput(client: string, bytes: Uint8Array): boolean {
    const accepted = this.authority.accept(client, bytes);
    if (!accepted) return false;
    this.onInput?.(client, accepted.entity, accepted.input);
    return true;
  }

  /**
   * Changes some fields of an entity, checked like spawn's: VALUE_INVALID for a field its schema
   * lacks or a value it cannot carry (the entity is unchanged).
   */
  set<S extends AnyEntitySchema>(id: EntityId<S>, values: Partial<Infer<S>>): void {
    const index = this.typeOf(id);
    this.checked(this.schema.schemas[index]!, values, true);
    this.builderFor(index).patch(id, values as Partial<StructValue<FieldMap>>);
    if (this.grid) this.moved.add(id);
    if (this.streamed) this.changedSinceSend.add(id);
  }

  despawn(id: number): void {
    this.builderFor(this.typeOf(id)).delete(id);
    this.entityTypes.delete(id);
    this.moved.delete(id);
    this.changedSinceSend.delete(id);
    this.grid?.remove(id);
    this.authority.setOwner(id, undefined);
  }

  /** What a client sees: within `radius` of (x, y). Without one (or without interest) it sees everything. */
  setViewpoint(client: string, viewpoint: Viewpoint | undefined): void {
    const view = this.clients.get(client);
    if (!view) throw new ShardlineError('VALUE_INVALID', `no client ${client}`);
    if (
      viewpoint &&
      !(Number.isFinite(viewpoint.x) && Number.isFinite(viewpoint.y) && viewpoint.radius >= 0)
    ) {
      throw new ShardlineError('VALUE_INVALID', 'a viewpoint needs a finite position and a radius ≥ 0');
    }
    view.viewpoint = viewpoint;
  }

  /** An entity's state as of the last completed tick (undefined if absent then). */
  get<S extends AnyEntitySchema>(id: EntityId<S>): Infer<S> | undefined {
    const index = this.entityTypes.get(id);
    return index === undefined ? undefined : (this.latest.snapshots[index]!.get(id) as Infer<S>);
  }

  /**
   * Every entity as it is now, changes since the last completed tick included (what a save keeps):
   * its id, schema and state, in the order they were spawned.
   */
  *entities(): IterableIterator<{ id: number; schema: AnyEntitySchema; state: unknown }> {
    for (const id of this.entityTypes.keys()) {
      const entity = this.entityNow(id);
      if (entity) yield { id, ...entity };
    }
  }

  /**
   * One entity as it is now, changes since the last completed tick included (what a player's
   * record takes when it leaves through a portal): its schema and state; undefined if absent.
   */
  entityNow(id: number): { schema: AnyEntitySchema; state: unknown } | undefined {
    const index = this.entityTypes.get(id);
    if (index === undefined) return undefined;
    const state = (this.builders[index] ?? this.latest.snapshots[index]!).get(id);
    return state === undefined ? undefined : { schema: this.schema.schemas[index]!, state };
  }

  /** Whether an entity exists (spawned and not despawned; it may not be in a snapshot yet). */
  has(id: number): boolean {
    return this.entityTypes.has(id);
  }

  /**
   * Adds a client (again, after removeClient with keepOwnership): it gets a full state next. With
   * `acknowledgedOnSend` (a client on a reliable transport: WebSocket, TCP), every snapshot counts as
   * acknowledged once produced and the client sends no acks (PROTOCOL.md §11).
   */
  addClient(client: string, options: { acknowledgedOnSend?: boolean; tag?: unknown } = {}): void {
    this.authority.restartSequences(client); // a returning client numbers its inputs afresh
    this.clients.set(client, {
      client,
      tag: options.tag,
      ackedTick: undefined,
      acknowledgedOnSend: options.acknowledgedOnSend ?? false,
      held: undefined,
      heldFrom: undefined,
      snapshots: 0,
      fullStates: 0,
      bytes: 0,
      lastSnapshotBytes: 0,
      lastEntitiesSent: 0,
      lastBaselineAgeTicks: undefined,
      lastBudgetOverflow: 0,
      viewpoint: undefined,
      views: new Map(),
      sentBaselines: undefined,
      lastSentTick: -1,
      lastSentBaseline: -1,
      priorities: new Map(),
    });
  }

  /**
   * The client left: it gets no more snapshots and owns nothing (its entities stay until despawned).
   * With `keepOwnership` (its link dropped and it may come back) it keeps what it owns; adding it
   * again starts it over with a full state.
   */
  removeClient(client: string, options: { keepOwnership?: boolean } = {}): void {
    this.clients.delete(client);
    if (!options.keepOwnership) this.authority.removeClient(client);
  }

  /** The client holds the snapshot of `tick`: later snapshots to it are deltas against it. */
  acknowledge(client: string, tick: number): void {
    const view = this.clients.get(client);
    if (!view || view.acknowledgedOnSend || !this.baselines(view).has(tick)) return;
    if (view.ackedTick === undefined || tick > view.ackedTick) view.ackedTick = tick;
  }

  /** Per world and per client: entities, snapshots and bytes sent, last snapshot's size and baseline age. */
  metrics(): WorldMetrics {
    const clients: Record<string, ClientMetrics> = {};
    let snapshots = 0;
    let bytes = 0;
    for (const [client, view] of this.clients) {
      clients[client] = {
        snapshots: view.snapshots,
        fullStates: view.fullStates,
        bytes: view.bytes,
        lastSnapshotBytes: view.lastSnapshotBytes,
        lastEntitiesSent: view.lastEntitiesSent,
        lastBaselineAgeTicks: view.lastBaselineAgeTicks,
        lastBudgetOverflow: view.lastBudgetOverflow,
      };
      snapshots += view.snapshots;
      bytes += view.bytes;
    }
    return {
      tick: this.currentTick,
      entities: this.latest.snapshots.reduce((sum, snapshot) => sum + snapshot.size, 0),
      valuesRefused: this.valuesRefused,
      valuesClamped: this.valuesClamped,
      snapshots,
      bytes,
      meanSnapshotBytes: snapshots === 0 ? 0 : bytes / snapshots,
      clients,
    };
  }

  /** The tick a client's next snapshot would be a delta against, if any. */
  baselineOf(client: string): number | undefined {
    const view = this.clients.get(client);
    const acked = view?.ackedTick;
    if (view?.held) return acked;
    return view && acked !== undefined && this.baselines(view).has(acked) ? acked : undefined;
  }

  /** Runs the ticks due by `nowMs`; returns the snapshots of any send tick among them. */
  update(nowMs: number): OutgoingSnapshot[] {
    const out: OutgoingSnapshot[] = [];
    let ticks = 0;
    while (nowMs >= this.tickDueAtMs) {
      if (ticks++ === this.maxCatchUpTicks) {
        this.tickDueAtMs = nowMs + this.tickMs; // too far behind: skip time rather than spiral
        break;
      }
      this.step();
      this.tickDueAtMs += this.tickMs;
      if (this.currentTick % this.sendEvery === 0) out.push(...this.snapshotsForClients());
    }
    return out;
  }

  private step(): void {
    this.currentTick++;
    this.authority.startTick();
    this.onTick?.(this.currentTick, this.tickMs);
    const snapshots = this.latest.snapshots.map((snapshot, s) => {
      const builder = this.builders[s];
      this.builders[s] = undefined;
      return builder ? builder.build() : snapshot;
    });
    this.latest = { tick: this.currentTick, snapshots };
    if (this.currentTick % this.sendEvery === 0) {
      this.history.set(this.currentTick, this.latest);
      this.kept = this.latest;
    }
    // Every send tick was kept: each leaves as it ages out of the window.
    const aged = this.currentTick - this.historyTicks;
    if (aged % this.sendEvery === 0) this.history.delete(aged);
    if (this.grid && this.positionOf) {
      for (const id of this.moved) {
        const index = this.entityTypes.get(id);
        const state = index === undefined ? undefined : snapshots[index]!.get(id);
        if (!state) continue;
        const position = this.positionOf(this.schema.schemas[index!]!, state);
        // One the grid cannot hold (not finite, or too far out) is seen by no viewpoint, rather than
        // stopping the world: clients without a viewpoint still see it.
        if (position && !this.grid.holds(position)) this.grid.remove(id);
        else this.grid.place(id, position);
      }
      this.moved.clear();
    }
  }

  /** The snapshots a client's acknowledgements may name. */
  private baselines(view: ClientView): Map<number, WorldSnapshot> {
    return this.perClientViews ? view.views : this.history;
  }

  private snapshotsForClients(): OutgoingSnapshot[] {
    const out: OutgoingSnapshot[] = [];
    // Without per-client views, clients acknowledged at the same tick get the very same message:
    // encode it once per distinct baseline and prior (NO_BASELINE for full states), share the bytes.
    const shared = new Map<number, Encoded>();
    // The baseline and prior last looked up, and the message they gave: most clients share them.
    let lastAcked: number | undefined = -1;
    let lastPriorTick: number | undefined = -1;
    let lastEncoded: Encoded | undefined;
    this.streamed?.beginRound(this.latest, this.lastSent, this.changedSinceSend, this.schemaOfEntity);
    for (const view of this.clients.values()) {
      const { client } = view;
      view.lastBudgetOverflow = 0;
      let encoded: Encoded;
      const streamed = this.streamed !== undefined && view.acknowledgedOnSend;
      if (streamed) encoded = this.streamedSnapshot(view, this.streamed!);
      else if (this.perClientViews) encoded = this.viewedSnapshot(view);
      else {
        const acked = view.ackedTick;
        const priorTick = acked === undefined ? undefined : this.sentBaselineOf(view, acked);
        if (lastEncoded !== undefined && acked === lastAcked && priorTick === lastPriorTick) {
          encoded = lastEncoded;
        } else {
          const baseline = acked === undefined ? undefined : this.history.get(acked);
          const priorSnapshot = priorTick === undefined ? undefined : this.history.get(priorTick);
          const prior =
            baseline && priorSnapshot && canPredict(this.currentTick, baseline, priorSnapshot)
              ? priorSnapshot
              : undefined;
          const span = prior ? baseline!.tick - prior.tick : 0; // < 256 (canPredict)
          const key = baseline ? baseline.tick * 256 + span : NO_BASELINE;
          let found = shared.get(key);
          if (!found) {
            found = this.encode(this.latest, baseline, prior);
            shared.set(key, found);
          }
          encoded = found;
          lastAcked = acked;
          lastPriorTick = priorTick;
          lastEncoded = found;
        }
      }
      if (!streamed) this.recordSent(view, encoded.baselineTick);
      // Counted as held now: the caller sends it over a reliable link, or (SEND_QUEUE_FULL) drops
      // the client, which then starts over with a full state.
      if (view.acknowledgedOnSend) view.ackedTick = this.currentTick;
      const { bytes, baselineTick } = encoded;
      view.snapshots++;
      if (baselineTick === undefined) view.fullStates++;
      view.bytes += bytes.length;
      view.lastSnapshotBytes = bytes.length;
      view.lastEntitiesSent = encoded.entitiesSent;
      view.lastBaselineAgeTicks = baselineTick === undefined ? undefined : this.currentTick - baselineTick;
      out.push({ client, bytes, baselineTick, tag: view.tag });
    }
    this.changedSinceSend.clear();
    if (this.streamed) this.grid!.forgetChanges();
    this.lastSent = this.latest;
    return out;
  }

  /** A client's own view (interest, budget), chosen against the view it acknowledged. */
  private viewedSnapshot(view: ClientView): Encoded {
    const baseline = view.ackedTick === undefined ? undefined : view.views.get(view.ackedTick);
    const viewpoint = view.viewpoint;
    const choice = chooseView({
      current: this.latest,
      baseline: baseline ?? emptyWorldSnapshot(this.schema, -1),
      tick: this.currentTick,
      visible: this.grid && viewpoint ? this.grid.visible(viewpoint) : undefined,
      budgetBits: this.budgetBits,
      priorities: view.priorities,
    });
    view.lastBudgetOverflow = choice.deferred;
    view.views.set(this.currentTick, choice.view);
    dropUpTo(view.views, this.currentTick - this.historyTicks);
    return this.encode(choice.view, baseline, this.priorOf(view, view.views, baseline));
  }

  /**
   * What a message against `baseline` may predict from: the baseline's own baseline, while the
   * client's acknowledgements may still name it (so the client holds it too) and within reach.
   */
  private priorOf(
    view: ClientView,
    sent: Map<number, WorldSnapshot>,
    baseline: WorldSnapshot | undefined,
  ): WorldSnapshot | undefined {
    if (!baseline) return undefined;
    const priorTick = this.sentBaselineOf(view, baseline.tick);
    const prior = priorTick === undefined ? undefined : sent.get(priorTick);
    return prior && canPredict(this.currentTick, baseline, prior) ? prior : undefined;
  }

  /** The baseline of the message sent to a client at `tick`: undefined for a full state, or no message then. */
  private sentBaselineOf(view: ClientView, tick: number): number | undefined {
    if (tick === view.lastSentTick) return view.lastSentBaseline < 0 ? undefined : view.lastSentBaseline;
    return view.sentBaselines?.get(tick);
  }

  private recordSent(view: ClientView, baselineTick: number | undefined): void {
    view.lastSentTick = this.currentTick;
    view.lastSentBaseline = baselineTick ?? -1;
    // A client acknowledged on send names only its last message as a baseline (lastSentTick).
    if (view.acknowledgedOnSend) return;
    view.sentBaselines ??= new SentBaselines(this.historyTicks);
    view.sentBaselines.record(this.currentTick, baselineTick);
  }

  /** A streamed client's message: what entered, left and changed in its view since the last send. */
  private streamedSnapshot(view: ClientView, streamed: StreamedViews): Encoded {
    const grid = this.grid!;
    const { viewpoint, held } = view;
    const baselineTick = held ? this.lastSent!.tick : undefined;
    let next: ReturnType<StreamedViews['write']>;
    if (held && viewpoint && sameViewpoint(viewpoint, view.heldFrom)) {
      // Still since the last round: only what changed near it matters.
      this.nearby.length = 0;
      grid.changesNear(viewpoint, this.nearby);
      next = streamed.writeNear(this.writer, held, this.nearby, grid, viewpoint, this.schemaOfEntity);
    } else {
      const visible = viewpoint ? grid.visible(viewpoint) : this.allIds();
      next = streamed.write(this.writer, held, visible, this.schemaOfEntity);
    }
    view.held = next.held;
    if (!viewpoint) view.heldFrom = undefined;
    else if (!sameViewpoint(viewpoint, view.heldFrom))
      view.heldFrom = { x: viewpoint.x, y: viewpoint.y, radius: viewpoint.radius };
    return { bytes: this.writer.toBytes(), entitiesSent: next.records, baselineTick };
  }

  /** Every entity id of the current world, ascending (what a client without a viewpoint sees). */
  private allIds(): Uint32Array {
    // Once per tick, shared by every such client (held views are never modified).
    if (this.allIdsOf?.world !== this.latest) {
      const ids = this.latest.snapshots.flatMap((snapshot) => [...snapshot.ids]);
      this.allIdsOf = { world: this.latest, ids: Uint32Array.from(ids).sort() };
    }
    return this.allIdsOf.ids;
  }

  private encode(sent: WorldSnapshot, baseline: WorldSnapshot | undefined, prior?: WorldSnapshot): Encoded {
    this.writer.reset();
    writeWorldSnapshot(this.writer, this.schema, sent, baseline, prior);
    const entitiesSent = this.schema.codecs.reduce((sum, codec) => {
      const counts = codec.lastEncodedCounts;
      return sum + counts.despawns + counts.spawns + counts.updates;
    }, 0);
    return { bytes: this.writer.toBytes(), entitiesSent, baselineTick: baseline?.tick };
  }

  /** Checks a state write (checkStructValues), counting what it refuses and clamps. */
  private checked(schema: AnyEntitySchema, values: unknown, partial: boolean): void {
    try {
      this.valuesClamped += checkStructValues(schema as never, values, partial);
    } catch (error) {
      if (isShardlineError(error)) this.valuesRefused++;
      throw error;
    }
  }

  private builderFor(index: number): SnapshotBuilder<FieldMap> {
    let builder = this.builders[index];
    if (!builder) {
      // One made since the last send tick will be no baseline: the next links past it.
      const base = this.latest.snapshots[index]!;
      builder = base.edit({ linkPast: base !== this.kept.snapshots[index] });
      this.builders[index] = builder;
    }
    return builder;
  }

  private typeOf(id: number): number {
    const index = this.entityTypes.get(id);
    if (index === undefined) throw new ShardlineError('VALUE_INVALID', `no entity ${id}`);
    return index;
  }
}

function sameViewpoint(a: Viewpoint, b: Viewpoint | undefined): boolean {
  return b !== undefined && a.x === b.x && a.y === b.y && a.radius === b.radius;
}

/** Drops the entries of a map kept in ascending tick order up to and including `tick`. */
function dropUpTo<V>(byTick: Map<number, V>, tick: number): void {
  for (const key of byTick.keys()) {
    if (key > tick) break;
    byTick.delete(key);
  }
}

/**
 * What baseline each message sent to a client had, by the tick it was sent at, over the last
 * `size` ticks (the history window): a ring indexed by tick, so recording one per send tick
 * allocates nothing and drops nothing.
 */
class SentBaselines {
  /** The tick each slot was written for (−1: never). */
  private readonly ticks: Float64Array;
  /** Its message's baseline tick, −1 for a full state. */
  private readonly baselines: Float64Array;

  constructor(private readonly size: number) {
    this.ticks = new Float64Array(size).fill(-1);
    this.baselines = new Float64Array(size);
  }

  record(tick: number, baselineTick: number | undefined): void {
    const slot = tick % this.size;
    this.ticks[slot] = tick;
    this.baselines[slot] = baselineTick ?? -1;
  }

  /** The baseline of the message sent at `tick`; undefined for a full state, or no message then. */
  get(tick: number): number | undefined {
    const slot = tick % this.size;
    if (this.ticks[slot] !== tick || this.baselines[slot]! < 0) return undefined;
    return this.baselines[slot];
  }
}
