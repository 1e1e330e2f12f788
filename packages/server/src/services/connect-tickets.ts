import { type ConnectTicket, ShardlineError } from '@shardline/core';

/** How long a connect token handed out by the services may be presented, ms. */
export const CONNECT_TICKET_TTL_MS = 60_000;

/** Who a connect token is for; the game server reads it back from the session with `readPlayerTicket`. */
export interface PlayerTicket {
  userId: string;
  username: string;
  /** The lobby whose start issued the token, if one did. */
  lobbyId?: string;
}

/**
 * Issues a connect token for a player (the process's game server signs it); with `world`, the token
 * names that instance and a seat is reserved there for the player.
 */
export type IssueConnectTicket = (player: PlayerTicket, world?: string) => ConnectTicket;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The token's user data: `{ name, lobby? }` as UTF-8 JSON (well under its 256 bytes: names are ≤ 32 characters). */
export function playerTicketData(player: PlayerTicket): Uint8Array {
  return encoder.encode(JSON.stringify({ name: player.username, lobby: player.lobbyId }));
}

/**
 * The player a session's connect token was issued for: its client id is the user id, its user data
 * the name and lobby. WIRE_INVALID if the data is not a services ticket (a dev token, say).
 */
export function readPlayerTicket(clientId: string, userData: Uint8Array): PlayerTicket {
  try {
    const data = JSON.parse(decoder.decode(userData)) as { name?: unknown; lobby?: unknown };
    if (typeof data.name === 'string' && (data.lobby === undefined || typeof data.lobby === 'string')) {
      return { userId: clientId, username: data.name, ...(data.lobby ? { lobbyId: data.lobby } : {}) };
    }
  } catch {
    // not JSON: answered below
  }
  throw new ShardlineError('WIRE_INVALID', 'the session was not opened with a services connect token');
}
