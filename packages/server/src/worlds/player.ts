import type { SessionInfo } from '../game-server.js';
import type { PlayerTicket } from '../services/connect-tickets.js';
import { readPlayerTicket } from '../services/connect-tickets.js';

/**
 * A seated player, as game code sees it: the same object from join to leave, across dropped links
 * (the seat waits; `connected` is false meanwhile). Use it as a map key for the player's own state.
 */
export class Player {
  /** Who the connect token was issued for: the user id (services), or the client id of a dev token. */
  readonly id: string;
  /** The services ticket (user id, name, lobby) when the player joined with one; undefined for dev tokens. */
  readonly ticket: PlayerTicket | undefined;
  /** The connection now sitting in the seat; undefined while its link is down. */
  session: SessionInfo | undefined;

  constructor(
    /** The seat id (`s1`, `s2`, …): what other clients know this player by. */
    readonly seat: string,
    info: SessionInfo,
  ) {
    this.session = info;
    this.id = info.clientId;
    try {
      this.ticket = readPlayerTicket(info.clientId, info.userData);
    } catch {
      this.ticket = undefined; // a development token: no account behind it
    }
  }

  /** The player's name when signed in through the services. */
  get name(): string | undefined {
    return this.ticket?.username;
  }

  /** Whether a connection sits in the seat now (false while the seat waits for a dropped client). */
  get connected(): boolean {
    return this.session !== undefined;
  }
}
