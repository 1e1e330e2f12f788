import { ShardlineError } from '../errors.js';

/** Impairments applied to one direction of a link. All optional; the default is a perfect link. */
export interface LinkSettings {
  /** One-way delay added to every packet (ms). */
  latencyMs?: number;
  /** Extra random delay, uniform in [0, jitterMs] (ms). Jitter reorders packets naturally. */
  jitterMs?: number;
  /** Chance (0–100) that a packet is dropped. */
  lossPercent?: number;
  /** Chance (0–100) that a packet is delivered twice (the copy gets its own delay). */
  duplicatePercent?: number;
  /** Chance (0–100) that a packet is held back an extra `reorderDelayMs`, landing behind later ones. */
  reorderPercent?: number;
  reorderDelayMs?: number;
  /** Bytes per second the link carries; packets beyond it queue (and are dropped past 1 s of backlog). */
  bandwidthBytesPerSecond?: number;
}

/** Deterministic pseudo-random numbers (xorshift32) so a seeded test replays the same network. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0 || 0x2545f491;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

interface InFlight<T> {
  deliverAtMs: number;
  order: number;
  packet: T;
}

export interface ConditionerCounters {
  sent: number;
  dropped: number;
  /** Stream delivery: packets 'lost' and held back by a retransmission timeout instead. */
  retransmitted: number;
  duplicated: number;
  reordered: number;
  delivered: number;
}

/**
 * How the link delivers. `datagrams` (UDP): loss drops, jitter reorders. `stream` (TCP under a
 * WebSocket): nothing is lost or reordered; a lost packet is resent after a retransmission timeout
 * (max(200 ms, round trip + 4 × jitter), doubling per repeated loss) and holds back every packet of
 * its flow behind it, which is what a bad network does to a stream. Duplicates and reordering do not
 * apply to streams.
 */
export type LinkDelivery = 'datagrams' | 'stream';

/** Linux's minimum TCP retransmission timeout, ms. */
const MIN_RETRANSMIT_MS = 200;

/**
 * A sans-IO simulated link for one direction: `send(packet, nowMs)` puts a packet on it, `receive(nowMs)`
 * returns the packets that have arrived by then, in arrival order. Settings can change at any time
 * (`configure`). Wrap any transport with two of these to test it at ugly network settings.
 */
export class LinkConditioner<T extends { length: number } = Uint8Array> {
  private settings: Required<LinkSettings>;
  private readonly random: () => number;
  private inFlight: InFlight<T>[] = [];
  private order = 0;
  /** When the bandwidth-limited link is next free (ms). */
  private linkFreeAtMs = 0;
  /** Stream delivery: when each flow's last packet arrives (none may overtake it). */
  private readonly flowArrivalMs = new Map<string, number>();
  readonly counters: ConditionerCounters = {
    sent: 0,
    dropped: 0,
    retransmitted: 0,
    duplicated: 0,
    reordered: 0,
    delivered: 0,
  };

  constructor(
    settings: LinkSettings = {},
    seed = 1,
    readonly delivery: LinkDelivery = 'datagrams',
  ) {
    this.settings = LinkConditioner.resolve(settings);
    this.random = randomSource(seed);
  }

  configure(settings: LinkSettings): void {
    this.settings = LinkConditioner.resolve(settings);
  }

  /** Puts `packet` on the link at `nowMs`; with stream delivery, `flow` names the stream (a peer) it is in. */
  send(packet: T, nowMs: number, flow = ''): void {
    const s = this.settings;
    this.counters.sent++;
    if (this.delivery === 'stream') {
      this.sendInStream(packet, nowMs, flow);
      return;
    }
    if (this.random() * 100 < s.lossPercent) {
      this.counters.dropped++;
      return;
    }
    let departMs = nowMs;
    if (s.bandwidthBytesPerSecond > 0) {
      departMs = Math.max(nowMs, this.linkFreeAtMs);
      if (departMs - nowMs > 1000) {
        this.counters.dropped++;
        return;
      }
      this.linkFreeAtMs = departMs + (packet.length / s.bandwidthBytesPerSecond) * 1000;
    }
    const copies = this.random() * 100 < s.duplicatePercent ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let copy = 0; copy < copies; copy++) {
      let delayMs = s.latencyMs + this.random() * s.jitterMs;
      if (this.random() * 100 < s.reorderPercent) {
        delayMs += s.reorderDelayMs;
        this.counters.reordered++;
      }
      this.inFlight.push({ deliverAtMs: departMs + delayMs, order: this.order++, packet });
    }
  }

  private sendInStream(packet: T, nowMs: number, flow: string): void {
    const s = this.settings;
    let departMs = nowMs;
    if (s.bandwidthBytesPerSecond > 0) {
      departMs = Math.max(nowMs, this.linkFreeAtMs);
      this.linkFreeAtMs = departMs + (packet.length / s.bandwidthBytesPerSecond) * 1000;
    }
    let delayMs = s.latencyMs + this.random() * s.jitterMs;
    let timeoutMs = Math.max(MIN_RETRANSMIT_MS, 2 * s.latencyMs + 4 * s.jitterMs);
    // Each loss costs a retransmission timeout, doubled per repeat; at most 6 repeats (63 timeouts in all).
    for (let losses = 0; losses < 6 && this.random() * 100 < s.lossPercent; losses++) {
      this.counters.retransmitted++;
      delayMs += timeoutMs;
      timeoutMs *= 2;
    }
    const arrivalMs = Math.max(departMs + delayMs, this.flowArrivalMs.get(flow) ?? 0);
    this.flowArrivalMs.set(flow, arrivalMs);
    this.inFlight.push({ deliverAtMs: arrivalMs, order: this.order++, packet });
  }

  /** Forgets a stream's ordering (its peer is gone). */
  endFlow(flow: string): void {
    this.flowArrivalMs.delete(flow);
  }

  /** Packets that have arrived by `nowMs`, earliest first. */
  receive(nowMs: number): T[] {
    if (this.inFlight.length === 0) return [];
    const arrived: InFlight<T>[] = [];
    const waiting: InFlight<T>[] = [];
    for (const item of this.inFlight) (item.deliverAtMs <= nowMs ? arrived : waiting).push(item);
    this.inFlight = waiting;
    arrived.sort((a, b) => a.deliverAtMs - b.deliverAtMs || a.order - b.order);
    this.counters.delivered += arrived.length;
    return arrived.map((item) => item.packet);
  }

  /** Packets still on the link. */
  get pending(): number {
    return this.inFlight.length;
  }

  private static resolve(settings: LinkSettings): Required<LinkSettings> {
    const resolved = {
      latencyMs: settings.latencyMs ?? 0,
      jitterMs: settings.jitterMs ?? 0,
      lossPercent: settings.lossPercent ?? 0,
      duplicatePercent: settings.duplicatePercent ?? 0,
      reorderPercent: settings.reorderPercent ?? 0,
      reorderDelayMs: settings.reorderDelayMs ?? 50,
      bandwidthBytesPerSecond: settings.bandwidthBytesPerSecond ?? 0,
    };
    for (const [name, value] of Object.entries(resolved)) {
      const isPercent = name.endsWith('Percent');
      if (!Number.isFinite(value) || value < 0 || (isPercent && value > 100)) {
        throw new ShardlineError('VALUE_INVALID', `link setting ${name} = ${value} is out of range`);
      }
    }
    return resolved;
  }
}
