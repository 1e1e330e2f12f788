import * as nodeCrypto from 'node:crypto';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  ConditionedServerTransport,
  defineEntity,
  randomBytes,
  type ServerTransport,
  ServerWorld,
  t,
} from '@shardline/core';
import Fastify from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { GameServer } from '../game-server.js';
import { UdpServerTransport } from '../transport/udp.js';
import { WebSocketServerTransport } from '../transport/websocket.js';
import { WorldHost } from '../world-host.js';
import type { ShardlineConfig } from './config.js';
import { dashboardHtml } from './dashboard.js';
import { liveStats } from './live-stats.js';
import { serveFile } from './serve-file.js';

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
  /** Builds the world and its host on `server` (started afterwards by startShardline). */
  create(
    server: GameServer,
    config: ShardlineConfig,
    logger: Logger,
  ): { host: WorldHost; world: ServerWorld };
}

/** A starter world, for `shardline start` without a game: one body per seat, placed where it joined. */
export const Body = defineEntity('Body', {
  x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
  y: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
});

export const starterGame: ShardlineGame = {
  channels: [{ kind: 'reliable-ordered' }, { kind: 'unreliable-sequenced' }, { kind: 'unreliable' }],
  create(server, config, logger) {
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
  /** Tells every client the server is shutting down, closes the transports and the HTTP service. */
  stop(): Promise<void>;
}

/** Starts one server process: UDP and WebSocket game transports, the game's world, and the HTTP service. */
export async function startShardline(
  config: ShardlineConfig,
  logger: Logger,
  game: ShardlineGame = starterGame,
): Promise<RunningShardline> {
  const impaired = (transport: ServerTransport) =>
    config.link ? new ConditionedServerTransport(transport, config.link) : transport;
  const server = new GameServer({
    protocolId: 0x5348_0001,
    privateKey: randomBytes(32),
    aead: aeadFromNodeCrypto(nodeCrypto),
    transports: [
      impaired(new UdpServerTransport({ host: config.host, port: config.udpPort })),
      impaired(new WebSocketServerTransport({ host: config.host, port: config.wsPort })),
    ],
    channels: game.channels,
    maxClients: config.maxClients,
  });
  const { host, world } = game.create(server, config, logger);
  const [udp, ws] = await server.start();

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'shardline_' });
  const tickSeconds = new Histogram({
    name: 'shardline_tick_seconds',
    help: 'Wall time of an update that ran world ticks: simulation, snapshots, their hand-off',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
    registers: [metrics],
  });
  const rttMs = new Histogram({
    name: 'shardline_rtt_ms',
    help: 'Smoothed round-trip time of each session, sampled every second',
    buckets: [1, 5, 10, 25, 50, 100, 200, 400, 800],
    registers: [metrics],
  });
  const lossPercent = new Histogram({
    name: 'shardline_loss_percent',
    help: 'Packet loss of each session over its recent packets, sampled every second',
    buckets: [0, 0.5, 1, 2, 5, 10, 25, 50],
    registers: [metrics],
  });
  new Gauge({
    name: 'shardline_rpc_rejected_total',
    help: 'RPC calls and events rejected, by code (RPC_RATE_LIMITED: rate-limit hits)',
    labelNames: ['code'],
    registers: [metrics],
    collect() {
      for (const [code, count] of Object.entries(host.rpc?.rejectedTotals ?? {}))
        this.set({ code }, count ?? 0);
    },
  });
  host.onTicked = (ms) => tickSeconds.observe(ms / 1000);
  host.start();
  const samples = setInterval(() => {
    for (const session of server.sessions) {
      const stats = server.stats(session);
      rttMs.observe(stats.rttMs);
      lossPercent.observe(stats.packetLossPercent);
    }
  }, 1_000);
  const sum = (pick: (stats: ReturnType<GameServer['stats']>) => number) => () =>
    server.sessions.reduce((total, session) => total + pick(server.stats(session)), 0);
  const gauges: [string, string, () => number][] = [
    ['shardline_sessions', 'Connected game sessions', () => server.sessions.length],
    [
      'shardline_packets_out_per_second',
      'Packets sent per second, all sessions',
      sum((s) => s.packetsOutPerSecond),
    ],
    [
      'shardline_packets_in_per_second',
      'Packets received per second, all sessions',
      sum((s) => s.packetsInPerSecond),
    ],
    [
      'shardline_bytes_out_per_second',
      'Bytes sent per second, all sessions',
      sum((s) => s.bytesOutPerSecond),
    ],
    [
      'shardline_bytes_in_per_second',
      'Bytes received per second, all sessions',
      sum((s) => s.bytesInPerSecond),
    ],
    ['shardline_world_tick', 'The world tick', () => world.tick],
  ];
  for (const [name, help, read] of gauges) {
    new Gauge({
      name,
      help,
      registers: [metrics],
      collect() {
        this.set(read());
      },
    });
  }

  const http = Fastify({ logger: false });
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
    reply.header('content-type', metrics.contentType);
    return metrics.metrics();
  });
  const startedAtMs = Date.now();
  const dashboard = dashboardHtml({ playPath: game.assets?.['/play'] ? '/play' : undefined });
  http.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(dashboard));
  for (const [path, file] of Object.entries(game.assets ?? {})) serveFile(http, path, file);
  http.get('/api/stats', async () => liveStats(server, host, world, startedAtMs));
  // The dashboard's live feed: LiveStats every second to every open /live socket.
  const live = new WebSocketServer({ noServer: true });
  http.server.on('upgrade', (request, socket, head) => {
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
    const message = JSON.stringify(liveStats(server, host, world, startedAtMs));
    for (const client of live.clients) client.send(message);
  }, 1_000);
  const httpAddress = await http.listen({ host: config.host, port: config.httpPort });
  const addresses = { http: httpAddress, udp: udp!, ws: ws! };
  logger.info(addresses, 'listening');

  return {
    addresses,
    server,
    async stop() {
      host.stop();
      clearInterval(samples);
      clearInterval(feed);
      for (const client of live.clients) client.terminate();
      live.close();
      await server.stop(); // every client hears 'server-shutting-down'
      await http.close();
      logger.info('stopped');
    },
  };
}
