/** Connection statistics: RTT (RFC 6298 smoothing), loss over recent packets, per-second rates. */

/**
 * Round-trip times (ms, never negative), smoothed as TCP does (RFC 6298), plus best/worst of recent
 * samples.
 */
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

/**
 * Fraction of recent sent packets never acknowledged, over the last `window` resolved packets. A
 * packet recorded lost whose ack arrives late after all is taken back (recant): loss counts packets
 * that never arrived, not acks that were slow.
 */
export class LossTracker {
  /** Outcomes in a ring: 1 lost, 0 delivered; `count` of them recorded, the next at `next`. */
  private readonly outcomes: Uint8Array;
  /** The packet sequence of each outcome in the ring. */
  private readonly sequences: Int32Array;
  private next = 0;
  private count = 0;
  private lost = 0;
  /** Packets recorded lost since the tracker was made, less those taken back. */
  totalLost = 0;

  constructor(window = 256) {
    this.outcomes = new Uint8Array(window);
    this.sequences = new Int32Array(window);
  }

  record(sequence: number, wasLost: boolean): void {
    if (this.count === this.outcomes.length) this.lost -= this.outcomes[this.next]!;
    else this.count++;
    this.outcomes[this.next] = wasLost ? 1 : 0;
    this.sequences[this.next] = sequence;
    if (wasLost) {
      this.lost++;
      this.totalLost++;
    }
    this.next = (this.next + 1) % this.outcomes.length;
  }

  /**
   * Packet `sequence`, recorded lost, was acknowledged after all: it leaves the total, and the window
   * if still in it (the newest outcome recorded for that sequence).
   */
  recant(sequence: number): void {
    this.totalLost--;
    const size = this.outcomes.length;
    for (let back = 1; back <= this.count; back++) {
      const slot = (this.next - back + size) % size;
      if (this.sequences[slot] !== sequence) continue;
      if (this.outcomes[slot] === 1) {
        this.outcomes[slot] = 0;
        this.lost--;
      }
      return;
    }
  }

  get percent(): number {
    return this.count === 0 ? 0 : (100 * this.lost) / this.count;
  }
}

/** Width of a TrafficMeter bucket, ms: ten of them make the second it sums. */
const TRAFFIC_BUCKET_MS = 100;
const TRAFFIC_BUCKETS = 10;
/** The series a TrafficMeter keeps, each bucket's four side by side. */
const PACKETS_OUT = 0;
const BYTES_OUT = 1;
const PACKETS_IN = 2;
const BYTES_IN = 3;
const SERIES = 4;

/**
 * Packets and bytes sent and received over the last second, each the sum of ten 100 ms buckets.
 * The four series share one ring and one clock: counting a packet touches one object and one
 * array, which matters on a server that counts a packet per client per tick.
 */
export class TrafficMeter {
  private readonly buckets = new Float64Array(TRAFFIC_BUCKETS * SERIES);
  /** The bucket (ms / 100) counted into now; −1 before any. */
  private currentBucket = -1;
  /** Where the current bucket's series start in `buckets`. */
  private base = 0;

  sent(nowMs: number, bytes: number): void {
    const base = this.at(nowMs);
    this.buckets[base + PACKETS_OUT]! += 1;
    this.buckets[base + BYTES_OUT]! += bytes;
  }

  received(nowMs: number, bytes: number): void {
    const base = this.at(nowMs);
    this.buckets[base + PACKETS_IN]! += 1;
    this.buckets[base + BYTES_IN]! += bytes;
  }

  /** The four sums over the last second. */
  perSecond(nowMs: number): { packetsOut: number; bytesOut: number; packetsIn: number; bytesIn: number } {
    this.at(nowMs);
    const sums = [0, 0, 0, 0];
    for (let i = 0; i < this.buckets.length; i++) sums[i % SERIES]! += this.buckets[i]!;
    return {
      packetsOut: sums[PACKETS_OUT]!,
      bytesOut: sums[BYTES_OUT]!,
      packetsIn: sums[PACKETS_IN]!,
      bytesIn: sums[BYTES_IN]!,
    };
  }

  /**
   * Moves to the bucket of `nowMs` (clearing those skipped; a clock that steps back keeps counting
   * into the current one) and returns where its series start.
   */
  private at(nowMs: number): number {
    const bucket = Math.floor(nowMs / TRAFFIC_BUCKET_MS);
    // Stryker disable next-line ConditionalExpression: the fast path; the general one below clears nothing and keeps the same bucket
    if (bucket === this.currentBucket) return this.base;
    const buckets = this.buckets;
    // Stryker disable next-line EqualityOperator: exactly TRAFFIC_BUCKETS ahead, the loop below clears every bucket too
    if (this.currentBucket < 0 || bucket - this.currentBucket >= TRAFFIC_BUCKETS) {
      for (let i = 0; i < buckets.length; i++) buckets[i] = 0;
    } else {
      for (let b = this.currentBucket + 1; b <= bucket; b++) {
        const base = (b % TRAFFIC_BUCKETS) * SERIES;
        for (let i = base; i < base + SERIES; i++) buckets[i] = 0;
      }
    }
    // Stryker disable next-line EqualityOperator: an equal bucket returned above
    if (bucket > this.currentBucket) {
      this.currentBucket = bucket;
      this.base = (bucket % TRAFFIC_BUCKETS) * SERIES;
    }
    return this.base;
  }
}

/** A snapshot of a connection's statistics. */
export interface EndpointStats {
  /**
   * Smoothed round-trip time of the link (ms) and its variance (ms): acks less the time the peer held
   * them before sending (PROTOCOL.md §9.3), so a peer's update pace does not count.
   */
  rttMs: number;
  rttVarianceMs: number;
  bestRttMs: number;
  worstRttMs: number;
  /** Percentage of recent packets sent that were never acknowledged (an ack arriving late takes one back). */
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
