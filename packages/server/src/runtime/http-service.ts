import { ShardlineError } from '@shardline/core';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { GameServer } from '../game-server.js';
import { ERROR_SHAPE_OPTIONS, refuseUpgrade, useErrorShape } from '../services/http/error-answers.js';
import { MAX_URL_PARAM_LENGTH } from '../services/http/index.js';
import { answerHandshakeError } from '../services/http/socket-answers.js';
import { USER_STREAM_PATH } from '../services/push/index.js';
import type { StreamAdmission } from '../transport/admission.js';
import { type ClusterWorlds, checkJoinPassword, MAX_JOIN_PASSWORD_LENGTH } from '../worlds/http-routes.js';
import type { WorldRuntime } from '../worlds/world-runtime.js';
import type { ClusterFigures } from './cluster-figures.js';
import type { ShardlineConfig } from './config.js';
import { dashboardHtml } from './dashboard.js';
import { liveStats } from './live-stats.js';
import { serverMetrics } from './metrics.js';
import {
  type OnlineServices,
  type ServiceTickets,
  serveOnlineServices,
  serviceFigures,
} from './online-services.js';
import { serveFile } from './serve-file.js';
import type { RecentSessionEvents } from './session-events.js';
import type { ShardlineGame } from './start.js';

/** Largest HTTP request body, bytes: the services' bodies are small JSON; larger ones get 413. */
export const MAX_HTTP_BODY_BYTES = 64 * 1024;

/** Dashboards watching /live at once; more are refused (503): each costs a JSON push a second. */
export const MAX_LIVE_VIEWERS = 32;

/** A development token's client id: 1–64 letters, digits, `_ . -`. */
const DEV_CLIENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

interface HttpServiceOptions {
  config: ShardlineConfig;
  server: GameServer;
  runtime: WorldRuntime;
  services: OnlineServices;
  sessionEvents: RecentSessionEvents;
  game: ShardlineGame;
  tickets: ServiceTickets;
  /** Where the HTTP service's failures (500 INTERNAL) are logged with their error. */
  logger: Logger;
  /** The game stream transports' pre-handshake limits (their figures are on /metrics). */
  admission: StreamAdmission;
  /** The game transports' addresses (for development tokens). */
  udp: string;
  ws: string;
  /** The cluster view, when the process is a shard. */
  cluster?: () => ClusterFigures;
  /** The cluster's other worlds and its player directory, when the process is a shard. */
  clusterWorlds?: ClusterWorlds;
}

/**
 * The HTTP service of `shardline start`: the online services and worlds under `/v1`, `/healthz`,
 * development tokens at `/api/token` (with `devTokens`), Prometheus `/metrics`, the dashboard at
 * `/` with its live feed (`/live`, a WebSocket) and the game's assets.
 */
export async function serveHttp(options: HttpServiceOptions) {
  const { config, server, runtime, services, game } = options;
  const metrics = serverMetrics(server, runtime, () => serviceFigures(services), options.admission);
  // Failures only: fastify's per-request lines are info.
  const { logger } = options;
  const log: FastifyBaseLogger = logger.child(
    { component: 'http' },
    { level: logger.isLevelEnabled('warn') ? 'warn' : logger.level },
  );
  const http = Fastify({
    loggerInstance: log,
    bodyLimit: MAX_HTTP_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_URL_PARAM_LENGTH },
    ...ERROR_SHAPE_OPTIONS,
  });
  useErrorShape(http);
  await serveOnlineServices(http, services, config, options.tickets.issue, {
    runtime,
    serverAddresses: () => server.publicAddresses,
    ...(options.clusterWorlds ? { cluster: options.clusterWorlds } : {}),
  });
  http.get('/healthz', async () => ({
    status: 'ok',
    sessions: server.sessions.length,
    worlds: runtime.all().length,
  }));
  if (config.devTokens) {
    http.get<{ Querystring: { client?: string; kind?: string; world?: string } }>(
      '/api/token',
      { schema: { querystring: DEV_TOKEN_QUERY } },
      async (request) => devToken(runtime, request.query, options),
    );
  }
  http.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  const startedAtMs = Date.now();
  const dashboard = dashboardHtml({ playPath: game.assets?.['/play'] ? '/play' : undefined });
  http.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(dashboard));
  for (const [path, file] of Object.entries(game.assets ?? {})) serveFile(http, path, file);
  const stats = () =>
    liveStats(
      server,
      runtime,
      startedAtMs,
      options.sessionEvents.list(),
      serviceFigures(services),
      options.cluster?.() ?? null,
    );
  http.get('/api/stats', async () => stats());
  // The dashboard's live feed: LiveStats every second to every open /live socket.
  const live = new WebSocketServer({ noServer: true });
  live.on('wsClientError', answerHandshakeError);
  // Upgrades: the push stream and the live feed; every refusal is an HTTP answer in the one shape.
  http.server.on('upgrade', (request, socket, head) => {
    const path = request.url?.split('?')[0];
    if (path === USER_STREAM_PATH) {
      void services.streams.handleUpgrade(request, socket, head);
      return;
    }
    if (path !== '/live') {
      refuseUpgrade(socket, new ShardlineError('ROUTE_NOT_FOUND', `no WebSocket at ${path}`));
      return;
    }
    if (live.clients.size >= MAX_LIVE_VIEWERS) {
      refuseUpgrade(socket, new ShardlineError('SERVER_BUSY', `${MAX_LIVE_VIEWERS} dashboards are watching`));
      return;
    }
    live.handleUpgrade(request, socket, head, (client) => live.emit('connection', client, request));
  });
  const feed = setInterval(() => {
    if (live.clients.size === 0) return;
    const message = JSON.stringify(stats());
    for (const client of live.clients) client.send(message);
  }, 1_000);
  return {
    listen: () => http.listen({ host: config.host, port: config.httpPort }),
    /** Stops the metrics sampling and the live feed, closing its sockets. */
    stopFeeds() {
      metrics.stop();
      clearInterval(feed);
      for (const client of live.clients) client.terminate();
      live.close();
    },
    close: () => http.close(),
  };
}

/** `/api/token`'s query: each parameter at most once (a repeated one is refused), others ignored. */
const DEV_TOKEN_QUERY = {
  type: 'object',
  properties: {
    client: { type: 'string' },
    kind: { type: 'string' },
    world: { type: 'string' },
    password: { type: 'string', maxLength: MAX_JOIN_PASSWORD_LENGTH },
  },
} as const;

/**
 * A development token (`/api/token?client=<id>[&kind=<kind>|&world=<id>][&password=…]`): a seat in
 * world `world`, or by join-or-create in one of `kind` (default: the first kind served); the join
 * password when the server has one. Refusals are thrown
 * ShardlineErrors, answered `{ code, message }` like the services'.
 */
function devToken(
  runtime: WorldRuntime,
  query: { client?: string; kind?: string; world?: string; password?: string },
  addresses: { udp: string; ws: string; config: { password: string | undefined } },
) {
  checkJoinPassword(addresses.config.password, query.password);
  const client = query.client ?? '';
  if (!DEV_CLIENT_ID.test(client)) {
    throw new ShardlineError('REQUEST_INVALID', 'client must be 1–64 letters, digits, _ . or -');
  }
  const ticket =
    query.world !== undefined
      ? runtime.ticket(runtime.get(query.world), { clientId: client })
      : runtime.joinOrCreate(query.kind ?? runtime.kindNames[0]!, { clientId: client });
  return {
    token: Buffer.from(ticket.token).toString('base64'),
    world: ticket.world,
    expiresAtMs: ticket.expiresAtMs,
    udp: addresses.udp,
    ws: addresses.ws,
  };
}
