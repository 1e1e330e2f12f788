import type { EndpointStats } from '@shardline/core';
import type { GameServer } from '../game-server.js';
import type { WorldRuntime } from '../worlds/world-runtime.js';
import type { ClusterFigures } from './cluster-figures.js';
import type { SessionEvent } from './session-events.js';

/** One client's figures, as its server-side connection and its clock pings see them. */
export interface ClientFigures {
  session: string;
  /** The id its connect token names. */
  clientId: string;
  /** The player's name where it signed in through the services; else its client id. */
  name: string;
  /** The world instance its token names ('' for none). */
  world: string;
  /** Its seat in the world; undefined while it has not said hello. */
  seat: string | undefined;
  status: 'joining' | 'playing';
  connectedForMs: number;
  rttMs: number;
  lossPercent: number;
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  /**
   * How far in the past it sees the world, ms: half the round trip plus the delay it draws behind
   * the newest snapshots (as it reports; 0 if it does not).
   */
  lagMs: number;
  /** The server clock as the client estimates it, now (ms since the epoch); null until it has one. */
  clientTimeMs: number | null;
  /** Client time minus server time, ms; null until the client has an estimate. */
  driftMs: number | null;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
  sendQueueLength: number;
  unackedReliable: number;
}

/** What the dashboard shows, refreshed every second: the server and each client. */
/** One world instance's figures. */
export interface WorldFigures {
  id: string;
  kind: string;
  visibility: string;
  players: number;
  connected: number;
  maxPlayers: number;
  entities: number;
  tick: number;
  /** Mean duration of its recent ticks, ms. */
  tickMs: number;
}

export interface LiveStats {
  server: {
    uptimeMs: number;
    serverTimeMs: number;
    /** World instances hosted. */
    worlds: number;
    sessions: number;
    bytesInPerSecond: number;
    bytesOutPerSecond: number;
    packetsInPerSecond: number;
    packetsOutPerSecond: number;
  };
  clients: ClientFigures[];
  /** Every world instance, oldest first. */
  worlds: WorldFigures[];
  /** The online services' presence: lobbies open and started, players queued, push streams open. */
  services: ServiceFigures;
  /** The newest sessions connecting and disconnecting, newest first (as heard on the bus). */
  events: readonly SessionEvent[];
  /** The cluster as this shard sees it; null when the process is not a shard. */
  cluster: ClusterFigures | null;
}

export interface ServiceFigures {
  lobbiesOpen: number;
  lobbiesStarted: number;
  queued: number;
  pushStreams: number;
}

export function liveStats(
  server: GameServer,
  runtime: WorldRuntime,
  startedAtMs: number,
  events: readonly SessionEvent[],
  services: ServiceFigures,
  cluster: ClusterFigures | null = null,
): LiveStats {
  const nowMs = Date.now();
  // Each session's stats, read once: the client rows and the server totals both come from them.
  const sessionStats = server.sessions.map((session) => ({ session, stats: server.stats(session) }));
  const clients = sessionStats.map(({ session, stats }): ClientFigures => {
    const info = server.info(session);
    const instance = runtime.instanceOf(session);
    const seat = instance?.seatOf(session);
    const clock = seat === undefined ? undefined : instance!.clockOf(seat);
    const player = seat === undefined ? undefined : instance!.players.get(seat);
    const drift = clock && !Number.isNaN(clock.driftMs) ? clock.driftMs : null;
    const viewDelayMs = clock && !Number.isNaN(clock.viewDelayMs) ? clock.viewDelayMs : 0;
    return {
      session,
      clientId: info?.clientId ?? '',
      name: player?.name ?? info?.clientId ?? '',
      world: info?.world ?? '',
      seat,
      status: seat === undefined ? 'joining' : 'playing',
      connectedForMs: nowMs - (info?.connectedAtMs ?? nowMs),
      rttMs: stats.rttMs,
      lossPercent: stats.packetLossPercent,
      packetsSent: stats.packetsSent,
      packetsReceived: stats.packetsReceived,
      packetsLost: stats.packetsLost,
      lagMs: stats.rttMs / 2 + viewDelayMs,
      clientTimeMs: drift === null ? null : nowMs + drift,
      driftMs: drift,
      bytesInPerSecond: stats.bytesInPerSecond,
      bytesOutPerSecond: stats.bytesOutPerSecond,
      sendQueueLength: stats.sendQueueLength,
      unackedReliable: stats.unackedReliable,
    };
  });
  const total = (pick: (stats: EndpointStats) => number) =>
    sessionStats.reduce((sum, { stats }) => sum + pick(stats), 0);
  return {
    server: {
      uptimeMs: nowMs - startedAtMs,
      serverTimeMs: nowMs,
      worlds: runtime.all().length,
      sessions: clients.length,
      bytesInPerSecond: total((s) => s.bytesInPerSecond),
      bytesOutPerSecond: total((s) => s.bytesOutPerSecond),
      packetsInPerSecond: total((s) => s.packetsInPerSecond),
      packetsOutPerSecond: total((s) => s.packetsOutPerSecond),
    },
    clients,
    worlds: runtime.all().map((instance): WorldFigures => {
      const stats = instance.stats();
      return {
        id: stats.id,
        kind: stats.kind,
        visibility: stats.visibility,
        players: stats.players,
        connected: stats.connected,
        maxPlayers: stats.maxPlayers,
        entities: stats.entities,
        tick: stats.tick,
        tickMs: stats.tickMs.mean,
      };
    }),
    services,
    events,
    cluster,
  };
}
