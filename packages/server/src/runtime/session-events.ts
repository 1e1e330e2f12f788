import type { DisconnectReason } from '@shardline/core';
import type { Logger } from 'pino';
import type { ClusterBus } from '../bus/index.js';
import type { GameServer, SessionInfo } from '../game-server.js';
import { readPlayerTicket } from '../services/connect-tickets.js';

/** The bus channel where every server process announces its sessions coming and going. */
export const SESSION_EVENTS_CHANNEL = 'shardline.sessions';

export interface SessionEvent {
  /** When it happened (Date.now, ms). */
  atMs: number;
  kind: 'connected' | 'disconnected';
  session: string;
  clientId: string;
  /** The player's name, when the session's token came from the services. */
  name?: string;
  /** Why it ended (disconnected only). */
  reason?: DisconnectReason;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Publishes each of `server`'s sessions connecting and disconnecting on the bus (JSON SessionEvents). */
export function publishSessionEvents(server: GameServer, bus: ClusterBus, logger: Logger): () => void {
  const publish = (event: SessionEvent) =>
    bus
      .publish(SESSION_EVENTS_CHANNEL, encoder.encode(JSON.stringify(event)))
      .catch((error: unknown) => logger.warn({ err: error }, 'session event not published'));
  const who = (info: SessionInfo) => {
    const name = nameOf(info);
    return { session: info.session, clientId: info.clientId, ...(name ? { name } : {}) };
  };
  return server.observeSessions({
    connected: (info) => publish({ atMs: Date.now(), kind: 'connected', ...who(info) }),
    disconnected: (info, reason) => publish({ atMs: Date.now(), kind: 'disconnected', ...who(info), reason }),
  });
}

/** The player's name from a services ticket; undefined for other tokens. */
function nameOf(info: SessionInfo): string | undefined {
  try {
    return readPlayerTicket(info.clientId, info.userData).username;
  } catch {
    return undefined;
  }
}

function isSessionEvent(value: unknown): value is SessionEvent {
  const event = value as SessionEvent;
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.atMs === 'number' &&
    (event.kind === 'connected' || event.kind === 'disconnected') &&
    typeof event.session === 'string' &&
    typeof event.clientId === 'string' &&
    (event.name === undefined || typeof event.name === 'string') &&
    (event.reason === undefined || typeof event.reason === 'string')
  );
}

/** The newest session events heard on the bus (every process's, on a shared bus), for the dashboard. */
export class RecentSessionEvents {
  private readonly events: SessionEvent[] = [];

  private constructor(private readonly max: number) {}

  /** Starts listening; `max` events are kept, the oldest dropped first. */
  static async listen(bus: ClusterBus, logger: Logger, max = 20): Promise<RecentSessionEvents> {
    const recent = new RecentSessionEvents(max);
    await bus.subscribe(SESSION_EVENTS_CHANNEL, (payload) => {
      let event: unknown;
      try {
        event = JSON.parse(decoder.decode(payload));
      } catch {
        event = undefined;
      }
      if (!isSessionEvent(event)) {
        logger.warn(
          { bytes: payload.byteLength },
          `ignored a malformed message on ${SESSION_EVENTS_CHANNEL}`,
        );
        return;
      }
      recent.events.unshift(event);
      if (recent.events.length > recent.max) recent.events.pop();
    });
    return recent;
  }

  /** Newest first. */
  list(): readonly SessionEvent[] {
    return this.events;
  }
}
