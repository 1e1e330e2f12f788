import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import {
  type ChannelConfig,
  compressorFromNodeZlib,
  type EndpointOptions,
  EntryKind,
  LinkConditioner,
  MAX_MESSAGE_BYTES,
  ReliableEndpoint,
  readPacket,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrafficMeter } from '../src/reliable/stats.js';
import { expectCode } from './support/expect-code.js';
import { SimulatedLink } from './support/simulated-link.js';

const ORDERED = 0;
const UNORDERED = 1;
const SEQUENCED = 2;
const PLAIN = 3;
const channels: ChannelConfig[] = [
  { kind: 'reliable-ordered', priority: 2 },
  { kind: 'reliable-unordered', priority: 1 },
  { kind: 'unreliable-sequenced' },
  { kind: 'unreliable' },
];

/** A message whose content says which one it is: 4-byte index, then `size - 4` pattern bytes. */
function message(index: number, size = 16): Uint8Array {
  const bytes = new Uint8Array(Math.max(4, size));
  new DataView(bytes.buffer).setUint32(0, index, true);
  for (let i = 4; i < bytes.length; i++) bytes[i] = (index * 31 + i) & 0xff;
  return bytes;
}

function indexOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
}

const UGLY = {
  latencyMs: 250,
  jitterMs: 100,
  lossPercent: 25,
  duplicatePercent: 25,
  reorderPercent: 10,
  reorderDelayMs: 80,
};

describe('reliable endpoint at 250 ms latency, 100 ms jitter, 25% loss, 25% duplication, reordering', () => {
  it('delivers every reliable message exactly once, in order where ordered; sequenced never goes back', () => {
    const link = new SimulatedLink({ channels }, UGLY);
    const sizes = [1, 16, 700, 1024, 1025, 5000, 64];
    let sequencedSent = 0;
    for (let i = 0; i < 300; i++) {
      link.a.send(ORDERED, message(i, sizes[i % sizes.length]), link.nowMs);
      link.a.send(UNORDERED, message(i, sizes[(i + 3) % sizes.length]), link.nowMs);
      if (i % 3 === 0) link.a.send(SEQUENCED, message(sequencedSent++), link.nowMs);
      if (i % 10 === 0) link.step(16);
    }
    const big = message(999_999, 200_000);
    link.a.send(ORDERED, big, link.nowMs);
    const ordered = () => link.receivedByB.filter((m) => m.channel === ORDERED);
    const took = link.runUntil(
      () => ordered().length === 301 && link.a.stats(link.nowMs).unackedReliable === 0,
      120_000,
    );
    expect(took).toBeLessThan(120_000);

    const orderedIndexes = ordered().map((m) => indexOf(m.bytes));
    expect(orderedIndexes).toEqual([...Array.from({ length: 300 }, (_, i) => i), 999_999]);
    // Byte for byte, with Buffer.equals (toEqual walks a 200 kB array element by element, for seconds).
    const intact = ordered().map((m, i) =>
      Buffer.from(m.bytes).equals(i < 300 ? message(i, sizes[i % sizes.length]) : big),
    );
    expect(intact).toEqual(Array.from({ length: 301 }, () => true));
    const unordered = link.receivedByB.filter((m) => m.channel === UNORDERED).map((m) => indexOf(m.bytes));
    expect(unordered.length).toBe(300);
    expect([...unordered].sort((x, y) => x - y)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(unordered).not.toEqual([...unordered].sort((x, y) => x - y)); // reordering really happened

    const sequenced = link.receivedByB.filter((m) => m.channel === SEQUENCED).map((m) => indexOf(m.bytes));
    expect(sequenced.length).toBeGreaterThan(0);
    for (let i = 1; i < sequenced.length; i++) expect(sequenced[i]!).toBeGreaterThan(sequenced[i - 1]!);

    expect(link.aToB.counters.duplicated).toBeGreaterThan(0);
    expect(link.b.stats(link.nowMs).duplicatePackets).toBeGreaterThan(0);
    expect(link.a.stats(link.nowMs).resends).toBeGreaterThan(0);
  }, 30_000); // seconds of simulated ugliness: more than the 5 s default on a loaded machine

  it('reassembles the largest message, 1 MiB in 1024 fragments', () => {
    const link = new SimulatedLink(
      { channels, sendRateBytesPerSecond: 8 * 1024 * 1024 },
      { ...UGLY, latencyMs: 50, jitterMs: 20 },
    );
    const huge = Uint8Array.from({ length: MAX_MESSAGE_BYTES }, (_, i) => (i * 13) & 0xff);
    link.a.send(UNORDERED, huge, 0);
    link.runUntil(() => link.receivedByB.length === 1, 120_000);
    // Byte for byte (Buffer.equals: toEqual walks a 1 MiB array element by element, for seconds).
    expect(Buffer.from(link.receivedByB[0]!.bytes).equals(huge)).toBe(true);
  });

  it("reports packet loss within a few percent of the link's", () => {
    for (const lossPercent of [5, 25]) {
      const link = new SimulatedLink({ channels }, { ...UGLY, lossPercent }, 11);
      for (let t = 0; t < 1500; t++) {
        link.a.send(PLAIN, message(t, 200), link.nowMs);
        link.b.send(PLAIN, message(t, 200), link.nowMs);
        link.step(16);
      }
      const measured = link.a.stats(link.nowMs).packetLossPercent;
      expect(Math.abs(measured - lossPercent)).toBeLessThan(6);
    }
  });

  it('estimates RTT from acknowledgements', () => {
    const link = new SimulatedLink({ channels }, { latencyMs: 100 });
    for (let t = 0; t < 200; t++) {
      link.a.send(ORDERED, message(t), link.nowMs);
      link.b.send(ORDERED, message(t), link.nowMs);
      link.step(10);
    }
    const stats = link.a.stats(link.nowMs);
    // 100 ms each way; the 10 ms each side waits for its next update before acking is held time.
    expect(stats.rttMs).toBe(200);
    expect(stats.bestRttMs).toBe(200);
    expect(stats.worstRttMs).toBe(200);
    expect(stats.packetLossPercent).toBe(0);
    expect(stats.packetsOutPerSecond).toBeGreaterThan(90);
    expect(stats.bytesOutPerSecond).toBeGreaterThan(stats.packetsOutPerSecond * 8);
  });
});

describe('reliable endpoint behaviour', () => {
  it('keeps what it delivered intact when the next packets reuse its parser, on every kind of channel', () => {
    // The receiving endpoint reads every packet into the same objects: delivered messages must be
    // copies, and packets handed to the transport never change afterwards.
    const a = new ReliableEndpoint({ channels }, 0);
    const b = new ReliableEndpoint({ channels }, 0);
    const delivered: { channel: number; bytes: Uint8Array }[] = [];
    const sent: { packet: Uint8Array; copy: Uint8Array }[] = [];
    let index = 0;
    for (let now = 0; now < 200; now += 10) {
      for (const channel of [ORDERED, UNORDERED, SEQUENCED, PLAIN])
        a.send(channel, message(index++, 40), now);
      if (now % 50 === 0) a.send(ORDERED, message(index++, 3000), now); // fragmented
      for (const packet of a.update(now)) {
        sent.push({ packet, copy: packet.slice() });
        for (const received of b.receive(packet, now)) delivered.push(received);
      }
      for (const packet of b.update(now)) a.receive(packet, now);
    }
    expect(delivered.length).toBe(index);
    for (const { bytes } of delivered) expect(bytes).toEqual(message(indexOf(bytes), bytes.length));
    for (const { packet, copy } of sent) expect(packet).toEqual(copy);
  });

  it('keeps an idle connection alive with a keepalive and one ack per interval, without ack ping-pong', () => {
    const link = new SimulatedLink({ channels, keepaliveMs: 250 }, { latencyMs: 20 });
    link.runUntil(() => false, 10_000, 10);
    expect(link.a.state).toBe('connected');
    const stats = link.a.stats(link.nowMs);
    // At most a keepalive per 250 ms and one ack-only reply to each of the peer's: no more than 80 in
    // 10 s (acks also count as signs of life, so some keepalives are skipped). Ping-pong would be ~1000.
    expect(stats.packetsSent).toBeGreaterThanOrEqual(40);
    expect(stats.packetsSent).toBeLessThanOrEqual(80);
    // Keepalives are acknowledged at the peer's next update, 10 ms after they arrive; the held time
    // takes that out, leaving the link's 40 ms.
    expect(stats.rttMs).toBe(40);
    expect(stats.worstRttMs).toBe(40);
  });

  it('times out when nothing arrives for timeoutMs', () => {
    const link = new SimulatedLink({ channels, timeoutMs: 2_000 }, { lossPercent: 100 });
    link.runUntil(() => link.a.state !== 'connected', 5_000);
    expect(link.a.state).toBe('timed-out');
    expect(link.nowMs).toBeGreaterThan(2_000);
    expect(link.nowMs).toBeLessThanOrEqual(2_020);
    expect(link.a.update(link.nowMs)).toEqual([]);
  });

  it('spends the send budget on the highest-priority channel first', () => {
    const link = new SimulatedLink(
      {
        channels: [
          { kind: 'reliable-ordered', priority: 0 },
          { kind: 'reliable-ordered', priority: 5 },
        ],
        sendRateBytesPerSecond: 20_000,
      },
      { latencyMs: 5 },
    );
    for (let i = 0; i < 50; i++) link.a.send(0, message(i, 1000), link.nowMs);
    for (let i = 0; i < 50; i++) link.a.send(1, message(i, 1000), link.nowMs);
    link.runUntil(() => link.receivedByB.length >= 50, 10_000);
    expect(link.receivedByB.slice(0, 50).every((m) => m.channel === 1)).toBe(true);
    // 100 kB at 20 kB/s: the second channel finishes about 5 s in, not at once.
    const took = link.runUntil(() => link.receivedByB.length === 100, 20_000);
    expect(link.nowMs).toBeGreaterThan(4_000);
    expect(took).toBeLessThan(20_000);
  });

  it('coalesces buffered sends into one packet and flushes no-delay sends at once', () => {
    const endpoint = new ReliableEndpoint({ channels, nagleMs: 5 }, 0);
    for (let i = 0; i < 20; i++) endpoint.send(ORDERED, message(i, 30), 0, 'reliable-buffered');
    const withData = (packets: readonly Uint8Array[]) =>
      packets.filter((p) => readPacket(p).entries.some((entry) => entry.kind !== EntryKind.Ping));
    expect(withData(endpoint.update(1))).toEqual([]);
    const packets = endpoint.update(6);
    expect(packets.length).toBe(1);
    expect(readPacket(packets[0]!).entries.length).toBe(20);
    expect(endpoint.send(PLAIN, message(1), 6, 'unreliable-no-delay')).toBe(true);
    expect(endpoint.send(PLAIN, message(2), 6, 'unreliable')).toBe(false);
  });

  it('leaves headroomBytes free before each packet, and keeps a copy of what it was sent', () => {
    const plain = new ReliableEndpoint({ channels, mtuBytes: 1100 }, 0);
    const framed = new ReliableEndpoint({ channels, mtuBytes: 1100, headroomBytes: 3 }, 0);
    for (const endpoint of [plain, framed]) {
      for (let i = 0; i < 5; i++) {
        const bytes = message(i, 400);
        endpoint.send(ORDERED, bytes, 0);
        endpoint.send(PLAIN, bytes, 0);
        bytes.fill(0); // the endpoint must not see changes made after send
      }
    }
    const expected = plain.update(1);
    const packets = framed.update(1);
    expect(expected.length).toBe(5); // 10 entries of ~405 bytes, two per 1100-byte packet
    expect(packets.length).toBe(expected.length);
    packets.forEach((packet, i) => {
      expect([...packet.subarray(0, 3)]).toEqual([0, 0, 0]);
      expect(packet.subarray(3)).toEqual(expected[i]);
    });
    const delivered = expected.flatMap((packet) => readPacket(packet).entries.map((e) => indexOf(e.payload)));
    expect(delivered.sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it('sends a no-delay message at once in a packet of its own over a reliable transport, in order', () => {
    const sender = new ReliableEndpoint({ channels, transportReliable: true }, 0);
    const receiver = new ReliableEndpoint({ channels, transportReliable: true }, 0);
    const delivered: number[] = [];
    const deliver = (packet: Uint8Array) => {
      for (const m of receiver.receive(packet, 1)) delivered.push(indexOf(m.bytes));
    };
    const direct = sender.sendNow(SEQUENCED, message(1), 1);
    expect(direct).toBeDefined();
    expect(readPacket(direct!).entries.length).toBe(1);
    // Packets with data, leaving out the pings that time the round trip.
    const withData = (packets: readonly Uint8Array[]) =>
      packets.filter((p) => readPacket(p).entries.some((entry) => entry.kind !== EntryKind.Ping));
    expect(withData(sender.update(1))).toEqual([]); // nothing left
    // Something queued first: the message waits its turn, and both leave in one packet at update.
    sender.send(ORDERED, message(2), 1);
    expect(sender.sendNow(SEQUENCED, message(3), 1)).toBeUndefined();
    const later = withData(sender.update(2));
    expect(later.length).toBe(1);
    for (const packet of [direct!, ...later]) deliver(packet);
    expect(delivered).toEqual([1, 2, 3]);
    // Not over a datagram transport, and not on a reliable channel.
    expect(new ReliableEndpoint({ channels }, 0).sendNow(SEQUENCED, message(4), 0)).toBeUndefined();
    expectCode('VALUE_INVALID', () => sender.sendNow(ORDERED, message(5), 3));
  });

  it('lets a message leave outside the layer only over a stream, on an unreliable channel with nothing queued, and takes one only there', () => {
    const sender = new ReliableEndpoint({ channels, transportReliable: true, keepaliveMs: 1000 }, 0);
    sender.sendNow(PLAIN, message(0), 0); // a packet with a header just left
    expect(sender.takeMessage(SEQUENCED, 20, 10)).toBe(true);
    expect(sender.takeMessage(ORDERED, 20, 10)).toBe(false);
    expect(sender.takeMessage(SEQUENCED, 20, 500)).toBe(false); // half a keepalive since the header: one is due
    sender.sendNow(PLAIN, message(1), 500);
    sender.send(ORDERED, message(2), 510);
    expect(sender.takeMessage(SEQUENCED, 20, 510)).toBe(false); // it would overtake what is queued
    expect(sender.stats(510).packetsSent).toBe(3);
    const overDatagrams = new ReliableEndpoint({ channels, keepaliveMs: 1000 }, 0);
    overDatagrams.sendNow(PLAIN, message(3), 0);
    expect(overDatagrams.takeMessage(SEQUENCED, 20, 10)).toBe(false);

    const receiver = new ReliableEndpoint({ channels, transportReliable: true }, 0);
    expect(receiver.receiveMessage(SEQUENCED, message(4), 22, 1)).toEqual({
      channel: SEQUENCED,
      bytes: message(4),
    });
    expect(receiver.receiveMessage(ORDERED, message(5), 22, 1)).toBeUndefined();
    expect(receiver.receiveMessage(99, message(6), 22, 1)).toBeUndefined();
    expect(
      new ReliableEndpoint({ channels }, 0).receiveMessage(SEQUENCED, message(7), 22, 1),
    ).toBeUndefined();
    const stats = receiver.stats(1);
    expect([stats.packetsReceived, stats.malformedPackets]).toEqual([1, 2]);
  });

  it('rejects bad sends with stable codes', () => {
    const endpoint = new ReliableEndpoint({ channels, maxQueuedBytes: 10_000 }, 0);
    expectCode('VALUE_INVALID', () => endpoint.send(9, message(1), 0));
    expectCode('VALUE_INVALID', () => endpoint.send(ORDERED, message(1), 0, 'unreliable'));
    expectCode('VALUE_INVALID', () => endpoint.send(PLAIN, message(1), 0, 'reliable'));
    expectCode('VALUE_INVALID', () => endpoint.send(ORDERED, new Uint8Array(MAX_MESSAGE_BYTES + 1), 0));
    endpoint.send(ORDERED, new Uint8Array(9_000), 0);
    expectCode('SEND_QUEUE_FULL', () => endpoint.send(ORDERED, new Uint8Array(2_000), 0));
    expectCode('VALUE_INVALID', () => new ReliableEndpoint({ channels: [] }, 0));
  });

  it('drops random and mutated datagrams without throwing and keeps working', () => {
    const link = new SimulatedLink({ channels }, {});
    link.a.send(ORDERED, message(1, 3000), 0);
    const real: readonly Uint8Array[] = link.a.update(1);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 1300 }),
          fc.tuple(fc.constantFrom(...real), fc.nat(), fc.nat({ max: 7 })).map(([packet, at, bit]) => {
            const copy = packet.slice();
            copy[at % copy.length]! ^= 1 << bit;
            return copy;
          }),
        ),
        (bytes) => {
          link.b.receive(bytes, 1);
        },
      ),
      { numRuns: 2000 },
    );
    expect(link.b.stats(1).malformedPackets).toBeGreaterThan(0);
    for (const packet of real) link.b.receive(packet, 2);
    link.runUntil(
      () => link.receivedByB.some((m) => indexOf(m.bytes) === 1 && m.bytes.length === 3000),
      5_000,
    );
    expect(link.b.state).toBe('connected');
  });

  it('a link conditioner applies its settings deterministically', () => {
    const run = () => {
      const link = new LinkConditioner({ latencyMs: 50, jitterMs: 20, lossPercent: 30 }, 42);
      for (let i = 0; i < 1000; i++) link.send(new Uint8Array([i & 0xff]), i);
      return link.receive(5_000).map((p) => p[0]);
    };
    const first = run();
    expect(run()).toEqual(first);
    expect(first.length).toBeGreaterThan(620);
    expect(first.length).toBeLessThan(780);
    const capped = new LinkConditioner({ bandwidthBytesPerSecond: 1000 });
    for (let i = 0; i < 10; i++) capped.send(new Uint8Array(100), 0);
    expect(capped.receive(450).length).toBe(5);
    expectCode('VALUE_INVALID', () => new LinkConditioner({ lossPercent: 101 }));
  });

  it('a stream link loses nothing, keeps each flow in order and pays for a loss with a retransmission delay', () => {
    const settings = {
      latencyMs: 50,
      jitterMs: 20,
      lossPercent: 25,
      duplicatePercent: 50,
      reorderPercent: 50,
    };
    const link = new LinkConditioner<Uint8Array>(settings, 7, 'stream');
    const arrivals: { flow: number; index: number; atMs: number }[] = [];
    for (let i = 0; i < 400; i++) link.send(new Uint8Array([i % 2, i >> 1]), i * 5, String(i % 2));
    for (let nowMs = 0; nowMs < 400 * 5 + 60_000; nowMs += 5) {
      for (const packet of link.receive(nowMs))
        arrivals.push({ flow: packet[0]!, index: packet[1]!, atMs: nowMs });
    }
    expect(arrivals.length).toBe(400); // none dropped, none duplicated
    for (const flow of [0, 1]) {
      const order = arrivals.filter((a) => a.flow === flow).map((a) => a.index);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    expect(link.counters.retransmitted).toBeGreaterThan(60);
    // The worst wait is at least one retransmission timeout (max(200, 2 × 50 + 4 × 20) = 200 ms) on top of the latency.
    const worstMs = Math.max(...arrivals.map((a) => a.atMs - (a.index * 2 + a.flow) * 5));
    expect(worstMs).toBeGreaterThanOrEqual(250);
  });

  it('over a stream, acks ride packets sent anyway with their held time, and both sides still time the round trip', () => {
    const options = { channels, transportReliable: true, keepaliveMs: 1_000 };
    const link = new SimulatedLink(options, { latencyMs: 30 });
    // A sends a snapshot-like message every 50 ms for 10 s; B sends nothing but its keepalives.
    for (let i = 0; i < 200; i++) {
      link.a.send(PLAIN, message(i, 100), link.nowMs);
      link.runUntil(() => false, 50);
    }
    const a = link.a.stats(link.nowMs);
    const b = link.b.stats(link.nowMs);
    expect(a.packetsSent).toBe(200); // one per message: no pings, no ack-only packets
    expect(b.packetsSent).toBeGreaterThanOrEqual(9); // a keepalive a second
    expect(b.packetsSent).toBeLessThanOrEqual(11);
    // B's acks wait up to a second for its next keepalive; their held times take that out again.
    for (const side of [a, b]) {
      expect(side.rttMs).toBeGreaterThanOrEqual(60); // 2 × 30 ms, plus up to an update's wait
      expect(side.rttMs).toBeLessThan(75);
      expect(side.worstRttMs).toBeLessThan(85);
    }
  });
});

describe('round trip and loss figures over datagrams', () => {
  /** A updates every ms, B every `bEveryMs` (its acks wait that long); 1 ms of latency each way. */
  function unevenLink(bEveryMs: number, options: Partial<EndpointOptions> = {}) {
    const link = new SimulatedLink({ channels, ...options }, { latencyMs: 1 });
    const heldByLink: Uint8Array[] = [];
    let stalled = false;
    const tick = () => {
      link.nowMs += 1;
      for (const bytes of link.a.update(link.nowMs)) link.aToB.send(bytes, link.nowMs);
      if (link.nowMs % bEveryMs === 0) {
        for (const bytes of link.b.update(link.nowMs)) link.bToA.send(bytes, link.nowMs);
      }
      for (const bytes of link.aToB.receive(link.nowMs)) link.b.receive(bytes, link.nowMs);
      const toA = link.bToA.receive(link.nowMs);
      if (stalled) heldByLink.push(...toA);
      else for (const bytes of [...heldByLink.splice(0), ...toA]) link.a.receive(bytes, link.nowMs);
    };
    const run = (ms: number, sendEveryMs = 20) => {
      for (let t = 0; t < ms; t++) {
        if (link.nowMs % sendEveryMs === 0) link.a.send(ORDERED, message(t), link.nowMs);
        tick();
      }
    };
    return {
      link,
      run,
      stall: (value: boolean) => {
        stalled = value;
      },
    };
  }

  it("reads the link's round trip, not the time the peer holds its acks until its next update", () => {
    const { link, run } = unevenLink(25, { earlyResends: false });
    run(3_000);
    const stats = link.a.stats(link.nowMs);
    // 2 ms of latency; B's acks wait up to 25 ms for its update, which the held times take out.
    expect(stats.rttMs).toBeGreaterThanOrEqual(2);
    expect(stats.rttMs).toBeLessThan(3);
    expect(stats.worstRttMs).toBeLessThanOrEqual(3);
    // Resends still wait for the acks as they come (up to 27 ms): none fire before them.
    expect(stats.resends).toBe(0);
    expect(stats.packetLossPercent).toBe(0);
  });

  it('takes back a loss it counted when the ack arrives late after all', () => {
    const { link, run, stall } = unevenLink(10);
    run(1_000);
    expect(link.a.stats(link.nowMs)).toMatchObject({ packetLossPercent: 0, packetsLost: 0 });
    stall(true); // B's packets reach A 300 ms late: A counts its packets since lost meanwhile
    run(300);
    const during = link.a.stats(link.nowMs);
    expect(during.packetsLost).toBeGreaterThan(5);
    expect(during.packetLossPercent).toBeGreaterThan(2);
    stall(false);
    run(500);
    expect(link.a.stats(link.nowMs)).toMatchObject({ packetLossPercent: 0, packetsLost: 0 });
  });

  it('still counts a packet that never arrives as lost', () => {
    const link = new SimulatedLink({ channels }, { latencyMs: 5 });
    link.runUntil(() => false, 1_000);
    link.aToB.configure({ latencyMs: 5, lossPercent: 100 });
    link.a.send(PLAIN, message(1), link.nowMs);
    link.runUntil(() => false, 30);
    link.aToB.configure({ latencyMs: 5 });
    link.runUntil(() => false, 1_000);
    const stats = link.a.stats(link.nowMs);
    expect(stats.packetsLost).toBeGreaterThanOrEqual(1);
    expect(stats.packetLossPercent).toBeGreaterThan(0);
  });
});

describe('traffic meter', () => {
  it('sums packets and bytes each way over the last second, in 100 ms buckets', () => {
    const meter = new TrafficMeter();
    for (let ms = 0; ms < 2_000; ms += 50) meter.sent(ms, 100); // 20 packets a second
    meter.received(1_990, 7);
    expect(meter.perSecond(1_999)).toEqual({ packetsOut: 20, bytesOut: 2_000, packetsIn: 1, bytesIn: 7 });
    expect(meter.perSecond(2_450)).toEqual({ packetsOut: 10, bytesOut: 1_000, packetsIn: 1, bytesIn: 7 });
    expect(meter.perSecond(2_999)).toEqual({ packetsOut: 0, bytesOut: 0, packetsIn: 0, bytesIn: 0 });
    meter.sent(9_000, 5); // after a long gap every bucket starts over
    expect(meter.perSecond(9_000)).toEqual({ packetsOut: 1, bytesOut: 5, packetsIn: 0, bytesIn: 0 });
    meter.sent(8_500, 5); // a clock that steps back counts into the current bucket
    expect(meter.perSecond(9_050)).toMatchObject({ packetsOut: 2, bytesOut: 10 });
  });
});

describe('packet held times', () => {
  const header = [1, 0, 0, 0, 1, 0, 0, 0]; // sequence 1, ack 0, ackBits 1
  const packet = (...entries: number[]) => new Uint8Array([...header, ...entries]);

  it('reads a held time beside the entries, and refuses a repeated, oversized or flagged one', () => {
    const parsed = readPacket(packet(0x0b, 0xd2, 0x09, 0x03)); // held 1234 ms, then a ping
    expect(parsed.heldMs).toBe(1234);
    expect(parsed.entries.map((entry) => entry.kind)).toEqual([EntryKind.Ping]);
    expect(readPacket(packet(0x03)).heldMs).toBeUndefined();
    expectCode('WIRE_INVALID', () => readPacket(packet(0x0b, 1, 0x0b, 2)));
    expectCode('WIRE_INVALID', () => readPacket(packet(0x0b, 0xe1, 0xd4, 0x03))); // 60_001 ms
    expectCode('WIRE_INVALID', () => readPacket(packet(0x1b, 1)));
    expectCode('WIRE_TRUNCATED', () => readPacket(packet(0x0b)));
  });

  it('time the round trip less the held time, clamped at 0 within 1 ms of whole-ms clocks, ignored past that', () => {
    const endpoint = new ReliableEndpoint({ channels, keepaliveMs: 10 }, 0);
    /** The peer's packet `sequence` acknowledging ours `ack` alone, held `heldMs`, with a ping. */
    const reply = (sequence: number, ack: number, heldMs: number) =>
      new Uint8Array([sequence, 0, ack, 0, 1, 0, 0, 0, 0x0b, heldMs, 0x03]);
    const sendAt = (nowMs: number) => expect(endpoint.update(nowMs).length).toBe(1); // a keepalive
    sendAt(10); // packet 0
    endpoint.receive(reply(0, 0, 2), 15); // 5 ms round trip, held 2: 3 ms
    expect(endpoint.rttMs).toBe(3);
    sendAt(20); // packet 1
    endpoint.receive(reply(1, 1, 7), 25); // held 2 ms past a 5 ms round trip: no whole-ms clock explains it
    expect(endpoint.rttMs).toBe(3);
    sendAt(30); // packet 2
    endpoint.receive(reply(2, 2, 6), 35); // held 1 ms past it: a 0 ms sample
    expect(endpoint.rttMs).toBe(3 * 0.875);
    expect(endpoint.stats(35).bestRttMs).toBe(0);
  });

  it('are written over either transport on the first packet to acknowledge each newest packet, and only there', () => {
    const packetsOfA = (transportReliable: boolean) => {
      const link = new SimulatedLink({ channels, transportReliable, keepaliveMs: 1_000 }, { latencyMs: 10 });
      const sent: { ack: number; ackBits: number; heldMs: number | undefined }[] = [];
      for (let i = 0; i < 6; i++) {
        link.b.send(PLAIN, message(i), link.nowMs); // one packet from B every 100 ms
        for (let step = 0; step < 10; step++) {
          link.nowMs += 10;
          for (const bytes of link.a.update(link.nowMs)) {
            const { header, heldMs } = readPacket(bytes);
            sent.push({ ack: header.ack, ackBits: header.ackBits, heldMs });
            link.aToB.send(bytes, link.nowMs);
          }
          if (step % 2 === 0) link.a.send(PLAIN, message(step), link.nowMs); // A sends every 20 ms
          for (const bytes of link.b.update(link.nowMs)) link.bToA.send(bytes, link.nowMs);
          for (const bytes of link.aToB.receive(link.nowMs)) link.b.receive(bytes, link.nowMs);
          for (const bytes of link.bToA.receive(link.nowMs)) link.a.receive(bytes, link.nowMs);
        }
      }
      return sent;
    };
    for (const [transportReliable, longestHoldMs] of [
      [true, 20], // acks wait for A's next message, every 20 ms
      [false, 10], // acks leave at A's next update, every 10 ms
    ] as const) {
      const sent = packetsOfA(transportReliable);
      const withHeld = sent.filter((packet) => packet.heldMs !== undefined);
      expect(withHeld.length).toBeGreaterThanOrEqual(5); // at least one per packet of B's
      const acked = new Set<number>();
      for (const packet of sent) {
        const firstToAck = packet.ackBits !== 0 && !acked.has(packet.ack);
        if (packet.ackBits !== 0) acked.add(packet.ack);
        expect(packet.heldMs !== undefined).toBe(firstToAck);
      }
      for (const { heldMs } of withHeld) expect(heldMs).toBeLessThanOrEqual(longestHoldMs);
    }
  });
});

describe('channel compression', () => {
  const zlibCompressor = compressorFromNodeZlib(zlib);
  const compressed: ChannelConfig[] = [{ kind: 'reliable-ordered', compress: true }, { kind: 'unreliable' }];

  it('deflates compressible messages, stores incompressible ones, and delivers both unchanged', () => {
    const link = new SimulatedLink({ channels: compressed, compressor: zlibCompressor }, { latencyMs: 5 });
    const text = new TextEncoder().encode('the quick brown fox '.repeat(500)); // 10 kB of repetition
    const noise = new Uint8Array(randomBytes(3000)); // random: deflating cannot shrink it
    link.a.send(0, text, 0);
    link.a.send(0, noise, 0);
    link.runUntil(() => link.receivedByB.length === 2, 5_000);
    expect(link.receivedByB.map((m) => m.bytes)).toEqual([text, noise]);
    // Deflated, the 10 kB fit one packet; stored, the noise needs three fragments.
    expect(link.a.stats(link.nowMs).bytesOutPerSecond).toBeLessThan(3000 + 1000 + 200);
  });

  it('drops a message that would inflate past 1 MiB and counts it', () => {
    const bomb = new Uint8Array(zlib.deflateRawSync(new Uint8Array(2 * MAX_MESSAGE_BYTES)));
    const receiver = new ReliableEndpoint({ channels: compressed, compressor: zlibCompressor }, 0);
    const sender = new ReliableEndpoint(
      { channels: [{ kind: 'reliable-ordered' }, { kind: 'unreliable' }] },
      0,
    );
    sender.send(0, Uint8Array.of(1, ...bomb), 0); // flag 1: deflated
    for (const packet of sender.update(1)) expect(receiver.receive(packet, 1)).toEqual([]);
    expect(receiver.stats(1).rejectedMessages).toBe(1);
    expect(() => new ReliableEndpoint({ channels: compressed }, 0)).toThrow(/VALUE_INVALID/);
  });
});
