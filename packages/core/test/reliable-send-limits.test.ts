import { EntryKind, PACKET_HISTORY, RELIABLE_WINDOW, ReliableEndpoint, readPacket } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { expectError } from './support/connection-expect-error.js';
import { expectCode } from './support/expect-code.js';
import {
  dataEntries,
  PLAIN,
  QUIET as quiet,
  RELIABLE,
  reliableIds,
  SEQUENCED,
  withData,
} from './support/reliable-datagrams.js';

/** Delivers every packet A sends to B and every packet B sends back to A, both updating at `nowMs`. */
function exchange(a: ReliableEndpoint, b: ReliableEndpoint, nowMs: number) {
  const delivered = a.update(nowMs).flatMap((packet) => b.receive(packet, nowMs));
  for (const packet of b.update(nowMs)) a.receive(packet, nowMs);
  return delivered;
}

describe('queued bytes (maxQueuedBytes)', () => {
  it('accepts a send that brings the queue exactly to the limit and refuses one byte more', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, maxQueuedBytes: 1_000 }, 0);
    endpoint.send(RELIABLE, new Uint8Array(600), 0);
    expectError('SEND_QUEUE_FULL', 'send queue holds 600 bytes', () =>
      endpoint.send(RELIABLE, new Uint8Array(401), 0),
    );
    let thrown: unknown;
    try {
      endpoint.send(RELIABLE, new Uint8Array(401), 0);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'SEND_QUEUE_FULL', details: { queuedBytes: 600 } });
    endpoint.send(PLAIN, new Uint8Array(400), 0);
    expectCode('SEND_QUEUE_FULL', () => endpoint.send(PLAIN, new Uint8Array(1), 0));
  });

  it('frees reliable bytes once acknowledged, not when sent', () => {
    const a = new ReliableEndpoint({ ...quiet, maxQueuedBytes: 1_000 }, 0);
    const b = new ReliableEndpoint(quiet, 0);
    a.send(RELIABLE, new Uint8Array(1_000), 0);
    const packets = a.update(0);
    expectCode('SEND_QUEUE_FULL', () => a.send(RELIABLE, new Uint8Array(1), 1)); // sent, not yet acked
    for (const packet of packets) b.receive(packet, 1);
    for (const packet of b.update(1)) a.receive(packet, 2);
    a.send(RELIABLE, new Uint8Array(1_000), 2);
  });

  it('frees unreliable bytes when sent', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, maxQueuedBytes: 1_000 }, 0);
    endpoint.send(PLAIN, new Uint8Array(1_000), 0);
    endpoint.update(0);
    endpoint.send(SEQUENCED, new Uint8Array(1_000), 1);
  });

  it('frees reliable bytes when sent over a reliable transport', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, maxQueuedBytes: 1_000, transportReliable: true }, 0);
    endpoint.send(RELIABLE, new Uint8Array(1_000), 0);
    endpoint.update(0);
    endpoint.send(RELIABLE, new Uint8Array(1_000), 1);
  });

  it('never fills on a long-lived connection that keeps being acknowledged', () => {
    const a = new ReliableEndpoint({ ...quiet, maxQueuedBytes: 5_000 }, 0);
    const b = new ReliableEndpoint(quiet, 0);
    let delivered = 0;
    for (let nowMs = 0; nowMs < 2_000; nowMs += 10) {
      a.send(RELIABLE, new Uint8Array(900), nowMs);
      a.send(PLAIN, new Uint8Array(900), nowMs);
      delivered += exchange(a, b, nowMs).length;
    }
    expect(delivered).toBe(400);
    expect(a.stats(2_000)).toMatchObject({ unackedReliable: 0, sendQueueLength: 0 });
  });

  it('counts what waits to be sent and what waits for an ack', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 1_000 }, 0);
    for (let i = 0; i < 8; i++) endpoint.send(RELIABLE, new Uint8Array(1_000), 0);
    endpoint.send(PLAIN, new Uint8Array(10), 0);
    expect(endpoint.stats(0)).toMatchObject({ sendQueueLength: 9, unackedReliable: 0 });
    endpoint.update(0); // the 4800-byte bucket sends five units
    expect(endpoint.stats(0)).toMatchObject({ sendQueueLength: 4, unackedReliable: 5 });
  });
});

describe('send budget (sendRateBytesPerSecond)', () => {
  it('starts with a bucket of max(4 packets, 20 ms of rate) and refills it at the rate', () => {
    // 100 kB/s: a bucket of 4 × 1200 = 4800 bytes, refilled at 100 bytes a ms. Each packet: 1012 bytes.
    const endpoint = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 100_000 }, 0);
    for (let i = 0; i < 30; i++) endpoint.send(PLAIN, new Uint8Array(1_000), 0);
    const counts = [0, 1, 10, 13, 14, 40].map((nowMs) => endpoint.update(nowMs).length);
    // A packet starts while the bucket is above 0: 5 packets leave 4800 − 5060 = −260 bytes.
    // +1000 by 10 ms: one (−272); +300 by 13 ms: one (−984); +100 by 14: none; +2600 by 40: two.
    expect(counts).toEqual([5, 0, 1, 1, 0, 2]);
  });

  it('holds 20 ms of a fast rate', () => {
    // 1 MB/s: a 20_000-byte bucket (over 4 packets): 20 packets of 1012 bytes fit before it runs dry.
    const endpoint = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 1_000_000 }, 0);
    for (let i = 0; i < 40; i++) endpoint.send(PLAIN, new Uint8Array(1_000), 0);
    expect(endpoint.update(0).length).toBe(20);
  });

  it('does not charge the budget for header-only packets (repeated acks), only for bigger ones', () => {
    const a = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 1_000 }, 0);
    const b = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 1_000 }, 0);
    // Each packet of A's is acknowledged by three of B's: 10 bytes with its held time, then 8 and 8.
    const sizes: number[] = [];
    for (let t = 0; t < 900; t += 3) {
      a.send(PLAIN, Uint8Array.of(1), t);
      for (const packet of a.update(t)) b.receive(packet, t);
      for (const at of [t, t + 1, t + 2]) for (const packet of b.update(at)) sizes.push(packet.length);
    }
    expect(sizes.length).toBe(900);
    expect(sizes.filter((size) => size === 8).length).toBe(600);
    expect(sizes[0]).toBe(11); // the first is B's first keepalive, with the ack and held time
    // Charged 11 + 299 × 10 bytes against a 4800-byte bucket refilled 900 meanwhile: 2699 bytes left,
    // three 1012-byte packets. Charging the 8-byte ones too would leave nothing.
    for (let i = 0; i < 10; i++) b.send(PLAIN, new Uint8Array(1_000), 900);
    expect(b.update(900).length).toBe(3);
  });
});

describe('reliable window on the sending side', () => {
  it(`keeps at most RELIABLE_WINDOW units in flight per channel, then sends more as acks arrive`, () => {
    const a = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 1e9 }, 0);
    for (let i = 0; i < RELIABLE_WINDOW + 10; i++) a.send(RELIABLE, Uint8Array.of(1), 0);
    const first = a.update(0);
    const ids = reliableIds(first);
    expect(ids.length).toBe(RELIABLE_WINDOW);
    expect(ids.at(-1)).toBe(RELIABLE_WINDOW - 1);
    expect(a.stats(0).sendQueueLength).toBe(10);
    expect(reliableIds(a.update(1))).toEqual([]); // nothing acked: nothing more
    const b = new ReliableEndpoint(quiet, 0);
    b.receive(first[0]!, 2); // acknowledges the first packet's units
    for (const packet of b.update(2)) a.receive(packet, 3);
    expect(reliableIds([first[0]!]).length).toBeGreaterThan(10); // one packet acked frees over 10 ids
    expect(reliableIds(a.update(3))).toEqual(Array.from({ length: 10 }, (_, i) => RELIABLE_WINDOW + i));
  });

  it('lets buffered units ride along only within the window', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 1e9, nagleMs: 50 }, 0);
    for (let i = 0; i < RELIABLE_WINDOW - 1; i++) endpoint.send(RELIABLE, Uint8Array.of(1), 0);
    expect(reliableIds(endpoint.update(0)).length).toBe(RELIABLE_WINDOW - 1);
    for (let i = 0; i < 3; i++) endpoint.send(RELIABLE, Uint8Array.of(2), 1, 'reliable-buffered');
    endpoint.send(PLAIN, Uint8Array.of(3), 1); // a packet goes out anyway: the buffered units may ride
    expect(reliableIds(endpoint.update(1))).toEqual([RELIABLE_WINDOW - 1]);
  });
});

describe('packet history on the sending side', () => {
  it(`stops sending data once PACKET_HISTORY − 1 packets are unresolved, and resumes as they settle`, () => {
    // One 1000-byte message per packet, nothing acknowledged.
    const endpoint = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 1e9, initialResendMs: 500 }, 0);
    for (let i = 0; i < PACKET_HISTORY + 100; i++) endpoint.send(PLAIN, new Uint8Array(1_000), 0);
    expect(endpoint.update(0).length).toBe(PACKET_HISTORY - 1);
    expect(endpoint.update(999).length).toBe(0); // none counted lost yet: 2 × 500 ms
    expect(endpoint.update(1_000).length).toBe(0); // settled now, at the end of this update
    expect(endpoint.update(1_001).length).toBe(101);
    expect(endpoint.stats(1_001)).toMatchObject({ packetsLost: PACKET_HISTORY - 1, sendQueueLength: 0 });
  });
});

describe('coalescing and fragments', () => {
  it('holds buffered sends nagleMs unless a packet leaves anyway, then they ride in it', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, nagleMs: 5 }, 0);
    endpoint.send(RELIABLE, Uint8Array.of(1), 0, 'reliable-buffered');
    expect(withData(endpoint.update(4))).toEqual([]); // the first update's keepalive only
    expect(reliableIds(endpoint.update(5))).toEqual([0]);
    endpoint.send(RELIABLE, Uint8Array.of(2), 6, 'reliable-buffered');
    endpoint.send(PLAIN, Uint8Array.of(3), 7);
    const packets = endpoint.update(7);
    expect(packets.length).toBe(1);
    expect(dataEntries(packets[0]!).map((e) => e.kind)).toEqual([EntryKind.Unreliable, EntryKind.Reliable]);
    expect(endpoint.update(11)).toEqual([]); // it left already
  });

  it('fragments an unreliable message under one id and numbers the next message after it', () => {
    const a = new ReliableEndpoint(quiet, 0);
    const b = new ReliableEndpoint(quiet, 0);
    const big = Uint8Array.from({ length: 2_500 }, (_, i) => i & 0xff);
    for (const channel of [PLAIN, SEQUENCED]) {
      a.send(channel, big, 0);
      a.send(channel, Uint8Array.of(9), 0);
    }
    const packets = a.update(0);
    const entries = packets.flatMap((packet) => readPacket(packet).entries);
    const of = (kind: EntryKind) =>
      entries.filter((e) => e.kind === kind).map((e) => [e.id, e.fragmentIndex, e.fragmentCount]);
    expect(of(EntryKind.Sequenced)).toEqual([
      [0, 0, 3],
      [0, 1, 3],
      [0, 2, 3],
      [1, 0, 1],
    ]);
    expect(of(EntryKind.Unreliable).map(([, index, count]) => [index, count])).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [0, 1],
    ]);
    const delivered = packets.flatMap((packet) => b.receive(packet, 1));
    expect(delivered.map((m) => [m.channel, m.bytes.length])).toEqual([
      [PLAIN, 2_500],
      [PLAIN, 1],
      [SEQUENCED, 2_500],
      [SEQUENCED, 1],
    ]);
    expect(delivered[0]!.bytes).toEqual(big);
  });

  it('numbers reliable fragments with consecutive unit ids', () => {
    const endpoint = new ReliableEndpoint(quiet, 0);
    endpoint.send(RELIABLE, new Uint8Array(2_049), 0);
    endpoint.send(RELIABLE, Uint8Array.of(1), 0);
    expect(reliableIds(withData(endpoint.update(0)))).toEqual([0, 1, 2, 3]);
  });
});
