import { join } from 'node:path';
import {
  type AnyWorldKind,
  ConditionedServerTransport,
  type ServerTransport,
  ShardlineError,
  WORLD_CHANNELS,
} from '@shardline/core';
import type { Logger } from 'pino';
import { type ClusterBus, InProcessBus } from '../bus/index.js';
import type { ShardPlayers } from '../cluster/portals/shard-players.js';
import type { ClusterGame, Shard } from '../cluster/shard.js';
import { GameServer } from '../game-server.js';
import { DEFAULT_MATCH_SIZE } from '../services/lobbies/matchmaker.js';
import { migrateSqlite, openSqlite, SERVER_MIGRATIONS, serverSecret } from '../store/index.js';
import { StreamAdmission } from '../transport/admission.js';
import { UdpServerTransport } from '../transport/udp.js';
import { WebSocketServerTransport } from '../transport/websocket.js';
import type { WorldContext, WorldServer } from '../worlds/serve-world.js';
import { WorldRuntime } from '../worlds/world-runtime.js';
import type { ShardlineConfig } from './config.js';
import { serveHttp } from './http-service.js';
import {
  connectTicketsOf,
  type GameServicesConfig,
  type OnlineServices,
  openOnlineServices,
  runtimePlacement,
  type ServiceTickets,
} from './online-services.js';
import { publishSessionEvents, RecentSessionEvents } from './session-events.js';
import { ShardProcess, ShardServicesLink, type ShardSetup, shardServices } from './shard-runtime.js';
import { starterGame } from './starter-game.js';

/** A named instance started with the server and never disposed (the Forest of a cluster, a hub). */
export interface PersistentWorld {
  /** Its kind (served in `worlds`). */
  kind: string;
  /** Its instance id, which clients join it by. */
  id: string;
  options?: Record<string, unknown>;
}

/** What a server process runs: the world kinds it hosts (serveWorld), its assets and services. */
export interface ShardlineGame {
  /** The world kinds this server hosts; clients join their instances through `/v1/worlds`. */
  worlds: readonly WorldServer[];
  /** Instances started with the server that live on when empty (config `worlds` adds more). */
  persistentWorlds?: readonly PersistentWorld[];
  /**
   * Files the HTTP service serves for the game: URL path → absolute file path (a browser page and
   * its bundle). A page at `/play` gets a link on the dashboard.
   */
  assets?: Readonly<Record<string, string>>;
  /** The game's leaderboards, achievements and matchmaking settings. */
  services?: GameServicesConfig;
  /** The RPCs its shards call on each other and its global events, when it runs as a cluster. */
  // biome-ignore lint/suspicious/noExplicitAny: a game's own RPC and event declarations
  cluster?: ClusterGame<any, any>;
}

export interface RunningShardline {
  /** Where each service listens (ports resolved when configured as 0). */
  addresses: { http: string; udp: string; ws: string };
  server: GameServer;
  /** The world instances this process hosts. */
  worlds: WorldRuntime;
  /** The process's bus: what the game was given, for whatever else runs in the process. */
  bus: ClusterBus;
  /** The shard this process runs, when it is one of a cluster (`shard` given to startShardline). */
  shard: Shard | undefined;
  /** The players its persistent worlds hold and their moves through portals, when it is a shard. */
  players: ShardPlayers | undefined;
  /**
   * Tells every client the server is shutting down, closes the transports and the HTTP service,
   * then the bus and the database.
   */
  stop(): Promise<void>;
}

/** The file under `dataDir` that holds the embedded database. */
export const DATABASE_FILE = 'shardline.db';

/**
 * Starts one server process: the embedded database under `config.dataDir`, the in-process bus, UDP
 * and WebSocket game transports, the game's world kinds on a WorldRuntime (its persistent worlds
 * started), the online services and the HTTP service. With `shard`, the process is that shard of
 * its cluster: it joins before its persistent worlds start (their setups get it as
 * `context.cluster`), publishes its worlds once its ports are open, then follows global events.
 */
export async function startShardline(
  config: ShardlineConfig,
  logger: Logger,
  game: ShardlineGame = starterGame,
  shard?: ShardSetup,
): Promise<RunningShardline> {
  const databaseFile = join(config.dataDir, DATABASE_FILE);
  const database = openSqlite(databaseFile);
  migrateSqlite(database, 'server', SERVER_MIGRATIONS);
  const bus = new InProcessBus();
  bus.onHandlerError = (error, channel) => logger.error({ err: error, channel }, 'bus handler failed');
  const impaired = (transport: ServerTransport) =>
    config.link ? new ConditionedServerTransport(transport, config.link) : transport;
  const admission = new StreamAdmission(config);
  const server = new GameServer({
    protocolId: 0x5348_0001,
    // Kept in the database, so tokens issued before a restart still connect after it.
    privateKey: serverSecret(database, 'connect-token-key', 32),
    transports: [
      impaired(new UdpServerTransport({ host: config.host, port: config.udpPort })),
      impaired(new WebSocketServerTransport({ host: config.host, port: config.wsPort, admission })),
    ],
    channels: WORLD_CHANNELS,
    maxClients: config.maxClients,
  });
  const context: WorldContext = { services: undefined, bus, logger, cluster: undefined };
  const runtime = new WorldRuntime({
    server,
    worlds: game.worlds,
    reservationMs: config.seatReservationMs,
    disposeAfterMs: config.worldDisposeDelayMs,
    context,
    onHandlerError: (error, where) => logger.error({ err: error, where }, 'a world handler threw'),
    onInstance: (event, instance) =>
      logger.info({ world: instance.id, kind: instance.kind.name }, `world ${event}`),
  });
  const local = runtimePlacement(server, runtime);
  // A shard's services coordinate through its cluster (decision 0029); the link is bound once it joins.
  const link = shard ? new ShardServicesLink() : undefined;
  const clustered = shard && link ? shardServices(shard, local, link) : undefined;
  const tickets: ServiceTickets = { issue: connectTicketsOf(server), worlds: clustered?.worlds ?? local };
  let services: OnlineServices | undefined;
  /** Where players reach this process, once its ports are open (what its shard lease publishes). */
  let reachable: RunningShardline['addresses'] | undefined;
  let shardProcess: ShardProcess | undefined;
  try {
    services = await openOnlineServices(
      config,
      database,
      tickets,
      logger,
      game.services,
      clustered ? { cluster: clustered.cluster } : {},
    );
    context.services = services;
    if (shard) {
      shardProcess = await ShardProcess.open(
        shard,
        runtime,
        { database: services.database, placement: local, link: link!, maxPlayers: config.maxClients },
        () => reachable,
        game,
        logger,
      );
      context.cluster = shardProcess.shard;
    }
    // A kind nobody serves, a taken id, a setup that throws: refused here, before any port opens.
    for (const kind of matchmakingKinds(game)) checkMatchKind(runtime.kind(kind), game);
    for (const world of [...(game.persistentWorlds ?? []), ...config.worlds]) {
      const instance = runtime.create(world.kind, {
        id: world.id,
        persistent: true,
        ...(shardProcess ? { homes: shardProcess.players } : {}),
        ...(world.options ? { options: world.options } : {}),
      });
      shardProcess?.restore(instance);
    }
  } catch (error) {
    runtime.stop();
    await shardProcess?.leave();
    await services?.close();
    await bus.close();
    database.close();
    throw error;
  }
  publishSessionEvents(server, bus, logger);
  const sessionEvents = await RecentSessionEvents.listen(bus, logger);
  const releaseStorage = async () => {
    await shardProcess?.leave();
    await bus.close();
    await services.close();
    database.close();
  };
  let udp: string | undefined;
  let ws: string | undefined;
  try {
    [udp, ws] = await server.start(); // closes what it opened if a port is taken
  } catch (error) {
    runtime.stop();
    await releaseStorage();
    throw error;
  }
  runtime.start();
  const http = await serveHttp({
    config,
    server,
    runtime,
    services,
    sessionEvents,
    game,
    tickets,
    logger,
    admission,
    udp: udp!,
    ws: ws!,
    ...(shardProcess
      ? {
          cluster: () => shardProcess.figures(),
          clusterWorlds: shardProcess.clusterWorlds(clustered!.worlds),
        }
      : {}),
  });
  const stopServing = async () => {
    await shardProcess?.saveOnShutdown();
    runtime.stop(); // every world's dispose runs; players hear 'server-shutting-down'
    http.stopFeeds();
    await server.stop();
    await http.close();
    await releaseStorage(); // the last connection out folds the write-ahead log into the file
  };
  let httpAddress: string;
  try {
    httpAddress = await http.listen();
  } catch (error) {
    await stopServing();
    throw error;
  }
  const addresses = { http: httpAddress, udp: udp!, ws: ws! };
  reachable = addresses;
  logger.info({ ...addresses, database: databaseFile, worlds: runtime.kindNames }, 'listening');
  try {
    await shardProcess?.start();
  } catch (error) {
    await stopServing();
    throw error;
  }

  return {
    addresses,
    server,
    worlds: runtime,
    bus,
    shard: shardProcess?.shard,
    players: shardProcess?.players,
    async stop() {
      await stopServing();
      logger.info('stopped');
    },
  };
}

/** VALUE_INVALID if the game's matches are larger than a kind they play in seats. */
function checkMatchKind(kind: AnyWorldKind, game: ShardlineGame): void {
  const matchSize = game.services?.matchmaking?.matchSize ?? DEFAULT_MATCH_SIZE;
  if (matchSize > kind.maxPlayers) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `matchmaking forms matches of ${matchSize} players, but world kind ${kind.name} seats ${kind.maxPlayers}`,
    );
  }
}

/** The world kinds the game's matchmaking starts matches in. */
function matchmakingKinds(game: ShardlineGame): string[] {
  const matchmaking = game.services?.matchmaking;
  return [
    ...(matchmaking?.world !== undefined ? [matchmaking.world] : []),
    ...Object.values(matchmaking?.worldsByMode ?? {}),
  ];
}
