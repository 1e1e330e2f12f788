import { randomBytes } from 'node:crypto';
import {
  type AnyWorldKind,
  type DisconnectReason,
  MAX_WORLD_BYTES,
  ShardlineError,
  type WorldSummary,
} from '@shardline/core';
import type { GameServer, SessionInfo } from '../game-server.js';
import type { PlayerHomes } from './player-homes.js';
import type { WorldContext, WorldServer } from './serve-world.js';
import { WorldInstance, type WorldVisibility } from './world-instance.js';

/** How long a seat reserved for a client waits for its connection, ms. */
export const DEFAULT_RESERVATION_MS = 15_000;
/** How long an empty instance of a non-persistent kind lives on, ms. */
export const DEFAULT_DISPOSE_AFTER_MS = 10_000;
/** Largest creation options, as JSON, bytes. */
export const MAX_WORLD_OPTIONS_BYTES = 2048;
/** Most instances one process hosts; past it, creating one is WORLD_FULL. */
export const MAX_INSTANCES = 10_000;
/**
 * The runtime wakes at most this often by default, ms (WorldRuntimeOptions.updateMs): instances
 * whose ticks fall due within it of one another are updated in one wake-up.
 */
export const DEFAULT_UPDATE_MS = 5;

export interface WorldRuntimeOptions {
  server: GameServer;
  /** The kinds this process serves (serveWorld). */
  worlds: readonly WorldServer[];
  /** How long a seat reserved for a client waits for its connection, ms. Default 15,000. */
  reservationMs?: number;
  /** How long an empty non-persistent instance lives on, ms (a kind's disposeAfterMs overrides it). Default 10,000. */
  disposeAfterMs?: number;
  /** The inactivity timeout of the connections its tokens open, ms. Default 10,000. */
  connectionTimeoutMs?: number;
  /**
   * The runtime sleeps until an instance's tick falls due, and wakes at most once per `updateMs`
   * (then every instance due is updated): ticks of instances that fall due close together run
   * together, up to this late. Default DEFAULT_UPDATE_MS.
   */
  updateMs?: number;
  /** A game handler threw (the world goes on). Default: console.error. */
  onHandlerError?: (error: unknown, where: string) => void;
  /** An instance was created or disposed (logs, metrics). */
  onInstance?: (event: 'created' | 'disposed', instance: WorldInstance) => void;
  /** What setups are given besides their world (services, bus, logger); none by default. */
  context?: Partial<WorldContext>;
}

export interface CreateWorldOptions {
  /** The instance id (a persistent world's name, e.g. `forest`); random by default. */
  id?: string;
  /** Handed to the kind's setup as `world.options`: a JSON object of at most 2 KiB. */
  options?: Readonly<Record<string, unknown>>;
  /** Default 'public' (listed, matched by join-or-create). */
  visibility?: WorldVisibility;
  /** Default: the kind's `persistent`. */
  persistent?: boolean;
  /** Only these client ids may join (a lobby's or a match's members); makes it 'restricted'. */
  members?: readonly string[];
  /** Where its players live in the cluster (a persistent world of a shard keeps player records). */
  homes?: PlayerHomes;
  /**
   * Not disposed for being empty before this time, ms since the epoch (a lobby's instance waits for
   * members who connect late). Default: disposed once empty past the delay.
   */
  keepUntilMs?: number;
}

/** What a client needs to join an instance: where, and a connect token naming it. */
export interface WorldTicket {
  world: { id: string; kind: string };
  /** The connect token (PROTOCOL.md §10.1), naming the instance. */
  token: Uint8Array;
  /** Until when the token connects and the seat stays reserved, ms since the epoch. */
  expiresAtMs: number;
}

/** Who a ticket is for: the client id the token authenticates, and its user data (a services ticket). */
export interface TicketHolder {
  clientId: string;
  userData?: Uint8Array;
}

/**
 * The world instances of one process over its GameServer: creates them on demand (join-or-create,
 * create, a lobby's start, persistent worlds at start-up), routes each session to the instance its
 * connect token names, reserves seats for tokens it issues (a reservation not used in time frees its
 * place), drives every instance from one timer, and disposes the empty ones after a delay unless
 * they are persistent. Sessions whose token names no hosted world are disconnected
 * (`world-not-found`), and those a full world cannot seat too (`world-full`).
 */
export class WorldRuntime {
  private readonly kinds = new Map<string, WorldServer>();
  private readonly instances = new Map<string, WorldInstance>();
  /** The instance each connected session was routed to. */
  private readonly routes = new Map<string, WorldInstance>();
  /** When each empty instance was first seen empty, ms since the epoch. */
  private readonly emptySince = new Map<WorldInstance, number>();
  /** Instances kept even while empty until then, ms since the epoch (CreateWorldOptions.keepUntilMs). */
  private readonly keptUntilMs = new Map<WorldInstance, number>();
  private readonly tickObservers = new Set<(instance: WorldInstance, ms: number) => void>();
  private readonly reservationMs: number;
  private readonly updateMs: number;
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (Date.now, ms; +∞: none armed), and when the last one did. */
  private timerAtMs = Number.POSITIVE_INFINITY;
  private lastWakeMs = Number.NEGATIVE_INFINITY;
  private readonly wake = () => {
    this.timer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
    this.lastWakeMs = Date.now();
    this.update(this.lastWakeMs); // arms the next wake
  };

  constructor(private readonly options: WorldRuntimeOptions) {
    for (const served of options.worlds) {
      if (this.kinds.has(served.kind.name)) {
        throw new ShardlineError('VALUE_INVALID', `world kind ${served.kind.name} is served twice`);
      }
      this.kinds.set(served.kind.name, served);
    }
    this.reservationMs = options.reservationMs ?? DEFAULT_RESERVATION_MS;
    this.updateMs = options.updateMs ?? DEFAULT_UPDATE_MS;
    const { server } = options;
    server.onConnect = (info) => this.connected(info);
    server.onMessage = (session, channel, bytes) =>
      this.routes.get(session)?.received(session, channel, bytes);
    server.onDisconnect = (session, reason) => this.disconnected(session, reason);
  }

  /** The kinds served, by name. */
  get kindNames(): string[] {
    return [...this.kinds.keys()];
  }

  /** The kind served under `name`; WORLD_KIND_UNKNOWN if none. */
  kind(name: string): AnyWorldKind {
    return this.served(name).kind;
  }

  /** Every instance hosted now. */
  all(): WorldInstance[] {
    return [...this.instances.values()];
  }

  /** The instance with that id; WORLD_NOT_FOUND if none. */
  get(id: string): WorldInstance {
    const instance = this.instances.get(id);
    if (!instance) throw new ShardlineError('WORLD_NOT_FOUND', `no world ${JSON.stringify(id)} here`);
    return instance;
  }

  /** The instance with that id, if there is one. */
  find(id: string): WorldInstance | undefined {
    return this.instances.get(id);
  }

  /** The instance a session sits in (or waits to), if any. */
  instanceOf(session: string): WorldInstance | undefined {
    return this.routes.get(session);
  }

  /**
   * The public instances (of one kind, or all), oldest first, at most `limit` of them: what
   * `GET /v1/worlds` lists.
   */
  list(kind?: string, limit = Number.POSITIVE_INFINITY): WorldSummary[] {
    const listed: WorldSummary[] = [];
    for (const instance of this.instances.values()) {
      if (listed.length >= limit) break;
      if (instance.visibility === 'public' && (kind === undefined || instance.kind.name === kind))
        listed.push(instance.summary());
    }
    return listed;
  }

  /** Starts an instance of `kind` (WORLD_KIND_UNKNOWN, WORLD_OPTIONS_INVALID, VALUE_INVALID for a taken id). */
  create(kind: string, options: CreateWorldOptions = {}): WorldInstance {
    const served = this.served(kind);
    const id = options.id ?? this.newId();
    if (new TextEncoder().encode(id).length > MAX_WORLD_BYTES || id.length === 0) {
      throw new ShardlineError('VALUE_INVALID', `a world id is 1–${MAX_WORLD_BYTES} UTF-8 bytes`);
    }
    if (this.instances.has(id)) throw new ShardlineError('VALUE_INVALID', `world ${id} already exists`);
    if (this.instances.size >= MAX_INSTANCES) {
      throw new ShardlineError('WORLD_FULL', `this process hosts ${MAX_INSTANCES} worlds already`);
    }
    const instance = new WorldInstance({
      id,
      server: this.options.server,
      served,
      options: checkedOptions(options.options),
      visibility: options.members ? 'restricted' : (options.visibility ?? 'public'),
      members: options.members,
      persistent: options.persistent ?? served.kind.persistent,
      nowMs: Date.now(),
      context: {
        services: this.options.context?.services,
        bus: this.options.context?.bus,
        logger: this.options.context?.logger,
        cluster: this.options.context?.cluster,
      },
      onHandlerError: this.options.onHandlerError ?? ((error, where) => console.error(where, error)),
      ...(options.homes ? { homes: options.homes } : {}),
    });
    this.instances.set(id, instance);
    if (options.keepUntilMs !== undefined) this.keptUntilMs.set(instance, options.keepUntilMs);
    this.options.onInstance?.('created', instance);
    this.arm(); // its first tick may fall due before the wake armed
    return instance;
  }

  /**
   * The oldest public, unlocked instance of `kind` with a place for `clientId`, or a new one made
   * with `options` (never persistent, whatever the kind: made on demand, it ends when empty); a
   * place is reserved there for the client.
   */
  joinOrCreate(kind: string, holder: TicketHolder, options?: Readonly<Record<string, unknown>>): WorldTicket {
    this.served(kind);
    for (const instance of this.instances.values()) {
      if (
        instance.kind.name === kind &&
        instance.visibility === 'public' &&
        !instance.locked &&
        !instance.isDisposed &&
        instance.admits(holder.clientId)
      ) {
        return this.ticket(instance, holder);
      }
    }
    return this.ticket(this.create(kind, { persistent: false, ...(options ? { options } : {}) }), holder);
  }

  /**
   * Reserves a place in `instance` for the holder and issues its connect token (valid, like the
   * reservation, for reservationMs). WORLD_FULL if it has no place for the holder.
   */
  ticket(instance: WorldInstance, holder: TicketHolder): WorldTicket {
    if (instance.isDisposed) throw new ShardlineError('WORLD_NOT_FOUND', `world ${instance.id} has ended`);
    if (!instance.admits(holder.clientId)) {
      throw new ShardlineError('WORLD_FULL', `world ${instance.id} has no free seat`, { world: instance.id });
    }
    const expiresAtMs = Date.now() + this.reservationMs;
    instance.reserve(holder.clientId, expiresAtMs);
    this.emptySince.delete(instance);
    const token = this.options.server.issueToken({
      clientId: holder.clientId,
      ...(holder.userData ? { userData: holder.userData } : {}),
      world: instance.id,
      expiresInMs: this.reservationMs,
      ...(this.options.connectionTimeoutMs !== undefined
        ? { timeoutMs: this.options.connectionTimeoutMs }
        : {}),
    });
    return { world: { id: instance.id, kind: instance.kind.name }, token, expiresAtMs };
  }

  /**
   * Hears every instance update that ran ticks, with how long it took, ms (simulation, snapshots,
   * their hand-off); the result stops it.
   */
  observeTicks(observer: (instance: WorldInstance, ms: number) => void): () => void {
    this.tickObservers.add(observer);
    return () => this.tickObservers.delete(observer);
  }

  /**
   * Starts updating the instances from one timer, armed for the earliest instance's next tick (at
   * most once per `updateMs`): a wake-up per tick, none between ticks. Housekeeping (reservations,
   * seats past their grace, connections that never said hello, RPC replies overdue, empty
   * instances' disposal) runs at these updates, so at each instance's tick rate.
   */
  start(): void {
    this.running = true;
    this.arm();
  }

  /** Stops the timer and disposes every instance (their players hear `reason`). */
  stop(reason: DisconnectReason = 'server-shutting-down'): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = Number.POSITIVE_INFINITY;
    for (const instance of [...this.instances.values()]) this.dispose(instance, reason);
  }

  /** Ends an instance now: its game's dispose runs and anyone in it is disconnected. */
  dispose(instance: WorldInstance, reason: DisconnectReason = 'closed-by-server'): void {
    if (this.instances.get(instance.id) !== instance) return;
    this.instances.delete(instance.id);
    this.emptySince.delete(instance);
    this.keptUntilMs.delete(instance);
    instance.dispose(reason);
    this.options.onInstance?.('disposed', instance);
  }

  /** Runs every instance's due ticks, and disposes those empty past their delay. */
  update(nowMs: number): void {
    for (const instance of this.instances.values()) {
      if (instance.update(nowMs))
        for (const observe of this.tickObservers) observe(instance, instance.tickTimes.last);
      if (instance.persistent || !instance.empty || nowMs < (this.keptUntilMs.get(instance) ?? 0)) {
        this.emptySince.delete(instance);
        continue;
      }
      const since = this.emptySince.get(instance);
      if (since === undefined) this.emptySince.set(instance, nowMs);
      else if (nowMs - since >= this.disposeDelayOf(instance)) this.dispose(instance);
    }
    this.arm();
  }

  /**
   * Arms the timer for the earliest instance's next tick, but not sooner than `updateMs` after the
   * last wake-up; keeps one armed for then or sooner. Nothing hosted, nothing armed: create arms it.
   */
  private arm(): void {
    if (!this.running) return;
    let dueMs = Number.POSITIVE_INFINITY;
    for (const instance of this.instances.values()) dueMs = Math.min(dueMs, instance.nextTickAtMs);
    if (dueMs === Number.POSITIVE_INFINITY) return;
    const atMs = Math.max(dueMs, this.lastWakeMs + this.updateMs);
    if (this.timer !== undefined && this.timerAtMs <= atMs) return;
    clearTimeout(this.timer);
    this.timerAtMs = atMs;
    // Whole ms, rounded up: a timer never fires before its time is reached on Date.now's clock by
    // more than the event loop's own rounding (a wake-up with nothing due arms again).
    this.timer = setTimeout(this.wake, Math.max(0, Math.ceil(atMs - Date.now())));
  }

  private connected(info: SessionInfo): void {
    const instance = this.instances.get(info.world);
    const refusal: DisconnectReason | undefined = !instance
      ? 'world-not-found'
      : instance.admits(info.clientId)
        ? undefined
        : 'world-full';
    if (refusal) {
      // After the connect event is handled: the server is still reporting it.
      queueMicrotask(() => {
        if (this.options.server.info(info.session)) this.options.server.kick(info.session, refusal);
      });
      return;
    }
    this.routes.set(info.session, instance!);
    instance!.connected(info);
  }

  private disconnected(session: string, reason: DisconnectReason): void {
    const instance = this.routes.get(session);
    this.routes.delete(session);
    instance?.disconnected(session, reason);
  }

  private disposeDelayOf(instance: WorldInstance): number {
    return (
      this.kinds.get(instance.kind.name)!.options.disposeAfterMs ??
      this.options.disposeAfterMs ??
      DEFAULT_DISPOSE_AFTER_MS
    );
  }

  private served(kind: string): WorldServer {
    const served = this.kinds.get(kind);
    if (!served) throw new ShardlineError('WORLD_KIND_UNKNOWN', `no world kind ${JSON.stringify(kind)} here`);
    return served;
  }

  /** A fresh instance id: 10 characters of base 36 (about 51 bits: never guessed, never repeated). */
  private newId(): string {
    for (;;) {
      const id = randomBytes(8).readBigUInt64BE().toString(36).slice(0, 10).padStart(10, '0');
      if (!this.instances.has(id)) return id;
    }
  }
}

/** Creation options as given: a JSON object of at most MAX_WORLD_OPTIONS_BYTES, copied. */
function checkedOptions(options: unknown): Readonly<Record<string, unknown>> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ShardlineError('WORLD_OPTIONS_INVALID', 'world options must be a JSON object');
  }
  const json = JSON.stringify(options);
  if (new TextEncoder().encode(json).length > MAX_WORLD_OPTIONS_BYTES) {
    throw new ShardlineError(
      'WORLD_OPTIONS_INVALID',
      `world options are at most ${MAX_WORLD_OPTIONS_BYTES} bytes of JSON`,
    );
  }
  return Object.freeze(JSON.parse(json) as Record<string, unknown>);
}
