import { type ChannelConfig, type EndpointOptions, ReliableEndpoint } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { reliableIds } from './support/reliable-datagrams.js';

const RELIABLE = 0;
const channels: ChannelConfig[] = [{ kind: 'reliable-ordered' }, { kind: 'unreliable' }];
/** No keepalives or timeouts in the way: every packet in these tests is data. */
const quiet: EndpointOptions = { channels, keepaliveMs: 60_000, timeoutMs: 60_000, earlyResends: false };

/** Updates `endpoint` every ms from `fromMs` to `toMs`; returns, per update that sent units, [ms, ids]. */
function resendsBetween(endpoint: ReliableEndpoint, fromMs: number, toMs: number): [number, number[]][] {
  const sends: [number, number[]][] = [];
  for (let nowMs = fromMs; nowMs <= toMs; nowMs++) {
    const ids = reliableIds(endpoint.update(nowMs));
    if (ids.length > 0) sends.push([nowMs, ids]);
  }
  return sends;
}

/**
 * A's first packet (a unit sent at 0) reaches B at `oneWayMs`, and B's ack-only reply reaches A at
 * twice that: A then has one ack-wait sample of 2 × oneWayMs.
 */
function afterOneRoundTrip(oneWayMs: number, options: EndpointOptions) {
  const a = new ReliableEndpoint(options, 0);
  const b = new ReliableEndpoint(options, 0);
  a.send(RELIABLE, Uint8Array.of(1), 0);
  for (const packet of a.update(0)) b.receive(packet, oneWayMs);
  for (const packet of b.update(oneWayMs)) a.receive(packet, 2 * oneWayMs);
  return { a, b };
}

describe('retransmission timer, before any round-trip sample', () => {
  it('resends an unacknowledged unit after initialResendMs, doubling the wait each time up to 16×', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, initialResendMs: 100, maxResendMs: 10_000 }, 0);
    endpoint.send(RELIABLE, Uint8Array.of(1), 0);
    expect(reliableIds(endpoint.update(0))).toEqual([0]);
    const sends = resendsBetween(endpoint, 1, 6_300);
    // Waits 100, 200, 400, 800, 1600, then 1600 again: 2^MAX_RESEND_BACKOFF_DOUBLINGS at most.
    expect(sends).toEqual([
      [100, [0]],
      [300, [0]],
      [700, [0]],
      [1_500, [0]],
      [3_100, [0]],
      [4_700, [0]],
      [6_300, [0]],
    ]);
    expect(endpoint.stats(6_300)).toMatchObject({ resends: 7, unackedReliable: 1, packetsSent: 8 });
  });

  it('never waits longer than maxResendMs between resends', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, initialResendMs: 100, maxResendMs: 250 }, 0);
    endpoint.send(RELIABLE, Uint8Array.of(1), 0);
    endpoint.update(0);
    expect(resendsBetween(endpoint, 1, 1_050).map(([ms]) => ms)).toEqual([100, 300, 550, 800, 1_050]);
  });

  it('keeps a timer per unit: each is resent on its own schedule, not with the others', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, initialResendMs: 100, maxResendMs: 10_000 }, 0);
    endpoint.send(RELIABLE, Uint8Array.of(1), 0);
    expect(reliableIds(endpoint.update(0))).toEqual([0]);
    endpoint.send(RELIABLE, Uint8Array.of(2), 50);
    expect(resendsBetween(endpoint, 50, 360)).toEqual([
      [50, [1]],
      [100, [0]],
      [150, [1]],
      [300, [0]],
      [350, [1]],
    ]);
  });
});

describe('retransmission timer after round-trip samples', () => {
  it('waits smoothed + 4 × variance of the ack wait: 40 ms acks give 120 ms', () => {
    const { a } = afterOneRoundTrip(20, { ...quiet, maxResendMs: 10_000 });
    expect(a.stats(40).unackedReliable).toBe(0); // the first unit is acknowledged
    a.send(RELIABLE, Uint8Array.of(2), 40);
    expect(reliableIds(a.update(40))).toEqual([1]);
    expect(resendsBetween(a, 41, 400)).toEqual([
      [160, [1]],
      [400, [1]],
    ]);
  });

  it('waits at least minResendMs however fast the acks come back', () => {
    const { a } = afterOneRoundTrip(1, { ...quiet, minResendMs: 30 });
    a.send(RELIABLE, Uint8Array.of(2), 2);
    a.update(2);
    expect(resendsBetween(a, 3, 100).map(([ms]) => ms)).toEqual([32, 92]);
  });

  it('waits at most maxResendMs however slow the acks come back', () => {
    const { a } = afterOneRoundTrip(500, { ...quiet, maxResendMs: 1_500 });
    a.send(RELIABLE, Uint8Array.of(2), 1_000);
    a.update(1_000);
    expect(resendsBetween(a, 1_001, 4_000).map(([ms]) => ms)).toEqual([2_500, 4_000]);
  });

  it('does not resend a unit once a packet carrying it is acknowledged', () => {
    const { a } = afterOneRoundTrip(20, { ...quiet, maxResendMs: 10_000 });
    expect(resendsBetween(a, 40, 2_000)).toEqual([]);
    expect(a.stats(2_000).resends).toBe(0);
  });
});

describe('early resends in spare packet room', () => {
  /** An endpoint that sends one small unit at each of `times`, returning the ids of each update. */
  function sendAt(times: readonly number[], options: Partial<EndpointOptions> = {}) {
    const endpoint = new ReliableEndpoint({ ...quiet, earlyResends: true, ...options }, 0);
    return times.map((nowMs, i) => {
      endpoint.send(RELIABLE, Uint8Array.of(i), nowMs);
      return reliableIds(endpoint.update(nowMs));
    });
  }

  it('copies units unacknowledged for 10 ms into packets going out anyway, newest first, twice at most', () => {
    expect(sendAt([0, 5, 15, 30, 45])).toEqual([
      [0],
      [1], // unit 0 left only 5 ms ago
      [2, 1, 0],
      [3, 2, 1, 0], // first copies before second ones: 2 gets its first, 1 and 0 their second
      [4, 3, 2], // 1 and 0 had their two copies
    ]);
  });

  it('sends no copies when early resends are off', () => {
    expect(sendAt([0, 5, 15, 30], { earlyResends: false })).toEqual([[0], [1], [2], [3]]);
  });

  it('sends no copies over a reliable transport, which needs no resends at all', () => {
    const ids = sendAt([0, 5, 15, 30, 600, 1_200], { transportReliable: true });
    expect(ids).toEqual([[0], [1], [2], [3], [4], [5]]);
  });

  it('waits a tenth of the ack wait before copying, when that is over 10 ms', () => {
    const { a } = afterOneRoundTrip(100, { ...quiet, earlyResends: true }); // ack wait 200 ms
    const idsAt = (nowMs: number) => {
      a.send(RELIABLE, Uint8Array.of(0), nowMs);
      return reliableIds(a.update(nowMs));
    };
    expect(idsAt(200)).toEqual([1]);
    expect(idsAt(215)).toEqual([2]); // unit 1 left 15 ms ago: under 20
    expect(idsAt(220)).toEqual([3, 1]);
  });

  it('does not count early copies as timer resends: the timer does not back off for them', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, earlyResends: true, initialResendMs: 100 }, 0);
    endpoint.send(RELIABLE, Uint8Array.of(0), 0);
    endpoint.update(0);
    endpoint.send(RELIABLE, Uint8Array.of(1), 10);
    expect(reliableIds(endpoint.update(10))).toEqual([1, 0]); // unit 0's early copy
    // Both units were last sent at 10 and never by their timer: both are due 100 ms later.
    expect(resendsBetween(endpoint, 11, 110)).toEqual([[110, [0, 1]]]);
  });

  it('takes one more packet for copies that do not fit, only while the send budget is over half full', () => {
    const run = (sendRateBytesPerSecond: number) => {
      const endpoint = new ReliableEndpoint({ ...quiet, earlyResends: true, sendRateBytesPerSecond }, 0);
      for (let i = 0; i < 3; i++) endpoint.send(RELIABLE, new Uint8Array(1_000), 0);
      expect(endpoint.update(0).length).toBe(3);
      endpoint.send(RELIABLE, Uint8Array.of(3), 20);
      return endpoint.update(20).map((packet) => reliableIds([packet]));
    };
    expect(run(2 * 1024 * 1024)).toEqual([[3, 2], [1]]);
    // 1 kB/s: the 4800-byte bucket lost over 3000 bytes to the first packets, so under half is left.
    expect(run(1_000)).toEqual([[3, 2]]);
  });

  it('takes no extra packet when the budget is exactly half full', () => {
    // 1 kB/s, a 4800-byte bucket: packets of 1200, 1200 and 20 bytes at 0 ms, 20 ms of refill: 2400 left.
    const endpoint = new ReliableEndpoint({ ...quiet, earlyResends: true, sendRateBytesPerSecond: 1_000 }, 0);
    for (const bytes of [1_024, 156, 1_024, 156, 7]) endpoint.send(RELIABLE, new Uint8Array(bytes), 0);
    expect(endpoint.update(0).map((packet) => packet.length)).toEqual([1_200, 1_200, 20]);
    endpoint.send(RELIABLE, new Uint8Array(1_000), 20);
    // Copies of units 4 and 3 fit beside unit 5; unit 2's does not, and waits.
    expect(endpoint.update(20).map((packet) => reliableIds([packet]))).toEqual([[5, 4, 3]]);
  });
});
