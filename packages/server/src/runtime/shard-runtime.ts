import { ShardlineError } from '@shardline/core';
import type { Logger } from 'pino';
import type { ClusterEngine } from '../cluster/engine.js';
import { PortalPairs } from '../cluster/portals/portal-pairs.js';
import { ShardPlayers } from '../cluster/portals/shard-players.js';
import { ClusterPlacement, type LiveShards } from '../cluster/services/cluster-placement.js';
import {
  type CoordinatorRole,
  type ServicesCluster,
  servicesClusterOf,
} from '../cluster/services/services-cluster.js';
import { ShardWorlds } from '../cluster/services/shard-worlds.js';
import { Shard } from '../cluster/shard.js';
import { openShardIndexStore } from '../cluster/shard-index/open-shard-index-store.js';
import { MAX_PLAYER_RECORDS_PER_WRITE } from '../cluster/shard-index/shard-index-store.js';
import type { ShardStatus, WorldStatus } from '../cluster/shard-status.js';
import type { WorldPlacement } from '../services/lobbies/world-placement.js';
import type { ServiceDatabase } from '../services/service-database.js';
import type { ClusterWorlds } from '../worlds/http-routes.js';
import type { WorldInstance } from '../worlds/world-instance.js';
import { MAX_INSTANCES, type WorldRuntime } from '../worlds/world-runtime.js';
import type { ClusterConfig, ShardConfig } from './cluster-config.js';
import { type ClusterFigures, clusterFigures } from './cluster-figures.js';
import { ShardSaves } from './shard-saves.js';
import type { ShardlineGame } from './start.js';

/** What makes a server process one shard of a cluster: the engine, the cluster and its own entry. */
export interface ShardSetup {
  engine: ClusterEngine;
  cluster: ClusterConfig;
  shard: ShardConfig;
}

/**
 * Most worlds a shard publishes in its lease (persistent ones first): the lease is one directory
 * entry of at most 64 KiB, and a world's status is about 80 bytes of JSON.
 */
export const MAX_PUBLISHED_WORLDS = 300;

/**
 * The online services' view of the shard (they open before it joins, so it is late-bound): the
 * master role, which makes this process the lobbies' coordinator (decision 0029), and the live
 * shards world placement chooses from.
 */
export class ShardServicesLink implements CoordinatorRole, LiveShards {
  private shard: Shard | undefined;
  private readonly listeners = new Set<(event: { kind: string }) => void>();

  get isMaster(): boolean {
    return this.shard?.isMaster === true;
  }

  onChange(listener: (event: { kind: string }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  liveShards(): ReadonlyMap<string, { status: ShardStatus }> {
    return this.shard?.membership.liveShards() ?? new Map();
  }

  /** The shard has joined: the role is its from now on (the services look again at once). */
  attach(shard: Shard): void {
    this.shard = shard;
    const tell = (event: { kind: string }) => {
      for (const listener of this.listeners) listener(event);
    };
    shard.onChange((event) => {
      if (event.kind === 'master') tell(event);
    });
    tell({ kind: 'master' });
  }
}

/**
 * What the online services of a shard use: lobbies and the queue coordinated by the master
 * shard, and lobbies' and matches' worlds placed on the least-loaded shard that creates the kind.
 */
export function shardServices(
  setup: ShardSetup,
  local: WorldPlacement,
  link: ShardServicesLink,
): { cluster: ServicesCluster; worlds: WorldPlacement } {
  const cluster = setup.cluster.name;
  return {
    cluster: servicesClusterOf(setup.engine, cluster, link),
    worlds: new ClusterPlacement({
      engine: setup.engine,
      cluster,
      shards: link,
      maxPlayersOf: (kind) => local.maxPlayersOf(kind),
    }),
  };
}

/**
 * What makes a server process one shard of its cluster, beside its world runtime: it loads its
 * newest good save from its shard index, joins the cluster (its lease publishes the runtime's
 * worlds, with player counts and seats, once `addresses()` says where players reach it), restores
 * its persistent worlds from the save, follows global events from the save's applied sequence,
 * and saves periodically, after each global event it applies, and on shutdown.
 */
export class ShardProcess {
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The save under way (or the last one), and the one waiting behind it, if any. */
  private saving: Promise<unknown> = Promise.resolve();
  private queued: Promise<unknown> | undefined;

  private constructor(
    readonly shard: Shard,
    /** The players its persistent worlds hold, and their moves through portals. */
    readonly players: ShardPlayers,
    private readonly worlds: ShardWorlds,
    private readonly saves: ShardSaves,
    private readonly runtime: WorldRuntime,
    private readonly setup: ShardSetup,
    private readonly logger: Logger,
  ) {}

  static async open(
    setup: ShardSetup,
    runtime: WorldRuntime,
    services: {
      database: ServiceDatabase;
      placement: WorldPlacement;
      link: ShardServicesLink;
      maxPlayers: number;
    },
    addresses: () => { http: string; udp: string; ws: string } | undefined,
    game: ShardlineGame,
    logger: Logger,
  ): Promise<ShardProcess> {
    const { database } = services;
    const { cluster, shard } = setup;
    const pairs = new PortalPairs(game.cluster?.portals);
    const store = await openShardIndexStore(database);
    const saves = await ShardSaves.open({
      store,
      cluster: cluster.name,
      shard: shard.name,
      worldOptions: Object.fromEntries(shard.server.worlds.map((world) => [world.id, world.options ?? {}])),
      serverData: {
        cluster: cluster.name,
        description: cluster.description,
        gameMode: cluster.gameMode,
        maxPlayers: cluster.maxPlayers,
        role: shard.role,
      },
      features: game.cluster?.features ?? [],
      keepSaves: cluster.keepSaves,
      logger,
    });
    const startedAtMs = Date.now();
    // Saves after each applied global event, so that a crash later does not apply it again.
    let created: ShardProcess | undefined;
    const joined = await Shard.join({
      engine: setup.engine,
      settings: {
        name: cluster.name,
        description: cluster.description,
        maxPlayers: cluster.maxPlayers,
        gameMode: cluster.gameMode,
        hasPassword: cluster.password !== undefined,
      },
      shard: shard.name,
      role: shard.role,
      standby: shard.standby,
      shards: cluster.shards.map((each) => each.name),
      configuredMaster: cluster.shards.find((each) => each.role === 'master')!.name,
      leaseMs: cluster.leaseMs,
      ...(game.cluster ? { game: game.cluster } : {}),
      logger,
      ...(saves.loaded ? { appliedThrough: saves.loaded.save.appliedThrough } : {}),
      onEventApplied: () => void created?.save('event'),
      status: () => {
        const reachable = addresses();
        return {
          // Until the ports are open, the shard publishes no address and no world.
          addresses: reachable ?? { http: '', udp: '', ws: '' },
          worlds: reachable ? publishedWorlds(runtime, pairs) : [],
          creates: shard.creates,
          startedAtMs,
          ...(created ? { moves: movesOf(created.players) } : {}),
        };
      },
      onError: (error, where) => logger.warn({ err: error, where }, 'cluster'),
    });
    joined.onChange((change) => logger.info({ change }, `cluster: ${change.kind}`));
    let worlds: ShardWorlds;
    let players: ShardPlayers | undefined;
    try {
      const opened = await ShardPlayers.open({
        engine: setup.engine,
        cluster: cluster.name,
        shard: shard.name,
        membership: joined.membership,
        store,
        pairs,
        world: (id) => runtime.all().find((instance) => instance.id === id),
        ticket: (world, holder) => runtime.ticket(world, holder),
        addresses: () => {
          const reachable = addresses();
          return reachable ? [reachable.ws, reachable.udp] : [];
        },
        logger,
      });
      players = opened;
      const followRole = () =>
        opened
          .serveMaster(joined.isMaster)
          .catch((error) => logger.warn({ err: error }, 'players: master role'));
      joined.onChange((change) => {
        if (change.kind === 'master') void followRole();
      });
      await followRole();
      // Where the lobbies' coordinator starts worlds on this shard (and has their tokens signed).
      worlds = await ShardWorlds.serve({
        engine: setup.engine,
        cluster: cluster.name,
        shard: shard.name,
        placement: services.placement,
        maxPlayers: services.maxPlayers,
        maxWorlds: MAX_INSTANCES,
        occupancy: () => new Map(runtime.all().map((instance) => [instance.id, instance.occupancy])),
      });
    } catch (error) {
      await players?.close();
      await joined.leave();
      throw error;
    }
    services.link.attach(joined);
    created = new ShardProcess(joined, players!, worlds, saves, runtime, setup, logger);
    return created;
  }

  /** Loads the world's part of the save the shard started from, if it has one. */
  restore(instance: WorldInstance): void {
    const saved = this.saves.loaded?.save.worlds.find((world) => world.id === instance.id);
    if (saved) instance.restore(saved);
  }

  /** Starts following global events and saving every `saveIntervalMs`. */
  async start(): Promise<void> {
    await this.shard.followEvents();
    this.timer = setInterval(() => void this.save('periodic'), this.setup.cluster.saveIntervalMs);
    this.timer.unref?.();
  }

  /** Takes a save soon (one at a time): every persistent world, and the applied event sequence. */
  save(why: 'periodic' | 'event' | 'shutdown'): Promise<unknown> {
    // One waiting save covers every request made while it waits (a burst of events: one save).
    if (this.queued) return this.queued;
    this.queued = this.saving.then(async () => {
      this.queued = undefined;
      const worlds = this.runtime.all().filter((instance) => instance.persistent && !instance.isDisposed);
      try {
        await this.savePlayers(worlds);
        const info = await this.saves.save({
          format: 1,
          appliedThrough: this.shard.events.appliedThrough,
          worlds: worlds.map((instance) => instance.saved()),
        });
        this.logger.info(
          { version: info.version, bytes: info.size, why },
          `shard index: saved ${info.version}`,
        );
      } catch (error) {
        this.logger.error({ err: error, why }, 'shard index: the save failed');
      }
    });
    this.saving = this.queued;
    return this.queued;
  }

  /** Stores the record of every player seated in `worlds` (the away ones were stored as they left). */
  private async savePlayers(worlds: readonly WorldInstance[]): Promise<void> {
    const records = [];
    for (const world of worlds) {
      for (const player of world.seatedPlayers()) {
        const { claims, moving } = this.players.claims;
        if (claims.get(player.id)?.world !== world.id || moving.has(player.id)) continue; // moving, or admitting
        records.push({ world: world.id, userId: player.id, record: world.playerRecord(player) });
      }
    }
    for (let start = 0; start < records.length; start += MAX_PLAYER_RECORDS_PER_WRITE) {
      await this.players.putRecords(records.slice(start, start + MAX_PLAYER_RECORDS_PER_WRITE));
    }
  }

  /** Saves one last time, before the worlds go (call before the runtime stops). */
  async saveOnShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.players.flush();
    await this.save('shutdown');
  }

  /**
   * The cluster's worlds as this shard's world routes see them: a seat in a world another shard
   * hosts (that shard signs the token, asked through `placement`), and where the player directory
   * holds a player.
   */
  clusterWorlds(placement: WorldPlacement): ClusterWorlds {
    return {
      ticket: async (id, kind, user) => {
        const located = this.shard.locate(id);
        if (!located) throw new ShardlineError('WORLD_NOT_FOUND', `no shard of the cluster hosts ${id}`);
        if (located.world.kind !== kind) {
          throw new ShardlineError(
            'PROTOCOL_MISMATCH',
            `world ${id} is a ${located.world.kind}, not a ${kind}`,
          );
        }
        return placement.ticket(
          { worldId: id, shard: located.shard },
          { userId: user.id, username: user.username },
        );
      },
      homeOf: (userId) => this.players.homeOf(userId),
      keepsPlayers: (id) => this.shard.locate(id)?.world.portals !== undefined,
      kindOf: (id) => this.shard.locate(id)?.world.kind,
    };
  }

  /** The dashboard's cluster view, as this shard sees it. */
  figures(): ClusterFigures {
    return clusterFigures(this.shard, this.setup.cluster.shards, this.players);
  }

  /** Leaves the cluster: the others see this shard's worlds go at their next read. */
  async leave(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.players.close();
    await this.worlds.close();
    await this.shard.leave();
  }
}

/** A shard's moves through portals as its lease publishes them. */
function movesOf(players: ShardPlayers): NonNullable<ShardStatus['moves']> {
  const { movedOut, movedIn, rolledBack, orphansResolved } = players.counts;
  return { out: movedOut, in: movedIn, rolledBack, orphansResolved };
}

/** The runtime's worlds as the lease publishes them: persistent ones first, at most MAX_PUBLISHED_WORLDS. */
function publishedWorlds(runtime: WorldRuntime, pairs: PortalPairs): WorldStatus[] {
  const instances = runtime.all().sort((a, b) => Number(b.persistent) - Number(a.persistent));
  return instances.slice(0, MAX_PUBLISHED_WORLDS).map((instance) => {
    const portals = instance.persistent ? pairs.endsOf(instance.id) : {};
    return {
      id: instance.id,
      kind: instance.kind.name,
      players: instance.occupancy,
      capacity: instance.kind.maxPlayers,
      ...(Object.keys(portals).length > 0 ? { portals } : {}),
    };
  });
}
