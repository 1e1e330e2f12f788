import { type AnyDeclaration, defineRpcs, type RpcCatalog } from '@shardline/core';
import type { Logger } from 'pino';
import {
  type AnyClusterEventDeclaration,
  type ClusterEventCatalog,
  defineClusterEvents,
} from './cluster-event-catalog.js';
import { ClusterEvents, type JsonObject } from './cluster-events.js';
import type { ClusterEngine } from './engine.js';
import type { PortalDeclarations } from './portals/portal-pairs.js';
import { type MembershipEvent, ShardMembership } from './shard-membership.js';
import { ShardRpc } from './shard-rpc.js';
import type { ShardRole, ShardStatus, WorldStatus } from './shard-status.js';

/** The cluster's shared settings (the seed's cluster.ini): what every shard and the dashboard show. */
export interface ClusterSettings {
  name: string;
  description: string;
  /** Players the whole cluster admits at once. */
  maxPlayers: number;
  gameMode: string;
  /** Whether joining asks for the cluster's password (the password itself is not published). */
  hasPassword: boolean;
}

/** What the game declares for its cluster: the RPCs shards call on each other, the global events. */
export interface ClusterGame<
  R extends Record<string, AnyDeclaration> = Record<string, AnyDeclaration>,
  E extends Record<string, AnyClusterEventDeclaration> = Record<string, AnyClusterEventDeclaration>,
> {
  rpcs?: RpcCatalog<R>;
  events?: ClusterEventCatalog<E>;
  /**
   * Features the game enables (mods, content packs, rule sets): kept in each shard's index, and a
   * change since the last start is logged, as saves made with other features may not fit.
   */
  features?: readonly string[];
  /**
   * The game's portals: pairs of ends (world and portal id) players move between, the cooldown after
   * a move and how long a transfer may take (docs/cluster/CLUSTER.md §8).
   */
  portals?: PortalDeclarations;
  /**
   * Runs once the shard joined, before it catches up on global events: register handlers here.
   * `logger` is the shard's (when the runtime runs it).
   */
  setup?: (shard: Shard<R, E>, context: { logger: Logger | undefined }) => void | Promise<void>;
}

/**
 * Declares a game's cluster side, typed by its catalogs: `setup` gets a shard whose `rpc.call`,
 * `rpc.handle`, `onEvent` and `report` know the RPCs and events by name.
 */
export function defineCluster<
  R extends Record<string, AnyDeclaration>,
  E extends Record<string, AnyClusterEventDeclaration>,
>(game: ClusterGame<R, E>): ClusterGame<R, E> {
  return game;
}

/** The Shard typed by a game's cluster declarations: `context.cluster as ShardOf<typeof cluster>`. */
export type ShardOf<G> = G extends ClusterGame<infer R, infer E> ? Shard<R, E> : never;

export interface ShardOptions<
  R extends Record<string, AnyDeclaration>,
  E extends Record<string, AnyClusterEventDeclaration>,
> {
  engine: ClusterEngine;
  settings: ClusterSettings;
  shard: string;
  role: ShardRole;
  standby: boolean;
  /** Every shard of the cluster config, by name, and which is the configured master. */
  shards: readonly string[];
  configuredMaster: string;
  leaseMs?: number;
  game?: ClusterGame<R, E>;
  /** Given to the game's `cluster.setup`. */
  logger?: Logger;
  /** The shard's live facts for its lease: addresses, worlds, kinds it creates, start time. */
  status: () => Omit<ShardStatus, 'shard' | 'role' | 'standby' | 'rpcPerSecond'>;
  /** The highest event sequence applied before (kept with the shard's saves). */
  appliedThrough?: number;
  /** A global event was applied (the runtime saves then, so it is not applied again after a crash). */
  onEventApplied?: (sequence: number) => void;
  onError?: (error: unknown, where: string) => void;
}

/**
 * One shard of a cluster, as game code sees it (`cluster` in a world's context): world availability
 * (isWorldAvailable / isWorldFull, DST's Shard_IsWorldAvailable), shard RPC (`rpc`), global events
 * (`onEvent` / `report`) and the master's world settings. Made by the runtime when a shard starts
 * (`shardline shard start`, `shardline cluster start`).
 */
export class Shard<
  R extends Record<string, AnyDeclaration> = Record<string, AnyDeclaration>,
  E extends Record<string, AnyClusterEventDeclaration> = Record<string, AnyClusterEventDeclaration>,
> {
  readonly rpc: ShardRpc<R>;
  readonly events: ClusterEvents<E>;
  private constructor(
    readonly name: string,
    readonly settings: ClusterSettings,
    readonly membership: ShardMembership,
    rpc: ShardRpc<R>,
    events: ClusterEvents<E>,
    private readonly onError: (error: unknown, where: string) => void,
  ) {
    this.rpc = rpc;
    this.events = events;
  }

  /**
   * Joins the cluster (SHARD_ALREADY_RUNNING if the shard runs elsewhere), answers shard RPC, and
   * runs the game's `cluster.setup`. Global events wait for `followEvents`, so that everything that
   * listens (world setups too) is registered before the shard catches up.
   */
  static async join<
    R extends Record<string, AnyDeclaration>,
    E extends Record<string, AnyClusterEventDeclaration>,
  >(options: ShardOptions<R, E>): Promise<Shard<R, E>> {
    const onError = options.onError ?? (() => {});
    const isMaster = () => membership?.isMaster === true;
    const rpc = new ShardRpc<R>({
      engine: options.engine,
      cluster: options.settings.name,
      shard: options.shard,
      shards: options.shards,
      catalog: options.game?.rpcs ?? (defineRpcs({}) as unknown as RpcCatalog<R>),
      isMaster,
      onHandlerError: (error, name) => onError(error, `shard rpc ${name}`),
    });
    const events = new ClusterEvents<E>({
      engine: options.engine,
      cluster: options.settings.name,
      shard: options.shard,
      shards: options.shards,
      catalog: options.game?.events ?? (defineClusterEvents({}) as unknown as ClusterEventCatalog<E>),
      isMaster,
      ...(options.appliedThrough === undefined ? {} : { appliedThrough: options.appliedThrough }),
      ...(options.onEventApplied ? { onApplied: options.onEventApplied } : {}),
      onHandlerError: onError,
    });
    let membership: ShardMembership | undefined;
    membership = await ShardMembership.join(options.engine, {
      cluster: options.settings.name,
      configuredMaster: options.configuredMaster,
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      status: () => ({
        ...options.status(),
        shard: options.shard,
        role: options.role,
        standby: options.standby,
        rpcPerSecond: rpc.callsPerSecond,
      }),
      onError: (error) => onError(error, 'cluster membership'),
    });
    const shard = new Shard(options.shard, options.settings, membership, rpc, events, onError);
    try {
      await rpc.start();
      await shard.followMasterRole();
      await options.game?.setup?.(shard, { logger: options.logger });
    } catch (error) {
      await shard.leave();
      throw error;
    }
    return shard;
  }

  /** Hands global events to their handlers: first those missed since `appliedThrough`, then each new one. */
  async followEvents(): Promise<void> {
    await this.events.start();
  }

  get isMaster(): boolean {
    return this.membership.isMaster;
  }

  /** The shard holding the master role now (undefined during a failover). */
  get master(): string | undefined {
    return this.membership.master;
  }

  isWorldAvailable(world: string): boolean {
    return this.membership.isWorldAvailable(world);
  }

  isWorldFull(world: string): boolean {
    return this.membership.isWorldFull(world);
  }

  /** Where a world is hosted now, and its player count; undefined if no live shard hosts it. */
  locate(world: string): { shard: string; world: WorldStatus } | undefined {
    return this.membership.locate(world);
  }

  /** Hears worlds and shards come and go and the master role move; the result stops it. */
  onChange(listener: (event: MembershipEvent) => void): () => void {
    return this.membership.onChange(listener);
  }

  /** See ClusterEvents.onEvent. */
  get onEvent(): ClusterEvents<E>['onEvent'] {
    return this.events.onEvent.bind(this.events);
  }

  /** See ClusterEvents.report. */
  get report(): ClusterEvents<E>['report'] {
    return this.events.report.bind(this.events);
  }

  get worldSettings(): JsonObject | undefined {
    return this.events.worldSettings;
  }

  /** Leaves the cluster: stops serving, gives up the master role and the shard's lease. */
  async leave(): Promise<void> {
    await this.events.stop();
    await this.rpc.stop();
    await this.membership.leave();
  }

  /** Serves the master's subjects while this shard holds the role (now, and as it moves). */
  private async followMasterRole(): Promise<void> {
    const serve = async () => {
      const isMaster = this.membership.isMaster;
      await this.rpc.serveMaster(isMaster);
      await this.events.serveMaster(isMaster);
    };
    this.membership.onChange((event) => {
      if (event.kind === 'master') serve().catch((error) => this.onError(error, 'master role'));
    });
    await serve();
  }
}
