import type { RateLimit } from './define.js';

/**
 * A token bucket: holds up to `burst` tokens, refills at `perSecond`, and each accepted call takes
 * one. Time is an argument (ms), so it runs the same in tests and on a server.
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly rate: RateLimit,
    nowMs: number,
  ) {
    this.tokens = rate.burst;
    this.updatedMs = nowMs;
  }

  /** Takes a token if one is there; false (nothing taken) when the bucket is empty. */
  take(nowMs: number): boolean {
    const elapsedMs = Math.max(0, nowMs - this.updatedMs);
    this.tokens = Math.min(this.rate.burst, this.tokens + (elapsedMs / 1000) * this.rate.perSecond);
    this.updatedMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
