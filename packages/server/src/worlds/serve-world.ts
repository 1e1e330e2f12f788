import type {
  AnyEntitySchema,
  AnyWorldKind,
  DisconnectReason,
  EntitiesOf,
  EntityId,
  EventDeclaration,
  EventDefinition,
  FieldMap,
  Infer,
  InputOf,
  ReplyOf,
  RpcDeclaration,
  RpcDefinition,
  RpcRouterOptions,
  RpcsOf,
  ServerWorldOptions,
  StructValue,
  Viewpoint,
} from '@shardline/core';
import type { Logger } from 'pino';
import type { ClusterBus } from '../bus/index.js';
import type { Shard } from '../cluster/shard.js';
import type { OnlineServices } from '../runtime/online-services.js';
import type { Player } from './player.js';
import type { RestoredWorld } from './world-save.js';

/** What a world's setup may use besides the world: the process's services, bus, logger and shard. */
export interface WorldContext {
  /** The online services (submit scores, unlock achievements), when the process runs them. */
  services: OnlineServices | undefined;
  /** The process's cluster bus, when it has one. */
  bus: ClusterBus | undefined;
  logger: Logger | undefined;
  /**
   * The shard this world runs on, when the process is one of a cluster: world availability, shard
   * RPC, global events (`cluster.onEvent`, `cluster.report`) and the master's world settings.
   */
  cluster: Shard | undefined;
}

/** What a world's RPC handler learns besides the parameters: who called, and when (server time, ms). */
export interface PlayerCall {
  player: Player;
  /** The world's time when the call is handled (tick × tick length), ms. */
  timeMs: number;
}

/** Typed handlers for a kind's to-server RPCs (only those): `rpc: { fire: (shot, call) => ({ victim: '' }) }`. */
export type WorldRpcHandlers<D> = {
  // biome-ignore lint/suspicious/noExplicitAny: matches declarations of any shape
  [K in keyof D as D[K] extends RpcDeclaration<any, any, 'to-server'>
    ? K
    : never]?: D[K] extends RpcDeclaration<infer P, infer R>
    ? (params: StructValue<P>, call: PlayerCall) => ReplyOf<R>
    : never;
};

/** Typed listeners for the events players send: `events: { chat: (message, from) => … }`. */
export type WorldEventListeners<D> = {
  // biome-ignore lint/suspicious/noExplicitAny: matches declarations of any shape
  [K in keyof D as D[K] extends EventDeclaration<any> ? K : never]?: D[K] extends EventDeclaration<infer P>
    ? (params: StructValue<P>, from: { player: Player; timeMs: number }) => void
    : never;
};

/**
 * What a world instance does, returned by its kind's setup for each new instance (closures over the
 * instance keep its own state). Every callback runs on the process's event loop, one at a time;
 * `input` and `tick` run inside the world's tick, the others between ticks.
 */
export interface WorldHandlers<K extends AnyWorldKind> {
  /** A new player took a seat: spawn what it plays (`world.spawn(Fighter, {...}, { owner: player })`). */
  join?(player: Player): void;
  /** A player's link dropped: its seat waits for it (the grace period), its entities stay. */
  drop?(player: Player): void;
  /** A player whose link dropped came back to its seat within the grace period. */
  rejoin?(player: Player): void;
  /** A seat was given up: despawn what the player owned. 'timeout' when its grace period ran out. */
  leave?(player: Player, reason: DisconnectReason): void;
  /** A player's input for this tick (the kind's input template), in sequence order, one per tick. */
  input?(player: Player, input: InputOf<K>): void;
  /** One simulation step, after this tick's inputs and before its snapshot. */
  tick?(dtMs: number, tick: number): void;
  /** The instance is going away (empty past its delay, or the server stops). */
  dispose?(): void;
  /**
   * The game's own data for this world's saves (a persistent world of a shard, saved periodically
   * and on shutdown): a JSON object. Entities no player owns are saved without it.
   */
  save?(): Record<string, unknown>;
  /** A save was loaded into this new instance: its entities are back (with new ids); restore the rest. */
  restore?(saved: RestoredWorld): void;
  /**
   * The game's own record of a player (inventory, stats: a JSON object), taken when the player
   * leaves through a portal, gives up its seat, or the shard saves (a cluster's persistent worlds).
   * The entities the player owns travel and are kept with it without this.
   */
  savePlayer?(player: Player): Record<string, unknown>;
  /**
   * A player whose record this world holds took a seat: it came through a portal (`arrival.portal`
   * says which one here: place it there), or came back to a world that kept its record. Its
   * entities are spawned again and owned by it already (with new ids); restore the rest from
   * `arrival.data`. Called instead of `join`.
   */
  arrive?(player: Player, arrival: PlayerArrival): void;
  /** Handlers of the kind's to-server RPCs (each may be async; its return value is the reply). */
  rpc?: WorldRpcHandlers<RpcsOf<K>>;
  /** Listeners of the events players send (to the server, or broadcast: the server hears those too). */
  events?: WorldEventListeners<RpcsOf<K>>;
}

/** What a world's `arrive` handler is given (see WorldHandlers.arrive). */
export interface PlayerArrival {
  /** What the `savePlayer` handler of the world the player left returned. */
  data: Record<string, unknown>;
  /** Each entity id the player's record held → its id here. */
  entities: ReadonlyMap<number, number>;
  /** The portal it came through, here; undefined when it came back by joining. */
  portal: string | undefined;
  /** The world and portal it left through; undefined when it came back by joining. */
  from: { world: string; portal: string } | undefined;
}

/** A portal of a world, as its shard sees it now (docs/cluster/CLUSTER.md §8). */
export interface PortalState {
  id: string;
  /** The world and portal it leads to. */
  to: { world: string; portal: string };
  /** Open: the other world is available, not full, and pairs back to this portal. */
  open: boolean;
  /** Why it is closed. */
  closed?: 'unavailable' | 'full' | 'unpaired';
}

/** The world instance as game code sees it: typed by its kind. */
export interface HostedWorld<K extends AnyWorldKind> {
  /** The instance id clients join it by (`joinById`). */
  readonly id: string;
  readonly kind: K;
  /** The options it was created with (JSON from the client, a lobby or the config). */
  readonly options: Readonly<Record<string, unknown>>;
  /** The last completed tick. */
  readonly tick: number;
  /** The world's clock: tick × tick length, ms (what clients' render times and lag compensation use). */
  readonly timeMs: number;
  /** Seated players by seat, including those whose link dropped (their seat waits). */
  readonly players: ReadonlyMap<string, Player>;
  /** Adds an entity (fields left out take defaults); `owner` gives a player its input and shows it as theirs. */
  spawn<S extends EntitiesOf<K>>(
    schema: S,
    state: Partial<Infer<S>>,
    options?: { owner?: Player },
  ): EntityId<S>;
  /** Changes fields of an entity, typed by its schema; VALUE_INVALID names a bad field or value. */
  set<S extends AnyEntitySchema>(id: EntityId<S>, values: Partial<Infer<S>>): void;
  /** The same as `set` (the name Colyseus users and `SnapshotBuilder` know). */
  patch<S extends AnyEntitySchema>(id: EntityId<S>, values: Partial<Infer<S>>): void;
  /**
   * An entity's state as it is now: what `spawn` and `set` wrote this tick included (an entity
   * spawned in `join` or `arrive` is there at once); undefined once despawned.
   */
  get<S extends AnyEntitySchema>(id: EntityId<S>): Infer<S> | undefined;
  despawn(id: number): void;
  /** Gives a player an entity (it appears in that client's own entities), or takes it back. */
  setOwner(id: number, player: Player | undefined): void;
  ownerOf(id: number): Player | undefined;
  /** What a player sees, with interest management (`serveWorld(..., { interest })`): within `radius` of (x, y). */
  setViewpoint(player: Player, viewpoint: Viewpoint | undefined): void;
  /** Sends an event to every player (reliable; in order with the other ordered messages by default). */
  broadcast<P extends FieldMap>(
    event: EventDefinition<P>,
    params: StructValue<P>,
    options?: { inOrder?: boolean },
  ): void;
  /** Calls a to-all RPC (declared `direction: 'to-all'`, no reply) on every player. */
  callAll<P extends FieldMap>(rpc: RpcDefinition<P, undefined>, params: StructValue<P>): void;
  /** Calls a to-client RPC on one player; resolves with its reply when it declares one. */
  call<P extends FieldMap, R extends FieldMap | undefined>(
    player: Player,
    rpc: RpcDefinition<P, R>,
    params: StructValue<P>,
  ): R extends FieldMap ? Promise<StructValue<R>> : undefined;
  /** Disconnects a player ('kicked' unless said otherwise); its seat is given up. */
  kick(player: Player, reason?: DisconnectReason): void;
  /** Public facts about the instance shown in `GET /v1/worlds` (JSON, at most 1 KiB). */
  setMetadata(metadata: Readonly<Record<string, unknown>>): void;
  readonly metadata: Readonly<Record<string, unknown>>;
  /**
   * Moves a player through a portal of this world to the paired world (on any shard of the
   * cluster), exactly once: resolves once the cluster's directory says the other world holds the
   * player (its client is redirected there and its seat here is given up with reason `migrated`,
   * its entities despawned); rejects, the player staying here unchanged, with PORTAL_UNKNOWN,
   * PORTAL_CLOSED, PORTAL_COOLDOWN, MIGRATION_BUSY or MIGRATION_FAILED. While it moves the player's
   * inputs and calls are ignored.
   */
  migrate(player: Player, portal: string): Promise<void>;
  /** A portal of this world and whether it is open (PORTAL_UNKNOWN if the cluster pairs none here). */
  portal(id: string): PortalState;
  /** The portals of this world (those the cluster's pairs name here). */
  readonly portals: readonly string[];
  /** A locked instance takes no more players through join-or-create (a match under way). */
  lock(): void;
  unlock(): void;
  readonly locked: boolean;
}

/** How the server runs a kind, beside its handlers. */
export interface ServeWorldOptions {
  /** How long a player whose link dropped keeps its seat, ms. Default 30,000. */
  graceMs?: number;
  /** How long an empty instance of a non-persistent kind lives on, ms. Default: the runtime's (10,000). */
  disposeAfterMs?: number;
  /** Interest management (see ServerWorldOptions.interest). */
  interest?: ServerWorldOptions['interest'];
  /** Bytes one snapshot may take per client (see ServerWorldOptions.snapshotBudgetBytes). */
  snapshotBudgetBytes?: number;
  /** Limits of the RPC router (rates, abuse threshold, reply timeout). */
  rpcLimits?: Omit<RpcRouterOptions, 'catalog' | 'send'>;
  /** Inputs held before the first is applied (the jitter buffer of each input stream). Default 2. */
  inputDepth?: number;
}

/** A kind as the server runs it: the shared declaration, the game's setup per instance, and options. */
export interface WorldServer<K extends AnyWorldKind = AnyWorldKind> {
  readonly kind: K;
  /** Runs once per new instance (a method: a WorldServer of any kind is a WorldServer). */
  setup(world: HostedWorld<K>, context: WorldContext): WorldHandlers<K>;
  readonly options: ServeWorldOptions;
}

/**
 * Serves a world kind: `setup` runs once per instance and returns its handlers, closing over the
 * instance's own state; `context` gives it the process's services, bus and logger.
 *
 * ```ts
 * export const arenaServer = serveWorld(arena, (world) => {
 *   const fighters = new Map<Player, EntityId<typeof Fighter>>();
 *   return {
 *     join: (player) => fighters.set(player, world.spawn(Fighter, { health: 100 }, { owner: player })),
 *     leave: (player) => world.despawn(fighters.get(player)!),
 *     rpc: { fire: (shot, { player }) => ({ victim: '' }) },
 *   };
 * });
 * ```
 */
export function serveWorld<K extends AnyWorldKind>(
  kind: K,
  setup: (world: HostedWorld<K>, context: WorldContext) => WorldHandlers<K>,
  options: ServeWorldOptions = {},
): WorldServer<K> {
  return { kind, setup, options };
}
