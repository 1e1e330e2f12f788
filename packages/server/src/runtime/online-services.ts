import type { LeaderboardDefinition } from '@shardline/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
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
  LobbyService,
  type LobbyWorlds,
  lobbyRoutes,
  Matchmaker,
  type MatchmakerOptions,
} from '../services/lobbies/index.js';
import { UserStreams } from '../services/push/index.js';
import { openSavesStore, type SavesLimits, SavesService, saveRoutes } from '../services/saves/index.js';
import type { ServiceDatabase } from '../services/service-database.js';
import { openPostgres } from '../store/postgres.js';
import { postgresServerSecret, serverSecret } from '../store/server-secrets.js';
import type { SqliteDatabase } from '../store/sqlite.js';
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

/** How often the matchmaker forms matches, ms. */
const MATCHMAKER_TICK_MS = 500;
/** How often started lobbies past their time are forgotten, ms. */
const LOBBY_SWEEP_MS = 60_000;

/** The online services one process runs, on one database. */
export interface OnlineServices {
  database: ServiceDatabase;
  accounts: AccountsService;
  friends: FriendsService;
  leaderboards: LeaderboardsService;
  achievements: AchievementsService;
  saves: SavesService;
  lobbies: LobbyService;
  matchmaker: Matchmaker;
  /** Signed-in users' push streams (lobby updates, matches, unlocks). */
  streams: UserStreams;
  /** Stops the timers and streams, and ends the Postgres pool if the services opened one. */
  close(): Promise<void>;
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

/** How the services hand out connect tokens, and the worlds lobbies may start. */
export interface ServiceTickets {
  issue: IssueConnectTicket;
  worlds?: LobbyWorlds;
}

/**
 * Opens every online service on the process's service database. `tickets` issues the connect
 * tokens that signing in and starting a lobby hand out, and starts lobbies' worlds.
 */
export async function openOnlineServices(
  config: ShardlineConfig,
  sqlite: SqliteDatabase,
  tickets: ServiceTickets,
  logger: Logger,
  game: GameServicesConfig = {},
): Promise<OnlineServices> {
  const { database, accessKey } = await openServiceDatabase(config, sqlite, logger);
  try {
    return await openServices(database, accessKey, tickets, logger, game);
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
  // A user whose streams all closed, and who has not come back, gives up their lobby and queue place.
  const streams = new UserStreams({
    accounts,
    onFailure: (error) => logger.error({ err: error }, 'a push stream upgrade failed'),
    onUserGone: (userId) => {
      lobbies.userGone(userId);
      if (matchmaker.ticketOf(userId)) matchmaker.cancel(userId);
    },
  });
  const lobbies = new LobbyService({
    issueTicket: tickets.issue,
    ...(tickets.worlds ? { worlds: tickets.worlds } : {}),
    friends,
    notify: (userIds, event) => streams.push(userIds, event),
  });
  const matchmaker = new Matchmaker(lobbies, game.matchmaking);
  achievements.onUnlock(({ userId, achievementId, title, unlockedAtMs }) =>
    streams.push([userId], { type: 'achievement.unlocked', achievementId, title, unlockedAtMs }),
  );
  const matching = setInterval(() => {
    try {
      matchmaker.tick();
    } catch (error) {
      logger.error({ err: error }, 'matchmaker tick failed');
    }
  }, MATCHMAKER_TICK_MS);
  const sweeping = setInterval(() => lobbies.sweep(), LOBBY_SWEEP_MS);
  return {
    database,
    accounts,
    friends,
    leaderboards,
    achievements,
    saves,
    lobbies,
    matchmaker,
    streams,
    close: async () => {
      clearInterval(matching);
      clearInterval(sweeping);
      streams.close();
      if (database.kind === 'postgres') await database.pool.end();
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
  worlds?: { runtime: WorldRuntime; serverAddresses: () => string[] },
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
      await lobbyRoutes(api, services.lobbies, services.matchmaker);
      if (worlds) await worldRoutes(api, worlds.runtime, worlds.serverAddresses);
    },
  });
}

/** The services' presence figures, for the dashboard and /metrics. */
export function serviceFigures(services: OnlineServices): ServiceFigures {
  const lobbies = services.lobbies.counts();
  return {
    lobbiesOpen: lobbies.open,
    lobbiesStarted: lobbies.started,
    queued: services.matchmaker.queued,
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
