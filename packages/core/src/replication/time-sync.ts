import { ShardlineError } from '../errors.js';

const PING = 1;
const PONG = 2;
/** Samples kept; the faster half of them decides the offset (slow round trips are the noisy ones). */
const SAMPLES = 16;
/** Samples needed, and the spread they must stay within, before time counts as synchronized. */
const MIN_SAMPLES = 5;
const SYNCHRONIZED_VARIANCE_MS = 10;
/**
 * Ping cadence (PROTOCOL.md §11.1): fast while synchronizing (until synchronized, or the window of
 * samples is full: past that, a jittery link gains nothing from pinging faster); then slow until the
 * window is full; then, once synchronized with a full window, settled: clocks drift by parts per
 * million, so a ping every few seconds keeps the estimate, and the server's figures, current.
 */
const FAST_PING_MS = 100;
const SLOW_PING_MS = 1_000;
const SETTLED_PING_MS = 5_000;

interface Sample {
  roundTripMs: number;
  offsetMs: number;
}

/** This process's monotonic clock, ms: performance.now where present (browsers, Node), else Date.now. */
export function monotonicNowMs(): number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf ? perf.now() : Date.now();
}

/** The longest view delay a clock ping may report, ms. */
export const MAX_VIEW_DELAY_MS = 60_000;
const PING_BYTES = 25;
const PONG_BYTES = 17;

/** What a client's clock ping tells the server (PROTOCOL.md §11.1). */
export interface ClockReport {
  /** The client's own clock when it sent the ping, ms (echoed in the pong). */
  clientSentMs: number;
  /** Its estimate of the server's clock at that moment, ms; NaN before its first pong. */
  serverEstimateMs: number;
  /** How far behind the newest snapshots it draws the world, ms; NaN if it does not say. */
  viewDelayMs: number;
}

/** A clock ping's report; undefined for bytes that are not a well-formed ping. */
export function readPing(ping: Uint8Array): ClockReport | undefined {
  if (ping.length !== PING_BYTES || ping[0] !== PING) return undefined;
  const view = new DataView(ping.buffer, ping.byteOffset, ping.byteLength);
  const report = {
    clientSentMs: view.getFloat64(1, true),
    serverEstimateMs: view.getFloat64(9, true),
    viewDelayMs: view.getFloat64(17, true),
  };
  const { clientSentMs, serverEstimateMs, viewDelayMs } = report;
  if (!Number.isFinite(clientSentMs)) return undefined;
  if (!Number.isNaN(serverEstimateMs) && !Number.isFinite(serverEstimateMs)) return undefined;
  if (!Number.isNaN(viewDelayMs) && !(viewDelayMs >= 0 && viewDelayMs <= MAX_VIEW_DELAY_MS)) return undefined;
  return report;
}

/** Answers a client's clock ping with the server's clock (ms). Undefined for anything that is not a ping. */
export function answerPing(ping: Uint8Array, serverNowMs: number): Uint8Array | undefined {
  if (!readPing(ping)) return undefined;
  const pong = new Uint8Array(PONG_BYTES);
  pong[0] = PONG;
  pong.set(ping.subarray(1, 9), 1); // the client's send time, echoed
  new DataView(pong.buffer).setFloat64(9, serverNowMs, true);
  return pong;
}

/**
 * The client's estimate of the server's clock, NTP-style and sans-IO: `update` says when to ping,
 * `receivePong` takes the answers. Each sample's offset assumes the two legs of its round trip were
 * equal; the offset is the median over the faster half of recent samples, whose spread is the variance.
 */
export class TimeSync {
  private readonly samples: Sample[] = [];
  private lastPingMs = Number.NEGATIVE_INFINITY;

  /**
   * A ping to send now, if one is due. It carries this client's estimate of the server clock and,
   * if given, its view delay (ms behind the newest snapshots it draws), for the server's figures.
   */
  update(nowMs: number, viewDelayMs = Number.NaN): Uint8Array | undefined {
    if (nowMs - this.lastPingMs < this.pingIntervalMs) return undefined;
    this.lastPingMs = nowMs;
    const ping = new Uint8Array(PING_BYTES);
    ping[0] = PING;
    const view = new DataView(ping.buffer);
    view.setFloat64(1, nowMs, true);
    view.setFloat64(9, this.samples.length > 0 ? this.serverTimeMs(nowMs) : Number.NaN, true);
    const delay = Math.min(MAX_VIEW_DELAY_MS, Math.max(0, viewDelayMs));
    view.setFloat64(17, Number.isNaN(viewDelayMs) ? Number.NaN : delay, true);
    return ping;
  }

  /** How long after a ping the next one goes, ms: see FAST_PING_MS, SLOW_PING_MS, SETTLED_PING_MS. */
  get pingIntervalMs(): number {
    const full = this.samples.length >= SAMPLES;
    if (this.synchronized) return full ? SETTLED_PING_MS : SLOW_PING_MS;
    return full ? SLOW_PING_MS : FAST_PING_MS;
  }

  /** Takes a pong; WIRE_INVALID for one that is malformed or answers a ping from the future. */
  receivePong(pong: Uint8Array, nowMs: number): void {
    if (pong.length !== PONG_BYTES || pong[0] !== PONG)
      throw new ShardlineError('WIRE_INVALID', 'not a pong');
    const view = new DataView(pong.buffer, pong.byteOffset, pong.byteLength);
    const sentAtMs = view.getFloat64(1, true);
    const serverTimeMs = view.getFloat64(9, true);
    const roundTripMs = nowMs - sentAtMs;
    if (!(roundTripMs >= 0) || !Number.isFinite(serverTimeMs)) {
      throw new ShardlineError('WIRE_INVALID', 'pong does not answer a ping of ours');
    }
    this.samples.push({ roundTripMs, offsetMs: serverTimeMs + roundTripMs / 2 - nowMs });
    if (this.samples.length > SAMPLES) this.samples.shift();
  }

  /** The faster half of the samples, the ones the estimate trusts. */
  private get trusted(): Sample[] {
    const sorted = [...this.samples].sort((a, b) => a.roundTripMs - b.roundTripMs);
    return sorted.slice(0, Math.max(1, Math.ceil(sorted.length / 2)));
  }

  /** Server clock minus ours, in ms (0 before any sample). */
  get offsetMs(): number {
    if (this.samples.length === 0) return 0;
    const offsets = this.trusted.map((sample) => sample.offsetMs).sort((a, b) => a - b);
    return offsets[Math.floor(offsets.length / 2)]!;
  }

  /** The server's clock now, as best estimated. */
  serverTimeMs(nowMs: number): number {
    return nowMs + this.offsetMs;
  }

  /** Standard deviation of the trusted samples' offsets, in ms. */
  get timeVarianceMs(): number {
    const trusted = this.trusted;
    if (trusted.length < 2) return Number.POSITIVE_INFINITY;
    const mean = trusted.reduce((sum, sample) => sum + sample.offsetMs, 0) / trusted.length;
    const variance = trusted.reduce((sum, sample) => sum + (sample.offsetMs - mean) ** 2, 0) / trusted.length;
    return Math.sqrt(variance);
  }

  /** Enough samples agree closely enough to schedule by the server's clock. */
  get synchronized(): boolean {
    return this.samples.length >= MIN_SAMPLES && this.timeVarianceMs <= SYNCHRONIZED_VARIANCE_MS;
  }

  /** Round-trip latency over recent samples, in ms. */
  get latency(): { bestMs: number; averageMs: number; worstMs: number } {
    if (this.samples.length === 0) return { bestMs: 0, averageMs: 0, worstMs: 0 };
    const trips = this.samples.map((sample) => sample.roundTripMs);
    return {
      bestMs: Math.min(...trips),
      averageMs: trips.reduce((sum, trip) => sum + trip, 0) / trips.length,
      worstMs: Math.max(...trips),
    };
  }
}
