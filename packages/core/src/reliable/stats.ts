/** Connection statistics: RTT (RFC 6298 smoothing), loss over recent packets, per-second rates. */

/** Round-trip time from acked packets, smoothed as TCP does (RFC 6298), plus best/worst of recent samples. */
export class RttEstimator {
  smoothedMs = 0;
  varianceMs = 0;
  private samples = 0;
  private readonly recent: number[] = [];

  constructor(private readonly recentCount = 64) {}

  get hasSample(): boolean {
    return this.samples > 0;
  }

  add(rttMs: number): void {
    if (this.samples === 0) {
      this.smoothedMs = rttMs;
      this.varianceMs = rttMs / 2;
    } else {
      this.varianceMs = 0.75 * this.varianceMs + 0.25 * Math.abs(this.smoothedMs - rttMs);
      this.smoothedMs = 0.875 * this.smoothedMs + 0.125 * rttMs;
    }
    this.samples++;
    this.recent.push(rttMs);
    if (this.recent.length > this.recentCount) this.recent.shift();
  }

  /** Smallest of the recent samples (0 before any). */
  get bestMs(): number {
    return this.recent.length === 0 ? 0 : Math.min(...this.recent);
  }

  get worstMs(): number {
    return this.recent.length === 0 ? 0 : Math.max(...this.recent);
  }

  /** Retransmission timeout: smoothed + 4 × variance, within [minMs, maxMs]; `initialMs` before any sample. */
  timeoutMs(minMs: number, maxMs: number, initialMs: number): number {
    if (this.samples === 0) return initialMs;
    return Math.min(maxMs, Math.max(minMs, this.smoothedMs + 4 * this.varianceMs));
  }
}

/** Fraction of recent sent packets never acknowledged, over the last `window` resolved packets. */
export class LossTracker {
  /** Outcomes in a ring: 1 lost, 0 delivered; `count` of them recorded, the next at `next`. */
  private readonly outcomes: Uint8Array;
  private next = 0;
  private count = 0;
  private lost = 0;
  /** Packets recorded lost since the tracker was made. */
  totalLost = 0;

  constructor(window = 256) {
    this.outcomes = new Uint8Array(window);
  }

  record(wasLost: boolean): void {
    if (this.count === this.outcomes.length) this.lost -= this.outcomes[this.next]!;
    else this.count++;
    this.outcomes[this.next] = wasLost ? 1 : 0;
    if (wasLost) {
      this.lost++;
      this.totalLost++;
    }
    this.next = (this.next + 1) % this.outcomes.length;
  }

  get percent(): number {
    return this.count === 0 ? 0 : (100 * this.lost) / this.count;
  }
}

/** Sum of amounts over the last second, in ten 100 ms buckets. */
export class RateMeter {
  private static readonly BUCKET_MS = 100;
  private readonly buckets = new Float64Array(10);
  private currentBucket = -1;

  add(nowMs: number, amount: number): void {
    this.advance(nowMs);
    this.buckets[this.currentBucket % 10]! += amount;
  }

  perSecond(nowMs: number): number {
    this.advance(nowMs);
    let sum = 0;
    for (const value of this.buckets) sum += value;
    return sum;
  }

  private advance(nowMs: number): void {
    const bucket = Math.floor(nowMs / RateMeter.BUCKET_MS);
    if (this.currentBucket < 0 || bucket - this.currentBucket >= 10) {
      this.buckets.fill(0);
    } else {
      for (let b = this.currentBucket + 1; b <= bucket; b++) this.buckets[b % 10] = 0;
    }
    if (bucket > this.currentBucket) this.currentBucket = bucket;
  }
}

/** A snapshot of a connection's statistics. */
export interface EndpointStats {
  /** Smoothed round-trip time (ms) and its variance (ms). */
  rttMs: number;
  rttVarianceMs: number;
  bestRttMs: number;
  worstRttMs: number;
  /** Percentage of recent packets sent that were never acknowledged. */
  packetLossPercent: number;
  bytesOutPerSecond: number;
  bytesInPerSecond: number;
  packetsOutPerSecond: number;
  packetsInPerSecond: number;
  /** Messages waiting to be sent for the first time, and reliable units sent but not yet acknowledged. */
  sendQueueLength: number;
  unackedReliable: number;
  /** Totals since the endpoint was created. */
  resends: number;
  packetsSent: number;
  packetsReceived: number;
  /** Packets sent that were never acknowledged (0 over reliable transports, which lose nothing). */
  packetsLost: number;
  /** Packets dropped as duplicates, stale, or malformed (malformed ones also counted apart). */
  duplicatePackets: number;
  stalePackets: number;
  malformedPackets: number;
  /** Unreliable sends over a reliable transport: they cannot be dropped, so they may arrive late. */
  degradedSends: number;
  /** Messages dropped after arriving: on compressed channels, ones that would not inflate within 1 MiB. */
  rejectedMessages: number;
}
