import { randomUUID } from 'node:crypto';
import type { LeaderboardDefinition } from '@shardline/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ClusterLobbyDesk } from '../cluster/services/cluster-desk.js';
import { PushFanout, type PushMessage } from '../cluster/services/push-fanout.js';
import type { ServicesCluster } from '../cluster/services/services-cluster.js';
import type { GameServer } from '../game-server.js';
import {
  AccessTokens,
  AccountsService,
  accountRoutes,
  openAccountsStore,
} from '../services/accounts/index.js';
import {
  type AchievementDefinition,
  AchievementsService,
  achievementRoutes,
  openAchievementsStore,
} from '../services/achievements/index.js';
import {
  CONNECT_TICKET_TTL_MS,
  type IssueConnectTicket,
  playerTicketData,
} from '../services/connect-tickets.js';
import { FriendsService, friendRoutes, openFriendsStore } from '../services/friends/index.js';
import { serveServiceApi } from '../services/http/index.js';
import {
  LeaderboardsService,
  leaderboardRoutes,
  openLeaderboardsStore,
} from '../services/leaderboards/index.js';
import {
  LobbyCoordinator,
  type LobbyCoordinatorOptions,
  type LobbyDesk,
  type LobbyFigures,
  lobbyRoutes,
  type MatchmakerOptions,
  type WorldPlacement,
} from '../services/lobbies/index.js';
import { PresenceReporter, UserStreams } from '../services/push/index.js';
import { openSavesStore, type SavesLimits, SavesService, saveRoutes } from '../services/saves/index.js';
import type { ServiceDatabase } from '../services/service-database.js';
import { openPostgres } from '../store/postgres.js';
import { postgresServerSecret, serverSecret } from '../store/server-secrets.js';
import type { SqliteDatabase } from '../store/sqlite.js';
import { connectTicketOf } from '../worlds/connect-ticket.js';
import type { ClusterWorlds } from '../worlds/http-routes.js';
import { worldRoutes } from '../worlds/http-routes.js';
import type { WorldRuntime } from '../worlds/world-runtime.js';
import type { ShardlineConfig } from './config.js';
import type { ServiceFigures } from './live-stats.js';

/** What a game configures of the online services. */
export interface GameServicesConfig {
  /** The game's leaderboards (id, order, operator: best, latest or increment). */
  leaderboards?: readonly LeaderboardDefinition[];
  /** The game's achievements (ids, titles, hidden ones, progress targets). */
  achievements?: readonly AchievementDefinition[];
  /** Cloud save limits: blob size cap and slots per user (256 KiB and 16 by default). */
  saves?: Partial<SavesLimits>;
  matchmaking?: MatchmakerOptions;
}

/** The online services one process runs, on one database. */
export interface OnlineServices {
  database: ServiceDatabase;
  accounts: AccountsService;
  friends: FriendsService;
  leaderboards: LeaderboardsService;
  achievements: AchievementsService;
  saves: SavesService;
  /** Lobbies and the matchmaking queue: this process's own, or in a cluster its coordinator's. */
  lobbies: LobbyDesk;
  /** Lobby and queue counts as this process knows them (in a cluster, zeros off the coordinator). */
  lobbyFigures(): LobbyFigures;
  /** Signed-in users' push streams on this process (lobby updates, matches, unlocks). */
  streams: UserStreams;
  /** Stops the timers and streams, and ends the Postgres pool if the services opened one. */
  close(): Promise<void>;
}

/** How the services run beyond the defaults. */
export interface OnlineServicesOptions {
  /**
   * Lobbies, the queue and pushes across the processes of a cluster (decision 0029): the
   * coordinator holds them, the others forward to it, and pushes reach streams on any process.
   */
  cluster?: ServicesCluster;
  /** See UserStreamsOptions.goneAfterMs (30 s by default). */
  goneAfterMs?: number;
}

/** The services' database: Postgres when `config.postgresUrl` is set, else the embedded SQLite one. */
async function openServiceDatabase(
  config: ShardlineConfig,
  sqlite: SqliteDatabase,
  logger: Logger,
): Promise<{ database: ServiceDatabase; accessKey: Uint8Array }> {
  if (!config.postgresUrl) {
    return {
      database: { kind: 'sqlite', database: sqlite },
      accessKey: serverSecret(sqlite, 'access-token-key', 32),
    };
  }
  const pool = await openPostgres({
    url: config.postgresUrl,
    ...(config.postgresSchema ? { schema: config.postgresSchema } : {}),
    onIdleError: (error) => logger.warn({ err: error }, 'postgres connection lost (it will reconnect)'),
  });
  try {
    // Beside the data, so processes sharing the database accept each other's access tokens.
    return {
      database: { kind: 'postgres', pool },
      accessKey: await postgresServerSecret(pool, 'access-token-key', 32),
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}

/** How the services hand out connect tokens, and where lobbies' worlds are started. */
export interface ServiceTickets {
  issue: IssueConnectTicket;
  worlds?: WorldPlacement;
}

/**
 * Opens every online service on the process's service database. `tickets` issues the connect
 * tokens that signing in hands out, and places lobbies' worlds (whose tokens their hosts issue).
 */
export async function openOnlineServices(
  config: ShardlineConfig,
  sqlite: SqliteDatabase,
  tickets: ServiceTickets,
  logger: Logger,
  game: GameServicesConfig = {},
  options: OnlineServicesOptions = {},
): Promise<OnlineServices> {
  const { database, accessKey } = await openServiceDatabase(config, sqlite, logger);
  try {
    return await openServices(database, accessKey, tickets, logger, game, options);
  } catch (error) {
    // A store that cannot migrate, a game's bad definitions: give back the pool this opened.
    if (database.kind === 'postgres') await database.pool.end();
    throw error;
  }
}

async function openServices(
  database: ServiceDatabase,
  accessKey: Uint8Array,
  tickets: ServiceTickets,
  logger: Logger,
  game: GameServicesConfig,
  options: OnlineServicesOptions,
): Promise<OnlineServices> {
  const accountsStore = await openAccountsStore(database);
  const accounts = new AccountsService(accountsStore, new AccessTokens(accessKey));
  const friends = new FriendsService(await openFriendsStore(database), accountsStore);
  const leaderboards = new LeaderboardsService(
    await openLeaderboardsStore(database),
    game.leaderboards ?? [],
  );
  const achievements = new AchievementsService(
    await openAchievementsStore(database),
    game.achievements ?? [],
  );
  const saves = new SavesService(await openSavesStore(database), game.saves);
  // The coordinator hears which users this process holds; one no process holds any more gives up
  // their lobby and queue place.
  const streams = new UserStreams({
    accounts,
    ...(options.goneAfterMs === undefined ? {} : { goneAfterMs: options.goneAfterMs }),
    onFailure: (error) => logger.error({ err: error }, 'a push stream upgrade failed'),
    onUserConnected: (userId) => presence.held(userId),
    onUserGone: (userId) => presence.released(userId),
  });
  const lobbies = await openLobbies(
    options.cluster,
    streams,
    (push) => ({
      issueTicket: tickets.issue,
      ...(tickets.worlds ? { worlds: tickets.worlds } : {}),
      friends,
      notify: push,
      ...(game.matchmaking ? { matchmaking: game.matchmaking } : {}),
      onError: (error, where) => logger.error({ err: error }, `${where} failed`),
    }),
    logger,
  );
  const presence = new PresenceReporter({
    desk: lobbies.desk,
    process: randomUUID(),
    heldUsers: () => streams.heldUsers(),
    onError: (error) => logger.warn({ err: error }, 'telling the lobbies who is here failed'),
  });
  achievements.onUnlock(({ userId, achievementId, title, unlockedAtMs }) =>
    lobbies.push([userId], { type: 'achievement.unlocked', achievementId, title, unlockedAtMs }),
  );
  return {
    database,
    accounts,
    friends,
    leaderboards,
    achievements,
    saves,
    lobbies: lobbies.desk,
    lobbyFigures: () => lobbies.figures(),
    streams,
    close: async () => {
      presence.close();
      await lobbies.close();
      streams.close();
      if (database.kind === 'postgres') await database.pool.end();
    },
  };
}

/** Lobbies as this process runs them, and how it pushes to users. */
interface OpenLobbies {
  desk: LobbyDesk;
  /** Pushes a message to users' streams, on whichever process they are. */
  push(userIds: readonly string[], message: PushMessage): void;
  figures(): LobbyFigures;
  close(): Promise<void>;
}

/**
 * The lobbies and queue: this process's own LobbyCoordinator, or in a cluster a ClusterLobbyDesk
 * (the coordinator's, pushes over the bus to every process's streams).
 */
async function openLobbies(
  cluster: ServicesCluster | undefined,
  streams: UserStreams,
  coordinatorOptions: (push: OpenLobbies['push']) => LobbyCoordinatorOptions,
  logger: Logger,
): Promise<OpenLobbies> {
  if (!cluster) {
    const push: OpenLobbies['push'] = (userIds, message) => void streams.push(userIds, message);
    const coordinator = new LobbyCoordinator(coordinatorOptions(push));
    return {
      desk: coordinator,
      push,
      figures: () => coordinator.figures(),
      close: async () => coordinator.close(),
    };
  }
  const fanout = await PushFanout.open({
    bus: cluster.engine.bus,
    cluster: cluster.cluster,
    deliver: (userIds, message) => void streams.push(userIds, message),
    onError: (error) => logger.warn({ err: error }, 'a push across the cluster failed'),
  });
  const push: OpenLobbies['push'] = (userIds, message) => fanout.publish(userIds, message);
  const desk = new ClusterLobbyDesk({
    cluster,
    coordinator: () => new LobbyCoordinator(coordinatorOptions(push)),
    onError: (error) => logger.error({ err: error }, 'serving lobbies to the cluster failed'),
  });
  return {
    desk,
    push,
    figures: () => desk.figures(),
    close: async () => {
      await desk.close();
      await fanout.close();
    },
  };
}

/**
 * Serves every online service's HTTP API (under /v1, documented at /docs) on `http`, with the
 * worlds' routes (`/v1/worlds`) when the process hosts a WorldRuntime.
 */
export async function serveOnlineServices(
  http: FastifyInstance,
  services: OnlineServices,
  config: ShardlineConfig,
  issueTicket: IssueConnectTicket,
  worlds?: { runtime: WorldRuntime; serverAddresses: () => string[]; cluster?: ClusterWorlds },
): Promise<void> {
  await serveServiceApi(http, {
    accounts: services.accounts,
    rateLimits: config.rateLimits,
    addRoutes: async (api) => {
      await accountRoutes(api, services.accounts, issueTicket);
      await friendRoutes(api, services.friends);
      await leaderboardRoutes(api, services.leaderboards, {
        friendIdsOf: (userId) => services.friends.friendIdsOf(userId),
      });
      await achievementRoutes(api, services.achievements);
      await saveRoutes(api, services.saves);
      await lobbyRoutes(api, services.lobbies);
      if (worlds) {
        await worldRoutes(api, worlds.runtime, worlds.serverAddresses, config.password, worlds.cluster);
      }
    },
  });
}

/** The services' presence figures, for the dashboard and /metrics. */
export function serviceFigures(services: OnlineServices): ServiceFigures {
  return {
    ...services.lobbyFigures(),
    pushStreams: services.streams.count(),
  };
}

/**
 * Connect tokens naming no world for players, signed by the process's game server, valid
 * CONNECT_TICKET_TTL_MS (for a game on its own GameServer; a WorldRuntime issues world tokens).
 */
export function connectTicketsOf(server: GameServer): IssueConnectTicket {
  return (player) => {
    const expiresAtMs = Date.now() + CONNECT_TICKET_TTL_MS;
    const token = server.issueToken({
      clientId: player.userId,
      userData: playerTicketData(player),
      expiresInMs: CONNECT_TICKET_TTL_MS,
    });
    return {
      token: Buffer.from(token).toString('base64'),
      expiresAtMs,
      serverAddresses: server.publicAddresses,
    };
  };
}

/**
 * Lobbies' worlds on this process's WorldRuntime: private instances for the members (kept while
 * empty until keepUntilMs), tokens with a seat reserved, signed by `server` and naming its public
 * addresses (WORLD_KIND_UNKNOWN, WORLD_FULL, WORLD_NOT_FOUND as the runtime says).
 */
export function runtimePlacement(server: GameServer, runtime: WorldRuntime): WorldPlacement {
  return {
    maxPlayersOf: (kind) => (runtime.kindNames.includes(kind) ? runtime.kind(kind).maxPlayers : undefined),
    start: async (kind, lobbyId, members, keepUntilMs) => ({
      worldId: runtime.create(kind, { members, keepUntilMs, options: { lobby: lobbyId } }).id,
    }),
    ticket: async (world, player) =>
      connectTicketOf(
        runtime.ticket(runtime.get(world.worldId), {
          clientId: player.userId,
          userData: playerTicketData(player),
        }),
        server.publicAddresses,
      ),
    end: async (world) => {
      const instance = runtime.all().find((candidate) => candidate.id === world.worldId);
      if (instance) runtime.dispose(instance);
    },
  };
}
