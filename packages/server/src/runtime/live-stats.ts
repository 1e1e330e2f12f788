import type { ServerWorld } from '@shardline/core';
import type { GameServer } from '../game-server.js';

/** One client's figures, as its server-side connection sees them. */
export interface ClientFigures {
  session: string;
  rttMs: number;
  lossPercent: number;
  packetsSent: number;
  packetsReceived: number;
  bytesInPerSecond: number;
  bytesOutPerSecond: number;
  sendQueueLength: number;
  unackedReliable: number;
}

/** What the dashboard shows, refreshed every second: the server and each client. */
export interface LiveStats {
  server: {
    uptimeMs: number;
    serverTimeMs: number;
    tick: number;
    sessions: number;
    bytesInPerSecond: number;
    bytesOutPerSecond: number;
    packetsInPerSecond: number;
    packetsOutPerSecond: number;
  };
  clients: ClientFigures[];
}

export function liveStats(server: GameServer, world: ServerWorld, startedAtMs: number): LiveStats {
  const clients = server.sessions.map((session): ClientFigures => {
    const stats = server.stats(session);
    return {
      session,
      rttMs: stats.rttMs,
      lossPercent: stats.packetLossPercent,
      packetsSent: stats.packetsSent,
      packetsReceived: stats.packetsReceived,
      bytesInPerSecond: stats.bytesInPerSecond,
      bytesOutPerSecond: stats.bytesOutPerSecond,
      sendQueueLength: stats.sendQueueLength,
      unackedReliable: stats.unackedReliable,
    };
  });
  const total = (pick: (stats: ReturnType<GameServer['stats']>) => number) =>
    server.sessions.reduce((sum, session) => sum + pick(server.stats(session)), 0);
  const nowMs = Date.now();
  return {
    server: {
      uptimeMs: nowMs - startedAtMs,
      serverTimeMs: nowMs,
      tick: world.tick,
      sessions: clients.length,
      bytesInPerSecond: total((s) => s.bytesInPerSecond),
      bytesOutPerSecond: total((s) => s.bytesOutPerSecond),
      packetsInPerSecond: total((s) => s.packetsInPerSecond),
      packetsOutPerSecond: total((s) => s.packetsOutPerSecond),
    },
    clients,
  };
}
