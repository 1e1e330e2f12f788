import { isShardlineError, type SendType } from '@shardline/core';
import type { GameServer, SessionHandle } from '../game-server.js';
import type { Player } from './player.js';

/**
 * How a world instance sends to its players' connections: to a session, a seat, or every seat.
 * A connection that cannot take more (SEND_QUEUE_FULL: it is not keeping up) is kicked once the
 * current work is done, so neither the loop in progress nor the others suffer.
 */
export class WorldSends {
  private flushQueued = false;

  constructor(
    private readonly server: GameServer,
    private readonly players: ReadonlyMap<string, Player>,
  ) {}

  /** Whether a session is still connected. */
  connected(session: string): boolean {
    return this.server.info(session) !== undefined;
  }

  toSession(session: string, channel: number, bytes: Uint8Array, type: SendType): void {
    try {
      this.server.send(session, channel, bytes, type);
    } catch (error) {
      if (!isShardlineError(error)) throw error;
      queueMicrotask(() => {
        if (this.connected(session)) this.server.kick(session);
      });
    }
  }

  /** One message to many sessions by their handles (GameServer.sendToEach): those that ended are skipped. */
  toHandles(handles: readonly SessionHandle[], channel: number, bytes: Uint8Array, type: SendType): void {
    const refused = this.server.sendToEach(handles, channel, bytes, type);
    for (const session of refused) {
      queueMicrotask(() => {
        if (this.connected(session)) this.server.kick(session);
      });
    }
  }

  toSeat(seat: string, channel: number, bytes: Uint8Array, type: SendType): void {
    const session = this.players.get(seat)?.session?.session;
    if (session !== undefined) this.toSession(session, channel, bytes, type);
  }

  toSeats(channel: number, bytes: Uint8Array, type: SendType, except?: string): void {
    for (const [seat, player] of this.players) {
      if (seat !== except && player.session) this.toSession(player.session.session, channel, bytes, type);
    }
  }

  /** What was sent in this turn leaves together at its end (one flush for a datagram's worth of replies). */
  flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.server.flush();
    });
  }
}
