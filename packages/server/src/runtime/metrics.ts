import type { ServerWorld } from '@shardline/core';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { GameServer } from '../game-server.js';
import type { WorldHost } from '../world-host.js';
import type { ServiceFigures } from './live-stats.js';

/**
 * The process's Prometheus metrics (served at /metrics): sessions, packets and bytes each way, RTT
 * and loss histograms (every session sampled each second), tick time, RPC rejects by code, the
 * online services' lobbies, queue and push streams, and Node's own process metrics, all prefixed `shardline_`. It takes `host.onTicked` (to time ticks);
 * `stop` ends the sampling.
 */
export function serverMetrics(
  server: GameServer,
  host: WorldHost,
  world: ServerWorld,
  services: () => ServiceFigures,
): { registry: Registry; stop(): void } {
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
    ['shardline_lobbies_open', 'Lobbies open (not started)', () => services().lobbiesOpen],
    ['shardline_matchmaking_queued', 'Players waiting in the matchmaking queue', () => services().queued],
    ['shardline_push_streams', "Signed-in users' push streams open", () => services().pushStreams],
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
  return { registry: metrics, stop: () => clearInterval(samples) };
}
