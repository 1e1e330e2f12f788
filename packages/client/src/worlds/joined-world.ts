import {
  type AnyEntitySchema,
  type AnyWorldKind,
  ClientWorld,
  type DisconnectReason,
  decodeInputAck,
  decodeSeatMessage,
  type EndpointStats,
  type EntitiesOf,
  type EventDefinition,
  type EventListener,
  type FieldMap,
  type FieldsOf,
  type InputOf,
  InputStream,
  isShardlineError,
  monotonicNowMs,
  type RedirectMessage,
  type Replica,
  type ReplicaSet,
  type RpcCalls,
  RpcClient,
  type RpcDefinition,
  type RpcHandler,
  type RpcsOf,
  rpcRoute,
  type SendType,
  type ServerCallContext,
  ShardlineError,
  type StateOf,
  StateProxies,
  StatePublisher,
  type StructValue,
  TimeSync,
  WORLD_CHANNEL,
  WORLD_RPC_CHANNELS,
  type WorldRef,
} from '@shardline/core';
import type { GameClient } from '../game-client.js';
import { type InterpolationOptions, WorldInterpolation } from './world-interpolation.js';
import { requestSeat } from './world-link.js';
import { type PredictionOptions, WorldPrediction } from './world-prediction.js';

/** Timers exist in browsers and Node alike; core's ES-only typings do not declare them. */
const timers = globalThis as unknown as {
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(run: () => void, ms: number): unknown;
  queueMicrotask(run: () => void): void;
};

/** How often clock pings are considered and overdue calls failed, ms. */
const HOUSEKEEPING_MS = 50;
/** Inputs each input-stream message repeats (a lost packet loses none of them). */
const INPUT_REDUNDANCY = 4;
/** Input acknowledgements kept by tick, to pair with the snapshot of the same tick. */
const ACKS_KEPT = 32;
/** The least time one rejoin attempt is given to connect, ms (even past the rejoin deadline: one try). */
const MIN_REJOIN_ATTEMPT_MS = 1_000;
/** Waits between rejoin attempts, ms: doubling from the first, capped at the last. */
const REJOIN_BACKOFF_MS = [250, 500, 1_000, 2_000] as const;

export type WorldState = 'connected' | 'reconnecting' | 'moving' | 'left';

/** A move through a portal, as `onMigrated` tells it. */
export interface WorldMigration {
  /** The instance id of the world left. */
  from: string;
  /** The world now joined: this same handle when its kind is the same, else a new one (this one has left). */
  world: JoinedWorld<AnyWorldKind>;
  /** The portal it arrived at there. */
  portal: string;
}

export interface JoinedWorldOptions<K extends AnyWorldKind> {
  kind: K;
  world: WorldRef;
  /**
   * Opens a connected GameClient to the world with a fresh connect token: the first join and each
   * rejoin (which gives it `timeoutMs` to connect: GameClient.connect's option).
   */
  connect: (timeoutMs?: number) => Promise<GameClient>;
  /**
   * The world the last `connect` reached, when it may differ from the one asked for (a cluster
   * seats a player where its directory holds it): a rejoin that lands in another world follows it.
   */
  connectedWorld?: () => string | undefined;
  /** How long after a dropped link it keeps trying to take its seat back, ms. Default 30,000 (the server's grace). */
  rejoinWithinMs?: number;
  /**
   * Connects with a redirect's token to one of its addresses (a move through a portal to a world of
   * the same kind). Without it, a redirect ends the world ('migrated').
   */
  follow?: (redirect: RedirectMessage, timeoutMs: number) => Promise<GameClient>;
  /** Joins the world a redirect names when its kind is another one (a new handle), if this client knows the kind. */
  followOther?: (redirect: RedirectMessage) => Promise<JoinedWorld<AnyWorldKind>> | undefined;
  /** How long an RPC call waits for its reply, ms. Default 5,000. */
  replyTimeoutMs?: number;
  /** This client's monotonic clock, ms. Default performance.now. */
  now?: () => number;
}

/**
 * A world this client joined, typed by its kind: its entities (replica sets with spawn, dirty and
 * despawn events), this client's seat and own entities, typed RPC (`world.rpc.fire({...})`) and
 * events, input and state sending, the server's clock, and prediction and interpolation helpers.
 * When its link drops it takes its seat back on its own (a fresh token, the seat's reconnect token),
 * for up to `rejoinWithinMs`; `onLeave` says when it is gone for good, and why.
 */
export class JoinedWorld<K extends AnyWorldKind> {
  readonly kind: K;
  /** The client's copy of the world: snapshots decoded into replicas. */
  readonly view: ClientWorld;
  /** Typed calls of the kind's to-server RPCs: `await world.rpc.fire({ … })`. */
  readonly rpc: RpcCalls<RpcsOf<K>>;
  /** Every other seat's latest published state (present when the kind declares a state template). */
  readonly proxies: K['state'] extends AnyEntitySchema ? StateProxies : undefined;
  /** A newer snapshot is shown: its tick (entities have their new values; events have fired). */
  onSnapshot: ((tick: number) => void) | undefined;
  /** Another player's seat was given up, and why. */
  onPlayerLeft: ((seat: string, reason: DisconnectReason) => void) | undefined;
  /** This client's own entities changed (gained or lost). */
  onOwnedChanged: (() => void) | undefined;
  /** The link dropped; it is trying to take its seat back. */
  onReconnecting: ((reason: DisconnectReason) => void) | undefined;
  /**
   * It is back after a dropped link: in the seat it held (`resumed`), or, if the server had given
   * that seat up meanwhile (its grace period ended), in a new one (`seat` changed; its own entities
   * are new ones) — in another world if the player moved meanwhile (`id` changed: a cluster seats
   * a player where it holds it; the view was reset as for `onMigrated`).
   */
  onRejoined: ((resumed: boolean) => void) | undefined;
  /** It is out of the world for good: left, kicked, the server stopped, or rejoining failed. */
  onLeave: ((reason: DisconnectReason) => void) | undefined;
  /**
   * It went through a portal (the server redirected it): now in `migration.world` — this handle,
   * reset (a new `id` and `seat`, every old entity despawned with its event, interpolation and
   * prediction started afresh so nothing jumps), when the kind is the same; else a new handle.
   */
  onMigrated: ((migration: WorldMigration) => void) | undefined;
  private worldId: string;
  private clock = new TimeSync();
  private client: GameClient;
  private seatId: string;
  private reconnectToken: Uint8Array;
  private current: WorldState = 'connected';
  private readonly rpcClient: RpcClient<RpcsOf<K>> | undefined;
  private readonly owned = new Set<number>();
  private inputs: InputStream<FieldMap> | undefined;
  private readonly publisher: StatePublisher<NonNullable<K['state']>> | undefined;
  /** Input acknowledgements by tick (PROTOCOL.md §12.1): inputs applied up to that tick's snapshot. */
  private readonly inputAcks = new Map<number, number>();
  private readonly predictions = new Set<WorldPrediction<unknown, K>>();
  private readonly interpolations = new Set<WorldInterpolation<unknown>>();
  private readonly now: () => number;
  private timer: unknown;
  private flushQueued = false;
  /** RPC messages held until the joining code has set up its handlers (see open), in order. */
  private heldRpc: Uint8Array[] | undefined;
  private viewDelayMs: number | undefined;

  private constructor(
    private readonly options: JoinedWorldOptions<K>,
    client: GameClient,
    seated: { seat: string; token: Uint8Array },
  ) {
    this.kind = options.kind;
    this.worldId = options.world.id;
    this.now = options.now ?? monotonicNowMs;
    this.view = new ClientWorld({ schemas: this.kind.entities });
    this.client = client;
    this.seatId = seated.seat;
    this.reconnectToken = seated.token;
    const catalog = this.kind.rpc;
    this.rpcClient =
      catalog &&
      new RpcClient<RpcsOf<K>>({
        catalog,
        ...(options.replyTimeoutMs !== undefined ? { replyTimeoutMs: options.replyTimeoutMs } : {}),
        send: (bytes, delivery) => {
          const { channel, type } = rpcRoute(WORLD_RPC_CHANNELS, delivery);
          this.send(channel, bytes, type);
          this.flushSoon();
        },
      });
    this.rpc = (this.rpcClient?.call ?? {}) as RpcCalls<RpcsOf<K>>;
    this.inputs = this.kind.input && new InputStream(this.kind.input, INPUT_REDUNDANCY);
    this.proxies = (this.kind.state && new StateProxies(this.kind.state)) as this['proxies'];
    this.publisher = this.kind.state && new StatePublisher(this.kind.state);
    this.watch(client);
  }

  /** Connects and takes a seat; rejects with a stable code (see requestSeat) if the server will not seat it. */
  static async open<K extends AnyWorldKind>(options: JoinedWorldOptions<K>): Promise<JoinedWorld<K>> {
    const client = await options.connect();
    const early: [number, Uint8Array][] = [];
    let world: JoinedWorld<K> | undefined;
    const seated = await requestSeat(client, options.kind, undefined, (channel, bytes) => {
      if (world) world.received(channel, bytes);
      else early.push([channel, bytes]); // in the welcome's packet: kept for the world made next
    });
    const joined = new JoinedWorld(options, client, seated);
    world = joined;
    // Calls and events from the server wait until the code awaiting this join has run (a macrotask
    // later), so the handlers and listeners it sets up hear those sent in the game's `join`.
    joined.heldRpc = [];
    timers.setTimeout(() => joined.releaseRpc(), 0);
    for (const [channel, bytes] of early) joined.received(channel, bytes);
    return joined;
  }

  /** The instance id (share it: others join by id); another one after a move through a portal. */
  get id(): string {
    return this.worldId;
  }

  /** The server's clock as this client estimates it (`time.serverTimeMs(now)`); a new one after a move. */
  get time(): TimeSync {
    return this.clock;
  }

  /** This client's seat id (what other clients know it by). */
  get seat(): string {
    return this.seatId;
  }

  get state(): WorldState {
    return this.current;
  }

  /** One entity schema's replicas: `world.entities(Fighter).onSpawn(…)`, `.get(id)?.state`. */
  entities<S extends EntitiesOf<K>>(schema: S): ReplicaSet<FieldsOf<S>> {
    return this.view.replicas(schema as never) as unknown as ReplicaSet<FieldsOf<S>>;
  }

  /** The ids of the entities this client owns (the server gave it their input), shown or not yet. */
  get ownedIds(): ReadonlySet<number> {
    return this.owned;
  }

  /** This client's own entities of one schema that the newest snapshot shows. */
  mine<S extends EntitiesOf<K>>(schema: S): Replica<FieldsOf<S>>[] {
    const set = this.entities(schema);
    const out: Replica<FieldsOf<S>>[] = [];
    for (const id of this.owned) {
      const replica = set.get(id);
      if (replica) out.push(replica);
    }
    return out;
  }

  /** This client's first own entity of one schema (its avatar, usually), once shown. */
  me<S extends EntitiesOf<K>>(schema: S): Replica<FieldsOf<S>> | undefined {
    return this.mine(schema)[0];
  }

  /** Hears an event of the kind's catalog (from the server, or another player through it). */
  on<P extends FieldMap>(event: EventDefinition<P>, listener: EventListener<P>): () => void {
    return this.rpcOf().on(event, listener);
  }

  /** Answers a to-client RPC of the kind's catalog. */
  handle<P extends FieldMap, R extends FieldMap | undefined>(
    rpc: RpcDefinition<P, R>,
    handler: RpcHandler<P, R, ServerCallContext>,
  ): void {
    this.rpcOf().handle(rpc, handler);
  }

  /** Sends an event of the kind's catalog to the server, or (`broadcast`) through it to every player. */
  emit<P extends FieldMap>(
    event: EventDefinition<P>,
    params: StructValue<P>,
    options: { broadcast?: boolean; inOrder?: boolean } = {},
  ): void {
    const rpc = this.rpcOf();
    const { inOrder } = options;
    if (options.broadcast) rpc.broadcastEvent(event, params, inOrder === undefined ? {} : { inOrder });
    else rpc.sendEventToPrimary(event, params, inOrder === undefined ? {} : { inOrder });
  }

  /**
   * Sends this tick's input (the kind's input template; call it once per tick, at the kind's tick
   * rate); returns its sequence number. Predictions made with `predict` apply it at once.
   */
  sendInput(input: InputOf<K>): number {
    if (!this.inputs)
      throw new ShardlineError('VALUE_INVALID', `world kind ${this.kind.name} declares no input`);
    const sequence = this.inputs.push(input as never);
    for (const prediction of this.predictions) prediction.applied(sequence, input, this.kind.tickMs);
    if (this.current === 'connected') {
      this.send(WORLD_CHANNEL.input, this.inputs.message()!, 'unreliable');
      this.flushSoon();
    }
    return sequence;
  }

  /** Publishes this client's state template (kinds with one), stamped with the server time now. */
  publishState(state: StateOf<K>): void {
    if (!this.publisher)
      throw new ShardlineError('VALUE_INVALID', `world kind ${this.kind.name} declares no state`);
    if (this.current !== 'connected') return;
    const timeMs = this.time.synchronized ? this.time.serverTimeMs(this.now()) : 0;
    this.send(WORLD_CHANNEL.states, this.publisher.encode(state as never, timeMs), 'unreliable');
  }

  /**
   * Predicts this client's own entity of `options.schema` from its inputs: each `sendInput` applies
   * at once, and each snapshot with the input acknowledgement of its tick reconciles.
   */
  predict<V, S extends EntitiesOf<K> = EntitiesOf<K>>(
    options: PredictionOptions<V, K, S>,
  ): WorldPrediction<V, K> {
    const prediction = new WorldPrediction<V, K>(this as never, options as never);
    this.predictions.add(prediction as never);
    return prediction;
  }

  /** Interpolates the entities of one schema (others' by default) between snapshots, on the server's timeline. */
  interpolate<V, S extends EntitiesOf<K> = EntitiesOf<K>>(
    schema: S,
    options: InterpolationOptions<V, S>,
  ): WorldInterpolation<V> {
    const interpolation = new WorldInterpolation<V>(
      this.kind,
      (id) => this.owned.has(id),
      this.entities(schema) as never,
      options as never,
    );
    this.interpolations.add(interpolation as never);
    return interpolation;
  }

  /** The input acknowledged for a snapshot tick, if its acknowledgement arrived. */
  inputAckedAt(tick: number): number | undefined {
    return this.inputAcks.get(tick);
  }

  /**
   * How far behind the newest snapshots this client draws the world, ms: reported with clock pings
   * (the server's dashboard shows each client's lag from it). Interpolations set it themselves.
   */
  reportViewDelay(delayMs: number): void {
    this.viewDelayMs = delayMs;
  }

  /** The connection's figures (RTT, loss, bandwidth), while connected. */
  stats(): EndpointStats | undefined {
    return this.client.stats();
  }

  /** Leaves the world (the server gives the seat up at once); resolves once the leave is sent. */
  async leave(): Promise<void> {
    if (this.current === 'left') return;
    this.ended('closed-by-client');
    this.client.disconnect();
  }

  // ── Inside ─────────────────────────────────────────────────────────────────────────────────────

  private watch(client: GameClient): void {
    client.onMessage = (channel, bytes) => this.received(channel, bytes);
    client.onDisconnect = (reason) => this.linkEnded(client, reason);
    this.timer ??= timers.setInterval(() => this.housekeeping(), HOUSEKEEPING_MS);
  }

  private received(channel: number, bytes: Uint8Array): void {
    switch (channel) {
      case WORLD_CHANNEL.control:
        this.control(bytes);
        break;
      case WORLD_CHANNEL.snapshot:
        this.snapshot(bytes);
        break;
      case WORLD_CHANNEL.clock:
        ignoringMalformed(() => this.time.receivePong(bytes, this.now()));
        break;
      case WORLD_CHANNEL.input:
        ignoringMalformed(() => this.inputAck(bytes));
        break;
      case WORLD_CHANNEL.states:
        ignoringMalformed(() => this.proxies?.receive(bytes));
        break;
      case WORLD_CHANNEL.rpcOrdered:
      case WORLD_CHANNEL.rpcUnordered:
      case WORLD_CHANNEL.rpcUnreliable:
        if (this.heldRpc) this.heldRpc.push(bytes);
        else this.rpcClient?.receive(bytes);
        break;
      default:
        break; // snapshots' acks and pings go the other way
    }
  }

  private releaseRpc(): void {
    const held = this.heldRpc ?? [];
    this.heldRpc = undefined;
    for (const bytes of held) this.rpcClient?.receive(bytes);
  }

  private control(bytes: Uint8Array): void {
    const message = ignoringMalformed(() => decodeSeatMessage(bytes));
    if (message?.type === 'left') {
      this.proxies?.remove(message.seat);
      this.onPlayerLeft?.(message.seat, message.reason);
    } else if (message?.type === 'redirect') {
      void this.migrate(message);
    } else if (message?.type === 'owns') {
      for (const id of message.entities) {
        if (message.gained) this.owned.add(id);
        else this.owned.delete(id);
      }
      this.onOwnedChanged?.();
    }
  }

  private snapshot(bytes: Uint8Array): void {
    const result = this.view.receive(bytes);
    if (result.kind === 'applied') {
      const arrivalMs = this.now();
      for (const interpolation of this.interpolations) interpolation.snapshot(result.tick, arrivalMs);
      for (const prediction of this.predictions) prediction.snapshot(result.tick, arrivalMs);
      this.onSnapshot?.(result.tick);
    }
    // Over a reliable transport the server counts every snapshot as acknowledged once sent (§11).
    if (!('ack' in result) || this.client.capabilities.reliable) return;
    const ack = new Uint8Array(4);
    new DataView(ack.buffer).setUint32(0, result.ack, true);
    this.send(WORLD_CHANNEL.clock, ack, 'unreliable');
  }

  private inputAck(bytes: Uint8Array): void {
    const { tick, sequence } = decodeInputAck(bytes);
    this.inputs?.acknowledge(sequence);
    this.inputAcks.set(tick, sequence);
    if (this.inputAcks.size > ACKS_KEPT) this.inputAcks.delete(this.inputAcks.keys().next().value!);
    // The snapshot of that tick may already be shown: reconcile with it now.
    if (tick === this.view.tick)
      for (const prediction of this.predictions) prediction.snapshot(tick, this.now());
  }

  private housekeeping(): void {
    if (this.current !== 'connected') return;
    const delayMs = this.viewDelayMs ?? firstDelay(this.interpolations);
    const ping = this.time.update(this.now(), delayMs);
    if (ping) {
      this.send(WORLD_CHANNEL.clock, ping, 'unreliable-no-delay');
    }
    this.rpcClient?.update();
  }

  private linkEnded(client: GameClient, reason: DisconnectReason): void {
    if (client !== this.client || this.current === 'left' || this.current === 'moving') return;
    // `migrated` without a redirect first: the player moved, but its new world's token did not come
    // with it. A rejoin asks for a seat again, and the cluster seats it where it holds it.
    if (reason !== 'timeout' && reason !== 'link-lost' && reason !== 'migrated') {
      this.ended(reason);
      return;
    }
    this.current = 'reconnecting';
    this.onReconnecting?.(reason);
    void this.rejoin(reason);
  }

  /** Tries to take the seat back until it works, the server says no, or rejoinWithinMs is over. */
  private async rejoin(reason: DisconnectReason): Promise<void> {
    const deadline = this.now() + (this.options.rejoinWithinMs ?? 30_000);
    for (let attempt = 0; this.current === 'reconnecting'; attempt++) {
      try {
        const client = await this.options.connect(Math.max(deadline - this.now(), MIN_REJOIN_ATTEMPT_MS));
        if (this.current !== 'reconnecting') {
          client.disconnect(); // left meanwhile
          return;
        }
        // The new link from now on: what arrives with the welcome is answered on it (acks).
        this.client = client;
        const landed = this.options.connectedWorld?.();
        if (landed !== undefined && landed !== this.worldId) this.resetForNewWorld(landed);
        // Once seated the server tells the seat everything it owns (a resumed seat: what it owns now;
        // a new one: what its join gave it), possibly in the welcome's own packet: forget the old set
        // before the first message after the welcome, not after this await.
        let forgotten = false;
        const forgetOwned = () => {
          if (forgotten) return;
          forgotten = true;
          this.owned.clear();
        };
        const seated = await requestSeat(client, this.kind, this.reconnectToken, (channel, bytes) => {
          forgetOwned();
          this.received(channel, bytes);
        });
        forgetOwned();
        this.seatId = seated.seat;
        this.reconnectToken = seated.token;
        this.watch(client);
        this.current = 'connected';
        this.onRejoined?.(seated.resumed);
        return;
      } catch (error) {
        const final =
          isShardlineError(error) &&
          ['WORLD_NOT_FOUND', 'PROTOCOL_MISMATCH', 'WORLD_KIND_UNKNOWN', 'AUTH_SESSION_ENDED'].includes(
            error.code,
          );
        if (final || this.now() >= deadline) {
          this.ended(reason);
          return;
        }
      }
      const waitMs = REJOIN_BACKOFF_MS[Math.min(attempt, REJOIN_BACKOFF_MS.length - 1)]!;
      await new Promise((resolve) => timers.setTimeout(() => resolve(undefined), waitMs));
    }
  }

  /**
   * The server moved the player to another world (PROTOCOL.md §13 `redirect`): connects there with
   * the redirect's token and takes the new seat. Same kind: this handle follows, reset; another kind
   * this client knows: a new handle, and this one leaves ('migrated'); else it leaves.
   */
  private async migrate(redirect: RedirectMessage): Promise<void> {
    if (this.current !== 'connected') return;
    const from = this.worldId;
    this.current = 'moving';
    const old = this.client;
    if (redirect.kind !== this.kind.name || !this.options.follow) {
      const next = await this.options.followOther?.(redirect)?.catch(() => undefined);
      old.disconnect();
      this.ended('migrated');
      if (next) this.onMigrated?.({ from, world: next, portal: redirect.portal });
      return;
    }
    try {
      const client = await this.options.follow(redirect, this.options.rejoinWithinMs ?? 30_000);
      old.disconnect();
      this.client = client;
      this.resetForNewWorld(redirect.world);
      const seated = await requestSeat(client, this.kind, undefined, (channel, bytes) =>
        this.received(channel, bytes),
      );
      this.seatId = seated.seat;
      this.reconnectToken = seated.token;
      this.watch(client);
      this.current = 'connected';
      this.onMigrated?.({ from, world: this as never, portal: redirect.portal });
    } catch {
      // The new world could not be reached or the link dropped while taking the seat: ask for a
      // seat again (the cluster seats the player where it holds it), as after any dropped link.
      old.disconnect();
      this.current = 'reconnecting';
      this.onReconnecting?.('migrated');
      void this.rejoin('migrated');
    }
  }

  /** Forgets the world left: its entities (despawned, with events), clock, seats, inputs and calls. */
  private resetForNewWorld(worldId: string): void {
    this.worldId = worldId;
    this.view.reset();
    this.owned.clear();
    this.clock = new TimeSync();
    this.inputAcks.clear();
    this.inputs = this.kind.input && new InputStream(this.kind.input, INPUT_REDUNDANCY);
    this.proxies?.clear();
    this.rpcClient?.close(); // calls awaiting the old world's reply fail with RPC_TIMEOUT
    for (const interpolation of this.interpolations) interpolation.reset();
    for (const prediction of this.predictions) prediction.reset();
    this.onOwnedChanged?.();
  }

  private ended(reason: DisconnectReason): void {
    if (this.current === 'left') return;
    this.current = 'left';
    timers.clearInterval(this.timer);
    this.timer = undefined;
    this.rpcClient?.close();
    this.onLeave?.(reason);
  }

  /**
   * Sends on the current link, if it is up. While the world reconnects (or after it left) nothing is
   * sent: an input or state is superseded by the next, and a call awaiting a reply fails with
   * RPC_TIMEOUT (as one lost with the link would).
   */
  private send(channel: number, bytes: Uint8Array, type: SendType): void {
    if (this.client.state === 'connected') this.client.send(channel, bytes, type);
  }

  private rpcOf(): RpcClient<RpcsOf<K>> {
    if (!this.rpcClient)
      throw new ShardlineError('VALUE_INVALID', `world kind ${this.kind.name} declares no RPC`);
    return this.rpcClient;
  }

  /** Calls and events made in this turn leave together at its end, not at the next connection tick. */
  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    timers.queueMicrotask(() => {
      this.flushQueued = false;
      this.client.flush();
    });
  }
}

function firstDelay(interpolations: Set<WorldInterpolation<unknown>>): number | undefined {
  for (const interpolation of interpolations) return interpolation.delayMs;
  return undefined;
}

/** Runs `decode`; bytes from the server that do not decode are dropped (undefined). */
function ignoringMalformed<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (error) {
    if (isShardlineError(error)) return undefined;
    throw error;
  }
}
