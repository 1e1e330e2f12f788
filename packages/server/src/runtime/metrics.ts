import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { GameServer } from '../game-server.js';
import type { StreamAdmission } from '../transport/admission.js';
import type { WorldInstance } from '../worlds/world-instance.js';
import type { WorldRuntime } from '../worlds/world-runtime.js';
import type { ServiceFigures } from './live-stats.js';

/**
 * The process's Prometheus metrics (served at /metrics): sessions, packets and bytes each way, RTT
 * and loss histograms (every session sampled each second), tick time by world kind, worlds and
 * players by kind, RPC rejects by code, the online services' lobbies, queue and push streams, the
 * stream connections not yet sessions (`admission`), and Node's own process metrics, all prefixed
 * `shardline_`. It observes the runtime's ticks (to time them); `stop` ends the sampling and the
 * observing.
 */
export function serverMetrics(
  server: GameServer,
  runtime: WorldRuntime,
  services: () => ServiceFigures,
  admission: StreamAdmission,
): { registry: Registry; stop(): void } {
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'shardline_' });
  admissionMetrics(metrics, admission);
  const tickSeconds = new Histogram({
    name: 'shardline_tick_seconds',
    help: "Wall time of a world's update that ran ticks: simulation, snapshots, their hand-off",
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
    registers: [metrics],
  });
  const byKind = (pick: (instance: WorldInstance) => number) => {
    const totals = new Map<string, number>();
    for (const instance of runtime.all()) {
      totals.set(instance.kind.name, (totals.get(instance.kind.name) ?? 0) + pick(instance));
    }
    return totals;
  };
  for (const [name, help, pick] of [
    ['shardline_worlds', 'World instances hosted, by kind', () => 1],
    [
      'shardline_world_players',
      'Seats taken in world instances, by kind',
      (instance: WorldInstance) => instance.players.size,
    ],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ['kind'],
      registers: [metrics],
      collect() {
        this.reset();
        for (const kind of runtime.kindNames) this.set({ kind }, 0);
        for (const [kind, value] of byKind(pick)) this.set({ kind }, value);
      },
    });
  }
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
      const totals: Record<string, number> = {};
      for (const instance of runtime.all()) {
        for (const [code, count] of Object.entries(instance.router?.rejectedTotals ?? {}))
          totals[code] = (totals[code] ?? 0) + (count ?? 0);
      }
      for (const [code, count] of Object.entries(totals)) this.set({ code }, count);
    },
  });
  const stopObserving = runtime.observeTicks((instance, ms) =>
    tickSeconds.observe({ kind: instance.kind.name }, ms / 1000),
  );
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
    [
      'shardline_datagrams_deferred_total',
      "UDP datagrams handled a turn or more late: a peer's past its turn budget",
      () => server.heldBack.deferred,
    ],
    [
      'shardline_datagrams_dropped_total',
      "UDP datagrams dropped past a peer's full turn-budget backlog",
      () => server.heldBack.dropped,
    ],
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
  return {
    registry: metrics,
    stop: () => {
      clearInterval(samples);
      stopObserving();
    },
  };
}

/** The pre-handshake limits' figures: connections pending now, the bytes they hold, refusals and closes. */
function admissionMetrics(metrics: Registry, admission: StreamAdmission): void {
  for (const [name, help, counts] of [
    [
      'shardline_stream_refused_total',
      'Stream connections refused at accept, by the cap reached (per-address, total)',
      admission.refused,
    ],
    [
      'shardline_stream_pending_closed_total',
      'Stream connections closed before becoming sessions, by limit (timeout, frame-too-large, over-budget)',
      admission.closed,
    ],
  ] as const) {
    new Counter({
      name,
      help,
      labelNames: ['reason'],
      registers: [metrics],
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(counts)) this.inc({ reason }, count);
      },
    });
  }
  new Gauge({
    name: 'shardline_stream_pending_connections',
    help: 'Stream connections accepted and not yet sessions (connect request not accepted)',
    registers: [metrics],
    collect() {
      this.set(admission.pending);
    },
  });
  new Gauge({
    name: 'shardline_stream_pending_held_bytes',
    help: 'Bytes of unfinished frames held for stream connections not yet sessions',
    registers: [metrics],
    collect() {
      this.set(admission.heldBytes);
    },
  });
}
