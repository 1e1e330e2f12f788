import * as nodeCrypto from 'node:crypto';
import { join } from 'node:path';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  ConditionedServerTransport,
  defineEntity,
  type ServerTransport,
  ServerWorld,
  t,
} from '@shardline/core';
import Fastify from 'fastify';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { type ClusterBus, InProcessBus } from '../bus/index.js';
import { GameServer } from '../game-server.js';
import { MAX_URL_PARAM_LENGTH } from '../services/http/index.js';
import { USER_STREAM_PATH } from '../services/push/index.js';
import { migrateSqlite, openSqlite, SERVER_MIGRATIONS, serverSecret } from '../store/index.js';
import { UdpServerTransport } from '../transport/udp.js';
import { WebSocketServerTransport } from '../transport/websocket.js';
import { WorldHost } from '../world-host.js';
import type { ShardlineConfig } from './config.js';
import { dashboardHtml } from './dashboard.js';
import { liveStats } from './live-stats.js';
import { serverMetrics } from './metrics.js';
import {
  connectTicketsOf,
  type GameServicesConfig,
  type OnlineServices,
  openOnlineServices,
  serveOnlineServices,
  serviceFigures,
} from './online-services.js';
import { serveFile } from './serve-file.js';
import { publishSessionEvents, RecentSessionEvents } from './session-events.js';

/** Largest HTTP request body, bytes: the services' bodies are small JSON; larger ones get 413. */
export const MAX_HTTP_BODY_BYTES = 64 * 1024;

/** Dashboards watching /live at once; more are refused (503): each costs a JSON push a second. */
export const MAX_LIVE_VIEWERS = 32;

/** What a server process runs: its channels, and its world and host over the game server. */
export interface ShardlineGame {
  channels: readonly ChannelConfig[];
  /**
   * Files the HTTP service serves for the game: URL path → absolute file path (a browser page and
   * its bundle). A page at `/play` gets a link on the dashboard.
   */
  assets?: Readonly<Record<string, string>>;
  /** Builds the world and its host on `context.server` (started afterwards by startShardline). */
  create(context: GameContext): { host: WorldHost; world: ServerWorld };
  /** The game's leaderboards, achievements and matchmaking settings. */
  services?: GameServicesConfig;
}

/** What a game is built with. */
export interface GameContext {
  server: GameServer;
  config: ShardlineConfig;
  logger: Logger;
  /** The process's cluster bus (in-process by default): global events, announcements. */
  bus: ClusterBus;
  /**
   * The online services, for the game's own server code: submit authoritative scores, unlock
   * achievements, read who a session is (`readPlayerTicket`).
   */
  services: OnlineServices;
}

/** A starter world, for `shardline start` without a game: one body per seat, placed where it joined. */
export const Body = defineEntity('Body', {
  x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
  y: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
});

export const starterGame: ShardlineGame = {
  channels: [{ kind: 'reliable-ordered' }, { kind: 'unreliable-sequenced' }, { kind: 'unreliable' }],
  create({ server, config, logger }) {
    const world = new ServerWorld({ schemas: [Body], tickHz: config.tickHz }, Date.now());
    const host = new WorldHost({ server, world, controlChannel: 0, snapshotChannel: 1, ackChannel: 2 });
    const bodies = new Map<string, number>();
    host.onJoin = (seat) => bodies.set(seat, world.spawn(Body, { x: 0, y: 0 }, { owner: seat }));
    host.onLeave = (seat, reason) => {
      const body = bodies.get(seat);
      if (body !== undefined) world.despawn(body);
      bodies.delete(seat);
      logger.info({ seat, reason }, 'seat given up');
    };
    return { host, world };
  },
};

export interface RunningShardline {
  /** Where each service listens (ports resolved when configured as 0). */
  addresses: { http: string; udp: string; ws: string };
  server: GameServer;
  /** The process's bus: what the game was given, for whatever else runs in the process. */
  bus: ClusterBus;
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
 * and WebSocket game transports, the game's world, and the HTTP service.
 */
export async function startShardline(
  config: ShardlineConfig,
  logger: Logger,
  game: ShardlineGame = starterGame,
): Promise<RunningShardline> {
  const databaseFile = join(config.dataDir, DATABASE_FILE);
  const database = openSqlite(databaseFile);
  migrateSqlite(database, 'server', SERVER_MIGRATIONS);
  const bus = new InProcessBus();
  bus.onHandlerError = (error, channel) => logger.error({ err: error, channel }, 'bus handler failed');
  const impaired = (transport: ServerTransport) =>
    config.link ? new ConditionedServerTransport(transport, config.link) : transport;
  const server = new GameServer({
    protocolId: 0x5348_0001,
    // Kept in the database, so tokens issued before a restart still connect after it.
    privateKey: serverSecret(database, 'connect-token-key', 32),
    aead: aeadFromNodeCrypto(nodeCrypto),
    transports: [
      impaired(new UdpServerTransport({ host: config.host, port: config.udpPort })),
      impaired(new WebSocketServerTransport({ host: config.host, port: config.wsPort })),
    ],
    channels: game.channels,
    maxClients: config.maxClients,
  });
  let services: OnlineServices;
  try {
    services = await openOnlineServices(config, database, server, logger, game.services);
  } catch (error) {
    await bus.close();
    database.close();
    throw error;
  }
  const { host, world } = game.create({ server, config, logger, bus, services });
  publishSessionEvents(server, bus, logger);
  const sessionEvents = await RecentSessionEvents.listen(bus, logger);
  const releaseStorage = async () => {
    await bus.close();
    await services.close();
    database.close();
  };
  let udp: string | undefined;
  let ws: string | undefined;
  try {
    [udp, ws] = await server.start(); // closes what it opened if a port is taken
  } catch (error) {
    await releaseStorage();
    throw error;
  }

  const metrics = serverMetrics(server, host, world, () => serviceFigures(services));
  host.start();

  const http = Fastify({
    logger: false,
    bodyLimit: MAX_HTTP_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_URL_PARAM_LENGTH },
  });
  await serveOnlineServices(http, services, config, connectTicketsOf(server));
  http.get('/healthz', async () => ({ status: 'ok', sessions: server.sessions.length, tick: world.tick }));
  if (config.devTokens) {
    http.get<{ Querystring: { client?: string } }>('/api/token', async (request, reply) => {
      const client = request.query.client ?? '';
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(client)) {
        reply.code(400);
        return { error: 'client must be 1–64 letters, digits, _ . or -' };
      }
      const token = server.issueToken({ clientId: client, expiresInMs: 60_000, timeoutMs: 10_000 });
      return { token: Buffer.from(token).toString('base64'), udp, ws };
    });
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
    liveStats(server, host, world, startedAtMs, sessionEvents.list(), serviceFigures(services));
  http.get('/api/stats', async () => stats());
  // The dashboard's live feed: LiveStats every second to every open /live socket.
  const live = new WebSocketServer({ noServer: true });
  http.server.on('upgrade', (request, socket, head) => {
    if (request.url?.startsWith(`${USER_STREAM_PATH}?`)) {
      void services.streams.handleUpgrade(request, socket, head);
      return;
    }
    if (request.url !== '/live') {
      socket.destroy();
      return;
    }
    if (live.clients.size >= MAX_LIVE_VIEWERS) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    live.handleUpgrade(request, socket, head, (client) => live.emit('connection', client, request));
  });
  const feed = setInterval(() => {
    if (live.clients.size === 0) return;
    const message = JSON.stringify(stats());
    for (const client of live.clients) client.send(message);
  }, 1_000);
  const stopServing = async () => {
    host.stop();
    metrics.stop();
    clearInterval(feed);
    for (const client of live.clients) client.terminate();
    live.close();
    await server.stop(); // every client hears 'server-shutting-down'
    await http.close();
    await releaseStorage(); // the last connection out folds the write-ahead log into the file
  };
  let httpAddress: string;
  try {
    httpAddress = await http.listen({ host: config.host, port: config.httpPort });
  } catch (error) {
    await stopServing();
    throw error;
  }
  const addresses = { http: httpAddress, udp: udp!, ws: ws! };
  logger.info({ ...addresses, database: databaseFile }, 'listening');

  return {
    addresses,
    server,
    bus,
    async stop() {
      await stopServing();
      logger.info('stopped');
    },
  };
}
