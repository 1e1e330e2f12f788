import { ShardlineError } from '../errors.js';

/** Bytes in a reconnect token (random, secret to the client that holds the seat). */
export const RECONNECT_TOKEN_BYTES = 16;

export interface SeatsOptions {
  /** How long a seat whose link dropped is kept for its client to come back, in ms. Default 30,000. */
  graceMs?: number;
  /** Random bytes; default crypto.getRandomValues. */
  randomBytes?: (length: number) => Uint8Array;
}

interface Seat {
  token: Uint8Array;
  /** The connection sitting in the seat, or undefined while it waits for its client. */
  session: string | undefined;
  /** When a waiting seat is given up (ms). */
  expiresAtMs: number;
}

/**
 * Who sits where, sans-IO: a client joining gets a seat (ids "s1", "s2", …, never reused, and unlike
 * session ids they reveal no address when shown to other clients) and a reconnect token. When its
 * link drops, the seat waits `graceMs`; a new connection presenting the token takes the seat back
 * (and gets a fresh token: each token works once). After the grace period the seat is given up.
 * Seats are what the world knows clients by, so entities and ownership survive a reconnect.
 */
export class Seats {
  private readonly graceMs: number;
  private readonly randomBytes: (length: number) => Uint8Array;
  private readonly seats = new Map<string, Seat>();
  private readonly seatBySession = new Map<string, string>();
  /** Seats waiting for their client (expire() looks only at these: hosts call it every few ms). */
  private readonly waiting = new Set<string>();
  private seatsCreated = 0;

  constructor(options: SeatsOptions = {}) {
    this.graceMs = options.graceMs ?? 30_000;
    this.randomBytes = options.randomBytes ?? webCryptoRandomBytes;
  }

  /** A new seat for `session`; returns its id and reconnect token. */
  join(session: string): { seat: string; token: Uint8Array } {
    if (this.seatBySession.has(session)) throw new ShardlineError('VALUE_INVALID', `${session} already sits`);
    const id = `s${++this.seatsCreated}`;
    const token = this.randomBytes(RECONNECT_TOKEN_BYTES);
    this.seats.set(id, { token, session, expiresAtMs: Number.POSITIVE_INFINITY });
    this.seatBySession.set(session, id);
    return { seat: id, token };
  }

  /**
   * `session` presents a reconnect token: the seat it opens, with a fresh token, or undefined (unknown
   * or used token, or the seat was given up). A seat still held by another session is taken over —
   * its client came back before the server noticed the old link die — and that session is returned
   * as `replaced` for the caller to close. Tokens compare in constant time.
   */
  resume(
    session: string,
    token: Uint8Array,
    nowMs: number,
  ): { seat: string; token: Uint8Array; replaced: string | undefined } | undefined {
    if (this.seatBySession.has(session)) return undefined;
    for (const [id, seat] of this.seats) {
      if (!sameBytes(seat.token, token)) continue;
      if (nowMs >= seat.expiresAtMs) return undefined; // its grace ended; expire() has not run yet
      return this.seat(id, seat, session);
    }
    return undefined;
  }

  /** The seat a reconnect token opens now, if any (tokens compare in constant time). */
  seatOfToken(token: Uint8Array): string | undefined {
    for (const [id, seat] of this.seats) if (sameBytes(seat.token, token)) return id;
    return undefined;
  }

  /**
   * Gives `session` the waiting seat `id` without its token: for a host that knows the new
   * connection is the same client by other means (an authenticated identity, e.g. a connect
   * token's client id). Undefined if the seat is not waiting (taken, given up or its grace ended).
   */
  reclaim(
    session: string,
    id: string,
    nowMs: number,
  ): { seat: string; token: Uint8Array; replaced: undefined } | undefined {
    const seat = this.seats.get(id);
    if (this.seatBySession.has(session) || !seat || seat.session !== undefined || nowMs >= seat.expiresAtMs)
      return undefined;
    return this.seat(id, seat, session) as { seat: string; token: Uint8Array; replaced: undefined };
  }

  /** Seats `session` in `seat`, with a fresh token; returns the session it replaced, if any. */
  private seat(
    id: string,
    seat: Seat,
    session: string,
  ): { seat: string; token: Uint8Array; replaced: string | undefined } {
    const replaced = seat.session;
    if (replaced !== undefined) this.seatBySession.delete(replaced);
    seat.session = session;
    seat.token = this.randomBytes(RECONNECT_TOKEN_BYTES);
    seat.expiresAtMs = Number.POSITIVE_INFINITY;
    this.waiting.delete(id);
    this.seatBySession.set(session, id);
    return { seat: id, token: seat.token, replaced };
  }

  /** The link of `session` dropped: its seat waits until nowMs + graceMs. Returns the seat. */
  drop(session: string, nowMs: number): string | undefined {
    const id = this.seatBySession.get(session);
    if (id === undefined) return undefined;
    this.seatBySession.delete(session);
    const seat = this.seats.get(id)!;
    seat.session = undefined;
    seat.expiresAtMs = nowMs + this.graceMs;
    this.waiting.add(id);
    return id;
  }

  /** The client left for good (or was kicked): its seat is freed at once. Returns the seat. */
  leave(session: string): string | undefined {
    const id = this.seatBySession.get(session);
    if (id === undefined) return undefined;
    this.seatBySession.delete(session);
    this.seats.delete(id);
    return id;
  }

  /** Gives up the seats whose grace period has ended by `nowMs`; returns them. */
  expire(nowMs: number): string[] {
    const expired: string[] = [];
    for (const id of this.waiting) {
      if (nowMs < this.seats.get(id)!.expiresAtMs) continue;
      this.waiting.delete(id);
      this.seats.delete(id);
      expired.push(id);
    }
    return expired;
  }

  seatOf(session: string): string | undefined {
    return this.seatBySession.get(session);
  }

  /** The connection in a seat, if it is not waiting. */
  sessionOf(seat: string): string | undefined {
    return this.seats.get(seat)?.session;
  }

  /** Every seat, taken or waiting. */
  get ids(): string[] {
    return [...this.seats.keys()];
  }
}

/** Web Crypto is global in browsers and in Node 19+; core has no DOM or Node types, hence the cast. */
function webCryptoRandomBytes(length: number): Uint8Array {
  const { crypto } = globalThis as unknown as {
    crypto: { getRandomValues(array: Uint8Array): Uint8Array };
  };
  return crypto.getRandomValues(new Uint8Array(length));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
