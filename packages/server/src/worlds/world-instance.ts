import {
  type AnyEntitySchema,
  type AnyWorldKind,
  type DisconnectReason,
  decodeSeatMessage,
  type EntitiesOf,
  type EntityId,
  type EventDefinition,
  encodeSeatMessage,
  type FieldMap,
  type Infer,
  isShardlineError,
  type OutgoingSnapshot,
  type RpcDefinition,
  type RpcRouter,
  Seats,
  type SendType,
  ServerWorld,
  ShardlineError,
  StateRelay,
  type StructValue,
  type Viewpoint,
  WORLD_CHANNEL,
  type WorldSummary,
} from '@shardline/core';
import type { PlayerRecord } from '../cluster/portals/player-record.js';
import type { GameServer, SessionHandle, SessionInfo } from '../game-server.js';
import { Ownership } from './ownership.js';
import { Player } from './player.js';
import type { Admission, PlayerHomes } from './player-homes.js';
import { type SeatClock, SeatClocks } from './seat-clocks.js';
import { SeatInputs } from './seat-inputs.js';
import type { HostedWorld, PortalState, WorldContext, WorldHandlers, WorldServer } from './serve-world.js';
import { TickTimes } from './tick-times.js';
import { worldRouter } from './world-router.js';
import { encodedEntity, respawnEntities, type SavedWorld, savedEntities } from './world-save.js';
import { WorldSends } from './world-sends.js';
import type { WorldStats } from './world-stats.js';

/** A connection must say hello within this long after connecting, or it is disconnected, ms. */
export const HELLO_TIMEOUT_MS = 5_000;
/** Largest public metadata of an instance, as JSON, bytes. */
export const MAX_METADATA_BYTES = 1024;

/** Who may join an instance: anyone (listed), anyone with its id (unlisted), or only those it reserved a seat for. */
export type WorldVisibility = 'public' | 'private' | 'restricted';

export interface WorldInstanceOptions<K extends AnyWorldKind> {
  id: string;
  server: GameServer;
  served: WorldServer<K>;
  options: Readonly<Record<string, unknown>>;
  visibility: WorldVisibility;
  /** Who may join a restricted instance (client ids); undefined for the others. */
  members: readonly string[] | undefined;
  /** Lives on when empty. */
  persistent: boolean;
  nowMs: number;
  context: WorldContext;
  /** A game handler threw: the instance goes on (the error is the game's to fix). */
  onHandlerError: (error: unknown, where: string) => void;
  /**
   * Where the world's players live in the cluster, for a world that keeps player records (a
   * persistent world of a shard): admission, records kept while away, portals.
   */
  homes?: PlayerHomes;
}

/**
 * One running world of a kind over the process's GameServer: its own tick, seats, interest, RPC
 * router, input streams and metrics. The runtime routes it the sessions whose tokens name it; a
 * connection joins when its client's hello names the kind's fingerprint (PROTOCOL.md §13), and gets
 * a seat that survives a dropped link for the grace period. Game code sees it as a HostedWorld.
 */
export class WorldInstance<K extends AnyWorldKind = AnyWorldKind> implements HostedWorld<K> {
  readonly id: string;
  readonly kind: K;
  readonly options: Readonly<Record<string, unknown>>;
  readonly visibility: WorldVisibility;
  readonly persistent: boolean;
  readonly createdAtMs: number;
  readonly players = new Map<string, Player>();
  /** Tick durations (simulation, snapshots and their hand-off), ms. */
  readonly tickTimes = new TickTimes();
  /** Inputs and published states rejected, by code (NOT_OWNER, RATE_LIMITED, WIRE_*). */
  readonly rejected: Record<string, number> = {};
  readonly router: RpcRouter | undefined;
  private readonly world: ServerWorld;
  private readonly seats: Seats;
  private readonly server: GameServer;
  private readonly handlers: WorldHandlers<K>;
  private readonly playerByClient = new Map<string, Player>();
  /** Connections routed here that have not said hello yet, with when they connected. */
  private readonly pending = new Map<string, SessionInfo>();
  /** Connections that said hello, waiting for their admission (PlayerHomes.admit). */
  private readonly admitting = new Map<string, SessionInfo>();
  /** Seats whose player is moving through a portal: their inputs, states and calls are ignored. */
  private readonly frozen = new Set<string>();
  /** Seats reserved for clients (by client id) that have not connected yet: when each lapses, ms. */
  private readonly reservations = new Map<string, number>();
  private readonly inputs: SeatInputs | undefined;
  private readonly relay: StateRelay | undefined;
  private readonly ownership: Ownership;
  private readonly clocks = new SeatClocks();
  private readonly members: ReadonlySet<string> | undefined;
  private metadataJson = '{}';
  private isLocked = false;
  private disposed = false;
  private readonly sends: WorldSends;
  /** Scratch: the handles of the players one snapshot goes to. */
  private readonly recipients: SessionHandle[] = [];

  constructor(private readonly setup: WorldInstanceOptions<K>) {
    const { served } = setup;
    this.id = setup.id;
    this.kind = served.kind;
    this.options = setup.options;
    this.visibility = setup.visibility;
    this.members = setup.members && new Set(setup.members);
    this.persistent = setup.persistent;
    this.createdAtMs = setup.nowMs;
    this.server = setup.server;
    this.sends = new WorldSends(setup.server, this.players);
    const kind = served.kind;
    this.world = new ServerWorld(
      {
        schemas: kind.entities,
        tickHz: kind.tickHz,
        sendHz: kind.sendHz,
        ...(served.options.interest ? { interest: served.options.interest } : {}),
        ...(served.options.snapshotBudgetBytes !== undefined
          ? { snapshotBudgetBytes: served.options.snapshotBudgetBytes }
          : {}),
      },
      setup.nowMs,
    );
    this.seats = new Seats({ graceMs: served.options.graceMs ?? 30_000 });
    this.inputs = kind.input && new SeatInputs(kind.input, served.options.inputDepth ?? 2);
    this.relay = kind.state && new StateRelay(kind.state);
    this.ownership = new Ownership((seat, message) =>
      this.sends.toSeat(seat, WORLD_CHANNEL.control, message, 'reliable'),
    );
    this.world.onTick = (tick, dtMs) => this.step(tick, dtMs);
    this.handlers = served.setup(this, setup.context);
    if (!kind.rpc && (this.handlers.rpc || this.handlers.events)) {
      throw new ShardlineError('VALUE_INVALID', `world kind ${kind.name} declares no RPC to handle`);
    }
    this.router = kind.rpc && worldRouter(this.routerHost(), this.handlers);
  }

  // ── HostedWorld: what game code calls ──────────────────────────────────────────────────────────

  get tick(): number {
    return this.world.tick;
  }

  get timeMs(): number {
    return this.world.tick * this.kind.tickMs;
  }

  /** When its next tick falls due (Date.now, ms): the runtime sleeps until the earliest instance's. */
  get nextTickAtMs(): number {
    return this.world.nextTickAtMs;
  }

  spawn<S extends EntitiesOf<K>>(
    schema: S,
    state: Partial<Infer<S>>,
    options: { owner?: Player } = {},
  ): EntityId<S> {
    const id = this.world.spawn(schema as AnyEntitySchema, state);
    if (options.owner) this.setOwner(id, options.owner);
    return id as EntityId<S>;
  }

  /** The world as its shard's save keeps it: entities no player owns, and the game's `save` data. */
  saved(): SavedWorld {
    let data: Record<string, unknown> = {};
    this.guarded('save', () => {
      data = this.handlers.save?.() ?? {};
    });
    return {
      id: this.id,
      kind: this.kind.name,
      tick: this.tick,
      entities: savedEntities(this.world, (id) => this.ownership.ownerOf(id) !== undefined),
      data,
    };
  }

  /**
   * Loads a save into this new instance: its entities spawned again, then the game's `restore`
   * handler told their new ids and its data. VALUE_INVALID (nothing spawned) if the save does not
   * fit this world's kind.
   */
  restore(saved: SavedWorld): void {
    if (saved.kind !== this.kind.name) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `a save of a ${saved.kind} world cannot restore ${this.id} (a ${this.kind.name})`,
      );
    }
    const entities = respawnEntities(saved.entities, this.world.schema.schemas, (schema, state) =>
      this.world.spawn(schema, state),
    );
    this.guarded('restore', () =>
      this.handlers.restore?.({ data: saved.data, entities, savedTick: saved.tick }),
    );
  }

  set<S extends AnyEntitySchema>(id: EntityId<S>, values: Partial<Infer<S>>): void {
    this.world.set(id, values);
  }

  patch<S extends AnyEntitySchema>(id: EntityId<S>, values: Partial<Infer<S>>): void {
    this.world.set(id, values);
  }

  get<S extends AnyEntitySchema>(id: EntityId<S>): Infer<S> | undefined {
    return this.world.entityNow(id)?.state as Infer<S> | undefined;
  }

  despawn(id: number): void {
    this.world.despawn(id);
    this.ownership.set(id, undefined);
  }

  setOwner(id: number, player: Player | undefined): void {
    if (!this.world.has(id)) throw new ShardlineError('VALUE_INVALID', `no entity ${id}`);
    if (player && this.players.get(player.seat) !== player) {
      throw new ShardlineError('VALUE_INVALID', `${player.seat} is not seated in ${this.id}`);
    }
    this.ownership.set(id, player?.seat);
  }

  ownerOf(id: number): Player | undefined {
    const seat = this.ownership.ownerOf(id);
    return seat === undefined ? undefined : this.players.get(seat);
  }

  setViewpoint(player: Player, viewpoint: Viewpoint | undefined): void {
    this.world.setViewpoint(player.seat, viewpoint);
  }

  broadcast<P extends FieldMap>(
    event: EventDefinition<P>,
    params: StructValue<P>,
    options: { inOrder?: boolean } = {},
  ): void {
    this.rpcRouter().broadcastEvent(event, params, { ...options, timeMs: this.timeMs });
  }

  callAll<P extends FieldMap>(rpc: RpcDefinition<P, undefined>, params: StructValue<P>): void {
    this.rpcRouter().callAll(rpc, params);
  }

  call<P extends FieldMap, R extends FieldMap | undefined>(
    player: Player,
    rpc: RpcDefinition<P, R>,
    params: StructValue<P>,
  ): R extends FieldMap ? Promise<StructValue<R>> : undefined {
    return this.rpcRouter().call(player.seat, rpc, params, Date.now());
  }

  kick(player: Player, reason: DisconnectReason = 'kicked'): void {
    const session = player.session?.session;
    if (session !== undefined && this.sends.connected(session)) this.server.kick(session, reason);
    else if (this.players.get(player.seat) === player) this.giveUp(player.seat, reason); // its seat was waiting
  }

  migrate(player: Player, portal: string): Promise<void> {
    if (!this.setup.homes) return Promise.reject(noPortals());
    return this.setup.homes.migrate(this, player, portal);
  }

  portal(id: string): PortalState {
    if (!this.setup.homes) throw noPortals();
    return this.setup.homes.portal(this, id);
  }

  get portals(): readonly string[] {
    return this.setup.homes?.portalsOf(this) ?? [];
  }

  get metadata(): Readonly<Record<string, unknown>> {
    return JSON.parse(this.metadataJson) as Record<string, unknown>;
  }

  setMetadata(metadata: Readonly<Record<string, unknown>>): void {
    const json = JSON.stringify(metadata);
    if (new TextEncoder().encode(json).length > MAX_METADATA_BYTES) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `world metadata is at most ${MAX_METADATA_BYTES} bytes of JSON`,
      );
    }
    this.metadataJson = json;
  }

  get locked(): boolean {
    return this.isLocked;
  }

  lock(): void {
    this.isLocked = true;
  }

  unlock(): void {
    this.isLocked = false;
  }

  // ── The runtime's side ─────────────────────────────────────────────────────────────────────────

  /** Seats taken or waiting, connections not yet seated, and reservations not yet used. */
  get occupancy(): number {
    let unseated = 0; // connected, no hello yet, and holding no seat or reservation already counted
    for (const waiting of [this.pending, this.admitting]) {
      for (const { clientId } of waiting.values()) {
        if (!this.playerByClient.has(clientId) && !this.reservations.has(clientId)) unseated++;
      }
    }
    return this.players.size + unseated + this.reservations.size;
  }

  /** Whether nothing holds the instance: no seats, connections or reservations. */
  get empty(): boolean {
    return (
      this.players.size === 0 &&
      this.pending.size === 0 &&
      this.admitting.size === 0 &&
      this.reservations.size === 0
    );
  }

  /**
   * Whether `clientId` may come in: it holds a seat or a reservation here, or there is room (and,
   * in a restricted instance, it is one of the members).
   */
  admits(clientId: string): boolean {
    if (this.playerByClient.has(clientId) || this.reservations.has(clientId)) return true;
    if (this.visibility === 'restricted' && !this.members?.has(clientId)) return false;
    return this.occupancy < this.kind.maxPlayers;
  }

  /** Holds a place for `clientId` until `untilMs` (a token naming this world was issued to it). */
  reserve(clientId: string, untilMs: number): void {
    if (!this.playerByClient.has(clientId)) this.reservations.set(clientId, untilMs);
  }

  /** What `GET /v1/worlds` lists: cheap (no metrics gathered). */
  summary(): WorldSummary {
    return {
      id: this.id,
      kind: this.kind.name,
      players: this.players.size,
      maxPlayers: this.kind.maxPlayers,
      locked: this.isLocked,
      metadata: this.metadata,
      createdAtMs: this.createdAtMs,
    };
  }

  /** The figures the dashboard shows. */
  stats(): WorldStats {
    const metrics = this.world.metrics();
    let connected = 0;
    for (const player of this.players.values()) if (player.connected) connected++;
    return {
      id: this.id,
      kind: this.kind.name,
      visibility: this.visibility,
      persistent: this.persistent,
      locked: this.isLocked,
      players: this.players.size,
      connected,
      reserved: this.reservations.size,
      maxPlayers: this.kind.maxPlayers,
      entities: metrics.entities,
      tick: metrics.tick,
      tickMs: this.tickTimes.summary(),
      snapshotBytes: metrics.bytes,
      valuesRefused: metrics.valuesRefused,
      valuesClamped: metrics.valuesClamped,
      rejected: { ...this.rejected, ...this.router?.rejectedTotals },
      metadata: this.metadata,
      createdAtMs: this.createdAtMs,
    };
  }

  /** What the world has sent one seat (tests and benchmarks; it gathers every seat's figures). */
  seatMetrics(seat: string): ReturnType<ServerWorld['metrics']>['clients'][string] | undefined {
    return this.world.metrics().clients[seat];
  }

  clockOf(seat: string): SeatClock | undefined {
    return this.clocks.of(seat);
  }

  /** The seat a session sits in. */
  seatOf(session: string): string | undefined {
    return this.seats.seatOf(session);
  }

  /** A session the runtime routed here connected; it is seated when its hello comes. */
  connected(info: SessionInfo): void {
    this.pending.set(info.session, info);
  }

  received(session: string, channel: number, bytes: Uint8Array): void {
    if (channel === WORLD_CHANNEL.control) {
      this.control(session, bytes);
      return;
    }
    const seat = this.seats.seatOf(session);
    if (seat === undefined) return; // not in the world yet: nothing else counts
    if (this.frozen.has(seat) && channel !== WORLD_CHANNEL.clock) return; // moving: it acts no more here
    switch (channel) {
      case WORLD_CHANNEL.clock:
        if (bytes.length === 4)
          this.world.acknowledge(seat, new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true));
        else this.clockPing(session, seat, bytes);
        return;
      case WORLD_CHANNEL.input:
        if (this.inputs) this.rejecting(() => this.inputs!.receive(seat, bytes));
        return;
      case WORLD_CHANNEL.states:
        if (this.relay) this.rejecting(() => this.relayState(seat, bytes));
        return;
      case WORLD_CHANNEL.rpcOrdered:
      case WORLD_CHANNEL.rpcUnordered:
      case WORLD_CHANNEL.rpcUnreliable:
        this.router?.receive(seat, bytes, Date.now());
        return;
      default:
        return; // snapshots only go the other way; unknown channels are refused by the endpoint
    }
  }

  disconnected(session: string, reason: DisconnectReason): void {
    this.pending.delete(session);
    this.admitting.delete(session);
    const seat = this.seats.seatOf(session);
    if (seat === undefined) return;
    const player = this.players.get(seat);
    if (player === undefined) {
      this.seats.leave(session); // given up already (a disposed world)
      return;
    }
    if (reason === 'timeout' || reason === 'link-lost') {
      this.seats.drop(session, Date.now());
      player.session = undefined;
      this.world.removeClient(seat, { keepOwnership: true });
      if (this.handlers.drop) this.guarded('drop', () => this.handlers.drop!(player));
      return;
    }
    this.seats.leave(session);
    this.giveUp(seat, reason);
  }

  /** Runs the ticks due, sends their snapshots, expires what has waited too long; returns whether it ticked. */
  update(nowMs: number): boolean {
    const started = performance.now();
    const tickBefore = this.world.tick;
    const snapshots = this.world.update(nowMs);
    const ticked = this.world.tick !== tickBefore;
    if (ticked) this.server.sendTogether(() => this.sendRound(snapshots));
    else this.sendInputAcks();
    if (ticked) this.tickTimes.add(performance.now() - started);
    for (const seat of this.seats.expire(nowMs)) this.giveUp(seat, 'timeout');
    this.router?.update(nowMs);
    this.expireWaiting(nowMs);
    return ticked;
  }

  /**
   * Ends the instance: the game's dispose runs, anyone still here is disconnected with `reason`, and
   * every seat is given up, those waiting for a dropped client included (calls to them reject).
   * Nobody is told who else left: they are all leaving.
   */
  dispose(reason: DisconnectReason = 'closed-by-server'): void {
    if (this.disposed) return;
    this.disposed = true;
    this.guarded('dispose', () => this.handlers.dispose?.());
    for (const session of [...this.pending.keys(), ...this.admitting.keys(), ...this.seatedSessions()]) {
      if (this.sends.connected(session)) this.server.kick(session, reason);
    }
    for (const seat of [...this.players.keys()]) this.giveUp(seat, reason);
    this.pending.clear();
    this.admitting.clear();
    this.reservations.clear();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  // ── Inside ─────────────────────────────────────────────────────────────────────────────────────

  /** A tick's input acknowledgements and snapshots (sent together: one transmission pass). */
  private sendRound(snapshots: readonly OutgoingSnapshot[]): void {
    this.sendInputAcks(); // first: each shares a packet with the snapshot of its tick
    // Players given the same message (everyone's, where all see the same world) get it in one send.
    const recipients = this.recipients;
    for (let i = 0; i < snapshots.length; ) {
      const { bytes } = snapshots[i]!;
      for (; i < snapshots.length && snapshots[i]!.bytes === bytes; i++) {
        const handle = snapshots[i]!.tag as SessionHandle | undefined;
        if (handle) recipients.push(handle);
      }
      this.sends.toHandles(recipients, WORLD_CHANNEL.snapshot, bytes, 'unreliable-no-delay');
      recipients.length = 0;
    }
  }

  private sendInputAcks(): void {
    this.inputs?.sendAcks(this.sendInputAck);
  }

  /** Made once, not per tick: the per-tick paths below allocate no closures. */
  private readonly sendInputAck = (seat: string, ack: Uint8Array): void => {
    this.sends.toSeat(seat, WORLD_CHANNEL.input, ack, 'unreliable');
  };

  /** A seat's input for this tick, to the game's input handler (guarded as `guarded` does). */
  private readonly applyInput = (seat: string, value: StructValue<Record<string, never>>): void => {
    const input = this.handlers.input;
    const player = this.players.get(seat);
    if (!player || !input || this.frozen.has(seat)) return;
    try {
      input(player, value as never);
    } catch (error) {
      this.setup.onHandlerError(error, `${this.kind.name} input`);
    }
  };

  private step(tick: number, dtMs: number): void {
    this.inputs?.tick(this.applyInput);
    if (this.handlers.tick) {
      try {
        this.handlers.tick(dtMs, tick);
      } catch (error) {
        this.setup.onHandlerError(error, `${this.kind.name} tick`);
      }
    }
    if (tick % (this.kind.tickHz / this.kind.sendHz) === 0) this.inputs?.acknowledge(tick);
  }

  private control(session: string, bytes: Uint8Array): void {
    const info = this.pending.get(session);
    if (!info) return; // seated already: a client sends one hello, and nothing else here
    let message: ReturnType<typeof decodeSeatMessage>;
    try {
      message = decodeSeatMessage(bytes);
    } catch (error) {
      if (isShardlineError(error)) return; // malformed: ignored, the connection stays out of the world
      throw error;
    }
    if (message.type !== 'hello') return;
    this.pending.delete(session);
    if (message.fingerprint !== this.kind.fingerprint) {
      this.refuseMismatch(session);
      return;
    }
    const nowMs = Date.now();
    // Seats past their grace go first: a client coming back just too late gets a new seat.
    for (const seat of this.seats.expire(nowMs)) this.giveUp(seat, 'timeout');
    const held = this.playerByClient.get(info.clientId);
    // A reconnect token opens only its own client's seat: the token is a secret, the client id an
    // authenticated identity, and both must agree.
    const tokenSeat = message.token ? this.seats.seatOfToken(message.token) : undefined;
    const tokenFits = tokenSeat !== undefined && this.players.get(tokenSeat)?.id === info.clientId;
    const resumed =
      (tokenFits ? this.seats.resume(session, message.token!, nowMs) : undefined) ??
      (held ? this.seats.reclaim(session, held.seat, nowMs) : undefined);
    if (!resumed && held) {
      // The same client, seated on another live connection (a second tab with the same identity
      // over another transport: the connection layer allows one per client id and transport). It
      // keeps its seat; this connection is refused.
      this.server.kick(session, 'already-connected');
      return;
    }
    if (!resumed && this.setup.homes) {
      // A new seat in a world that keeps player records: the cluster says first whether and how.
      this.admitting.set(session, info);
      void this.setup.homes.admit(this, info.clientId).then((admission) => this.admitted(session, admission));
      return;
    }
    this.seat(session, info, resumed, undefined);
  }

  /** Seats an admitted connection (if it is still here and its client holds no seat meanwhile). */
  private admitted(session: string, admission: Admission): void {
    const info = this.admitting.get(session);
    if (!info || !this.admitting.delete(session) || this.disposed) return;
    if (!this.sends.connected(session)) return;
    if (admission.kind === 'refused') {
      // Another world holds the player, or it is moving: not here (the error is the cluster's to log).
      this.server.kick(session, 'world-not-found');
      return;
    }
    if (this.playerByClient.has(info.clientId)) {
      this.server.kick(session, 'already-connected'); // seated from another connection meanwhile
      return;
    }
    this.seat(session, info, undefined, admission);
    this.sends.flushSoon(); // the welcome leaves now, not at the server's next update
  }

  private seat(
    session: string,
    info: SessionInfo,
    resumed: ReturnType<Seats['resume']>,
    admission: Admission | undefined,
  ): void {
    const nowMs = Date.now();
    const { seat, token } = resumed ?? this.seats.join(session);
    if (resumed?.replaced !== undefined) {
      // The old link is dead but not yet timed out: close it (it no longer sits anywhere).
      this.world.removeClient(seat, { keepOwnership: true });
      this.server.kick(resumed.replaced);
    }
    this.reservations.delete(info.clientId);
    let player = this.players.get(seat);
    if (player) player.session = info;
    else {
      player = new Player(seat, info);
      this.players.set(seat, player);
      this.playerByClient.set(info.clientId, player);
    }
    // Over a reliable transport every snapshot sent arrives, in order: acknowledged once sent (§11).
    // Its snapshots come back tagged with the session's handle, for sends without lookups.
    this.world.addClient(seat, {
      acknowledgedOnSend: info.capabilities.reliable,
      tag: this.server.handle(session),
    });
    this.sends.toSession(
      session,
      WORLD_CHANNEL.control,
      encodeSeatMessage({ type: 'welcome', resumed: resumed !== undefined, token, seat }),
      'reliable',
    );
    if (resumed) {
      // Its last state and input numbers are forgotten: the returning client may number afresh or go on.
      this.relay?.restart(seat);
      this.inputs?.restart(seat);
      this.ownership.resend(seat);
      const rejoined = player;
      if (this.handlers.rejoin) this.guarded('rejoin', () => this.handlers.rejoin!(rejoined));
      return;
    }
    this.router?.addClient(seat, nowMs); // a seat keeps its RPC record across a dropped link
    this.inputs?.add(seat);
    const joined = player;
    const arrived = admission?.kind === 'returning' && this.arrive(joined, admission);
    if (!arrived && this.handlers.join) this.guarded('join', () => this.handlers.join!(joined));
    if (admission) this.setup.homes?.seated(this, joined, arrived ? admission : { kind: 'new' });
  }

  /**
   * Spawns a returning player's entities again, owned by it, and runs the game's `arrive`; false
   * (nothing spawned) if the record does not fit this world (the player joins afresh: reported).
   */
  private arrive(player: Player, admission: Admission & { kind: 'returning' }): boolean {
    const { record, arrival } = admission;
    let entities: Map<number, number>;
    try {
      entities = respawnEntities(record.entities, this.world.schema.schemas, (schema, state) =>
        this.world.spawn(schema, state),
      );
    } catch (error) {
      this.setup.onHandlerError(error, `${this.kind.name} record of ${player.id}`);
      return false;
    }
    for (const id of entities.values()) this.setOwner(id, player);
    this.guarded('arrive', () =>
      this.handlers.arrive?.(player, {
        data: record.data,
        entities,
        portal: arrival?.portal,
        from: arrival?.from,
      }),
    );
    return true;
  }

  /** Another build of the game: told the server's parts (so it can say what differs), then disconnected. */
  private refuseMismatch(session: string): void {
    const { name, fingerprints } = this.kind;
    this.sends.toSession(
      session,
      WORLD_CHANNEL.control,
      encodeSeatMessage({ type: 'mismatch', kind: name, fingerprints }),
      'reliable',
    );
    this.server.flush();
    queueMicrotask(() => {
      if (this.sends.connected(session)) this.server.kick(session, 'protocol-mismatch');
    });
  }

  /** Stops (or resumes) taking a player's inputs, states and calls: it is moving through a portal. */
  freeze(player: Player, frozen: boolean): void {
    if (frozen) this.frozen.add(player.seat);
    else this.frozen.delete(player.seat);
  }

  /**
   * The player as its record keeps it (docs/cluster/CLUSTER.md §8): the entities it owns, as they
   * are now, encoded by their schemas, and the game's `savePlayer` data.
   */
  playerRecord(player: Player): PlayerRecord {
    const entities = [];
    for (const id of this.ownership.ownedBy(player.seat)) {
      const entity = this.world.entityNow(id);
      if (entity) entities.push(encodedEntity(id, entity.schema, entity.state));
    }
    let data: Record<string, unknown> = {};
    this.guarded('savePlayer', () => {
      data = this.handlers.savePlayer?.(player) ?? {};
    });
    return { entities, data };
  }

  /**
   * The player moved through a portal (the directory says another world holds it): its client is
   * sent `redirect` (a seat message; none when the move's target could not give a token: the
   * client rejoins, and is routed where the cluster holds it) and disconnected with `migrated`, its
   * seat given up with that reason (the game's `leave` hears it), and what it owned is despawned:
   * it lives on there.
   */
  release(player: Player, redirect: Uint8Array | undefined): void {
    if (this.players.get(player.seat) !== player) return;
    const session = player.session?.session;
    if (redirect && session !== undefined && this.sends.connected(session)) {
      this.sends.toSession(session, WORLD_CHANNEL.control, redirect, 'reliable');
      this.server.flush();
    }
    this.frozen.delete(player.seat);
    this.giveUp(player.seat, 'migrated');
    if (session !== undefined) {
      queueMicrotask(() => {
        if (this.sends.connected(session)) this.server.kick(session, 'migrated');
      });
    }
  }

  private giveUp(seat: string, reason: DisconnectReason): void {
    const player = this.players.get(seat);
    if (!player) return;
    // A world that keeps records keeps the player's (or, moving, it travels): what it owned goes.
    const keeping = this.setup.homes !== undefined && !this.disposed;
    const owned = keeping ? [...this.ownership.ownedBy(seat)] : [];
    if (keeping && reason !== 'migrated') this.setup.homes!.away(this, player, this.playerRecord(player));
    this.frozen.delete(seat);
    player.session = undefined;
    this.world.removeClient(seat);
    this.clocks.remove(seat);
    this.router?.removeClient(seat);
    this.relay?.remove(seat);
    this.inputs?.remove(seat);
    this.players.delete(seat);
    this.playerByClient.delete(player.id);
    // After dispose the game has let the world go: its players are only disconnected.
    if (this.disposed) {
      this.ownership.removeSeat(seat);
      return;
    }
    this.sends.toSeats(WORLD_CHANNEL.control, encodeSeatMessage({ type: 'left', reason, seat }), 'reliable');
    if (this.handlers.leave) this.guarded('leave', () => this.handlers.leave!(player, reason));
    this.ownership.removeSeat(seat); // after leave: what the game despawns there needs no telling
    // Left behind by the game's leave, they would be saved with the world as well as with the player.
    for (const id of owned) if (this.world.has(id)) this.world.despawn(id);
  }

  /** Connections that never said hello, and reservations never used, give their places back. */
  private expireWaiting(nowMs: number): void {
    for (const [clientId, untilMs] of this.reservations)
      if (untilMs <= nowMs) this.reservations.delete(clientId);
    for (const [session, info] of this.pending) {
      if (nowMs - info.connectedAtMs < HELLO_TIMEOUT_MS) continue;
      this.pending.delete(session);
      if (this.sends.connected(session)) this.server.kick(session, 'timeout');
    }
  }

  /** Answers a clock ping at once, at most MAX_PINGS_PER_SECOND a seat (see SeatClocks). */
  private clockPing(session: string, seat: string, bytes: Uint8Array): void {
    const pong = this.clocks.receive(seat, bytes, this.server.rttMs(session), Date.now());
    if (pong) this.sends.toSession(session, WORLD_CHANNEL.clock, pong, 'unreliable-no-delay');
  }

  private relayState(seat: string, bytes: Uint8Array): void {
    const relayed = this.relay!.relay(seat, bytes, Date.now());
    if (relayed) this.sends.toSeats(WORLD_CHANNEL.states, relayed, 'unreliable', seat);
  }

  /** Runs `receive`; a ShardlineError it throws rejects what the seat sent, and is counted. */
  private rejecting(receive: () => unknown): void {
    try {
      receive();
    } catch (error) {
      if (!isShardlineError(error)) throw error;
      this.rejected[error.code] = (this.rejected[error.code] ?? 0) + 1;
    }
  }

  /** Runs a game handler; what it throws is reported and the world goes on. */
  private guarded(where: string, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.setup.onHandlerError(error, `${this.kind.name} ${where}`);
    }
  }

  /** Whether the world keeps its players' records for the cluster (a persistent world of a shard). */
  get keepsPlayers(): boolean {
    return this.setup.homes !== undefined;
  }

  /** Whether a player with that client id sits (or waits) in a seat here. */
  hasPlayer(clientId: string): boolean {
    return this.playerByClient.has(clientId);
  }

  /** The seated players (for their records, when the shard saves). */
  seatedPlayers(): Iterable<Player> {
    return this.players.values();
  }

  private *seatedSessions(): Iterable<string> {
    for (const player of this.players.values()) if (player.session) yield player.session.session;
  }

  private rpcRouter(): RpcRouter {
    if (!this.router)
      throw new ShardlineError('VALUE_INVALID', `world kind ${this.kind.name} declares no RPC`);
    return this.router;
  }

  /** What the RPC router needs of this instance (see worldRouter). */
  private routerHost() {
    return {
      kind: this.kind,
      limits: this.setup.served.options.rpcLimits,
      sendToSeat: (seat: string, channel: number, bytes: Uint8Array, type: SendType) =>
        this.sends.toSeat(seat, channel, bytes, type),
      flushSoon: () => this.sends.flushSoon(),
      // After the current work: the router is still inside its receive.
      kickMisbehaving: (seat: string) =>
        queueMicrotask(() => {
          const player = this.players.get(seat);
          if (player) this.kick(player, 'misbehaving');
        }),
      playerOf: (seat: string) => this.players.get(seat),
      timeMs: () => this.timeMs,
      onHandlerError: this.setup.onHandlerError,
    };
  }
}

function noPortals(): ShardlineError {
  return new ShardlineError('PORTAL_UNKNOWN', 'this world keeps no players for a cluster: it has no portals');
}
