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
  CONNECT_TICKET_TTL_MS,
  type IssueConnectTicket,
  playerTicketData,
} from '../services/connect-tickets.js';
import { serveServiceApi } from '../services/http/index.js';
import type { ServiceDatabase } from '../services/service-database.js';
import { openPostgres } from '../store/postgres.js';
import { postgresServerSecret, serverSecret } from '../store/server-secrets.js';
import type { SqliteDatabase } from '../store/sqlite.js';
import type { ShardlineConfig } from './config.js';

/** The online services one process runs, on one database. */
export interface OnlineServices {
  database: ServiceDatabase;
  accounts: AccountsService;
  /** Ends the Postgres pool, if the services opened one (the SQLite database is the runtime's). */
  close(): Promise<void>;
}

/**
 * Opens the online services on Postgres when `config.postgresUrl` is set, else on the process's
 * embedded SQLite database. The access-token key lives beside the data, so processes sharing a
 * Postgres database accept each other's tokens.
 */
export async function openOnlineServices(
  config: ShardlineConfig,
  sqlite: SqliteDatabase,
  logger: Logger,
): Promise<OnlineServices> {
  let database: ServiceDatabase;
  let accessKey: Uint8Array;
  if (config.postgresUrl) {
    const pool = await openPostgres({
      url: config.postgresUrl,
      ...(config.postgresSchema ? { schema: config.postgresSchema } : {}),
      onIdleError: (error) => logger.warn({ err: error }, 'postgres connection lost (it will reconnect)'),
    });
    database = { kind: 'postgres', pool };
    try {
      accessKey = await postgresServerSecret(pool, 'access-token-key', 32);
    } catch (error) {
      await pool.end();
      throw error;
    }
  } else {
    database = { kind: 'sqlite', database: sqlite };
    accessKey = serverSecret(sqlite, 'access-token-key', 32);
  }
  const accounts = new AccountsService(await openAccountsStore(database), new AccessTokens(accessKey));
  return {
    database,
    accounts,
    close: async () => {
      if (database.kind === 'postgres') await database.pool.end();
    },
  };
}

/** Serves every online service's HTTP API (under /v1, documented at /docs) on `http`. */
export async function serveOnlineServices(
  http: FastifyInstance,
  services: OnlineServices,
  config: ShardlineConfig,
  issueTicket: IssueConnectTicket,
): Promise<void> {
  await serveServiceApi(http, {
    accounts: services.accounts,
    rateLimits: config.rateLimits,
    addRoutes: async (api) => {
      await accountRoutes(api, services.accounts, issueTicket);
    },
  });
}

/** Connect tokens for players, signed by the process's game server, valid CONNECT_TICKET_TTL_MS. */
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
