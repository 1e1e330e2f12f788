import {
  type AnyWorldKind,
  type DisconnectReason,
  decodeSeatMessage,
  describeDifferences,
  encodeSeatMessage,
  isShardlineError,
  type SeatMessage,
  ShardlineError,
  WORLD_CHANNEL,
} from '@shardline/core';
import type { GameClient } from '../game-client.js';

/** Timers exist in browsers and Node alike; core's ES-only typings do not declare them. */
const timers = globalThis as unknown as {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

/** How long the server has to seat a connected client, ms. */
export const SEAT_TIMEOUT_MS = 10_000;

/** What a welcome gave: the seat, its next reconnect token, and whether it was the seat held before. */
export interface Seated {
  seat: string;
  token: Uint8Array;
  resumed: boolean;
}

/**
 * Asks for a seat over a connected GameClient (PROTOCOL.md §13): sends the hello with the kind's
 * fingerprint (and a reconnect token to take a seat back) and resolves with the welcome. Rejects
 * with a stable code when the server refuses: PROTOCOL_MISMATCH naming what differs (from the
 * server's `mismatch`), WORLD_FULL, WORLD_NOT_FOUND, TOKEN_EXPIRED, else WORLD_JOIN_FAILED with the
 * reason. Every message after the welcome — even one in the same packet, before the promise's
 * continuation runs — goes to `receive`: the first snapshot must not be lost.
 */
export function requestSeat(
  client: GameClient,
  kind: AnyWorldKind,
  reconnectToken: Uint8Array | undefined,
  receive: (channel: number, bytes: Uint8Array) => void,
): Promise<Seated> {
  return new Promise<Seated>((resolve, reject) => {
    if (client.disconnectReason !== undefined) {
      // It ended while connecting, in the same turn it was accepted (a server refusing the world).
      reject(joinError(client.disconnectReason, kind));
      return;
    }
    let mismatch: string | undefined;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      timers.clearTimeout(timer);
      outcome();
    };
    const timer = timers.setTimeout(
      () =>
        settle(() => {
          client.disconnect();
          reject(new ShardlineError('WORLD_JOIN_FAILED', `no seat within ${SEAT_TIMEOUT_MS} ms`));
        }),
      SEAT_TIMEOUT_MS,
    );
    const previousDisconnect = client.onDisconnect;
    client.onDisconnect = (reason) => {
      settle(() => reject(joinError(reason, kind, mismatch)));
      previousDisconnect?.(reason);
    };
    client.onMessage = (channel, bytes) => {
      if (settled || channel !== WORLD_CHANNEL.control) {
        if (settled) receive(channel, bytes);
        return;
      }
      const message = decodeOrUndefined(bytes);
      if (message?.type === 'welcome') {
        settle(() => resolve({ seat: message.seat, token: message.token, resumed: message.resumed }));
      } else if (message?.type === 'mismatch') {
        mismatch = describeDifferences(kind.fingerprints, message.fingerprints) || 'the world kind';
      }
    };
    client.send(
      WORLD_CHANNEL.control,
      encodeSeatMessage({ type: 'hello', fingerprint: kind.fingerprint, token: reconnectToken }),
      'reliable',
    );
    client.flush();
  });
}

/** The error a join ends with when the connection ends before a seat. */
export function joinError(reason: DisconnectReason, kind: AnyWorldKind, mismatch?: string): ShardlineError {
  switch (reason) {
    case 'protocol-mismatch':
      return new ShardlineError(
        'PROTOCOL_MISMATCH',
        `the server's ${kind.name} differs from this client's in: ${mismatch ?? 'its declaration'}`,
        { reason },
      );
    case 'world-full':
      return new ShardlineError('WORLD_FULL', `the ${kind.name} world has no free seat`, { reason });
    case 'world-not-found':
      return new ShardlineError(
        'WORLD_NOT_FOUND',
        `the ${kind.name} world is not there (it may have ended)`,
        {
          reason,
        },
      );
    case 'token-expired':
      return new ShardlineError('TOKEN_EXPIRED', 'the connect token expired before it was used', { reason });
    default:
      return new ShardlineError('WORLD_JOIN_FAILED', `the connection ended before a seat: ${reason}`, {
        reason,
      });
  }
}

/** A connect that failed (CONNECT_FAILED with a reason) as the join error for that reason. */
export function connectError(error: unknown, kind: AnyWorldKind): unknown {
  if (isShardlineError(error, 'CONNECT_FAILED')) {
    const reason = error.details?.reason as DisconnectReason | undefined;
    if (reason) return joinError(reason, kind);
  }
  return error;
}

function decodeOrUndefined(bytes: Uint8Array): SeatMessage | undefined {
  try {
    return decodeSeatMessage(bytes);
  } catch (error) {
    if (isShardlineError(error)) return undefined; // from the server, yet malformed: dropped
    throw error;
  }
}
