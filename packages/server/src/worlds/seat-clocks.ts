import { answerPing, readPing } from '@shardline/core';

/** Clock pings a seat may send per second; more are ignored (unanswered). */
export const MAX_PINGS_PER_SECOND = 20;

/** A seat's clock as its latest ping reported it (PROTOCOL.md §11.1). */
export interface SeatClock {
  /** Its estimate of the server clock minus the server clock, ms (half the round trip allowed); NaN until it has one. */
  driftMs: number;
  /** How far behind the newest snapshots it draws the world, ms, as it says (NaN if it does not). */
  viewDelayMs: number;
  /** When the report arrived (Date.now, ms). */
  reportedAtMs: number;
}

/** The seats' clock pings: each answered at once (at most MAX_PINGS_PER_SECOND a seat), its report kept. */
export class SeatClocks {
  private readonly clocks = new Map<string, SeatClock>();

  of(seat: string): SeatClock | undefined {
    return this.clocks.get(seat);
  }

  remove(seat: string): void {
    this.clocks.delete(seat);
  }

  /**
   * A ping from `seat`, whose link's round trip is `rttMs`: the pong to send back at once (a pong
   * that waits skews the client's estimate), or undefined for a malformed ping or one over the rate.
   */
  receive(seat: string, ping: Uint8Array, rttMs: number, nowMs: number): Uint8Array | undefined {
    const report = readPing(ping);
    const last = this.clocks.get(seat);
    if (!report || (last && nowMs - last.reportedAtMs < 1000 / MAX_PINGS_PER_SECOND)) return undefined;
    this.clocks.set(seat, {
      driftMs: report.serverEstimateMs + rttMs / 2 - nowMs,
      viewDelayMs: report.viewDelayMs,
      reportedAtMs: nowMs,
    });
    return answerPing(ping, nowMs);
  }
}
