import type { ConnectTicket } from '@shardline/core';
import type { WorldTicket } from './world-runtime.js';

/** A world ticket as the services hand it out: the token in base64, where to connect, the world. */
export function connectTicketOf(ticket: WorldTicket, serverAddresses: readonly string[]): ConnectTicket {
  return {
    token: Buffer.from(ticket.token).toString('base64'),
    expiresAtMs: ticket.expiresAtMs,
    serverAddresses: [...serverAddresses],
    world: ticket.world,
  };
}
