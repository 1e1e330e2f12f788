import {
  type ChannelConfig,
  type EndpointOptions,
  EntryKind,
  ReliableEndpoint,
  readPacket,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { expectCode } from './support/expect-code.js';
import { craftPacket, entryBytes, isAckOnly, reliableIds } from './support/reliable-datagrams.js';

const RELIABLE = 0;
const PLAIN = 1;
const channels: ChannelConfig[] = [{ kind: 'reliable-ordered' }, { kind: 'unreliable' }];
const quiet: EndpointOptions = { channels, keepaliveMs: 60_000, timeoutMs: 60_000, earlyResends: false };

describe('acks the endpoint receives', () => {
  it('reads all 32 bits of ackBits: bit 31 acknowledges the packet 31 before the named one', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, keepaliveMs: 1, initialResendMs: 100 }, 0);
    for (let nowMs = 0; nowMs <= 32; nowMs++) endpoint.update(nowMs); // keepalives 0 … 32
    endpoint.receive(craftPacket(0, [], 32, 0xffff_ffff), 33); // acknowledges 1 … 32
    endpoint.update(1_000);
    expect(endpoint.stats(1_000).packetsLost).toBe(1); // packet 0 only
  });

  it('settles a unit once, however many acknowledged packets carried it', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, maxQueuedBytes: 1_000, initialResendMs: 100 }, 0);
    endpoint.update(0); // the first keepalive: packet 0
    endpoint.send(RELIABLE, new Uint8Array(1_000), 1);
    expect(reliableIds(endpoint.update(1))).toEqual([0]); // packet 1
    expect(reliableIds(endpoint.update(101))).toEqual([0]); // packet 2, the resend
    endpoint.receive(craftPacket(0, [], 2, 0b11), 102); // both acknowledged
    expect(endpoint.stats(102).unackedReliable).toBe(0);
    endpoint.send(RELIABLE, new Uint8Array(1_000), 102); // the queue holds its 1000 bytes again
    expectCode('SEND_QUEUE_FULL', () => endpoint.send(RELIABLE, new Uint8Array(1), 102));
  });

  it('does not time the ack wait with acks of ack-only packets, which nobody hurries to acknowledge', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, initialResendMs: 500 }, 0);
    endpoint.update(0); // packet 0, the first keepalive
    endpoint.receive(craftPacket(0, entryBytes(EntryKind.Unreliable, PLAIN, 0, [1])), 1);
    expect(endpoint.update(1).filter(isAckOnly).length).toBe(1); // packet 1, ack-only
    endpoint.receive(craftPacket(1, [], 1, 1), 1_001); // its ack, 1000 ms later
    endpoint.send(RELIABLE, Uint8Array.of(1), 1_001);
    endpoint.update(1_001);
    const resends: number[] = [];
    for (let nowMs = 1_002; nowMs <= 3_100; nowMs++)
      if (reliableIds(endpoint.update(nowMs)).length) resends.push(nowMs);
    expect(resends[0]).toBe(1_501); // still the initial 500 ms: no sample of 1000 ms
  });

  it('reports the held time of the newest packet received, not of an older one arriving later', () => {
    const endpoint = new ReliableEndpoint(quiet, 0);
    endpoint.update(0);
    const data = entryBytes(EntryKind.Unreliable, PLAIN, 0, [1]);
    endpoint.receive(craftPacket(5, data), 10);
    endpoint.receive(craftPacket(3, data), 20);
    const packets = endpoint.update(25);
    expect(packets.map((packet) => [readPacket(packet).header.ack, readPacket(packet).heldMs])).toEqual([
      [5, 15],
    ]);
  });

  it('writes the held time only in a header acknowledging the newest packet', () => {
    const endpoint = new ReliableEndpoint(quiet, 0);
    endpoint.update(0);
    const data = entryBytes(EntryKind.Unreliable, PLAIN, 0, [1]);
    endpoint.receive(craftPacket(0, data), 1);
    endpoint.receive(craftPacket(40, data), 2);
    const packets = endpoint.update(3).map((packet) => readPacket(packet));
    expect(packets.map((packet) => [packet.header.ack, packet.heldMs])).toEqual([
      [40, 1],
      [0, undefined],
    ]);
  });
});

describe('send budget edges', () => {
  it('stops when the bucket is exactly empty', () => {
    // 1 kB/s: a 4800-byte bucket, spent exactly by four 1200-byte packets (8 + 1004 + 188).
    const endpoint = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 1_000 }, 0);
    for (let i = 0; i < 10; i++) {
      endpoint.send(PLAIN, new Uint8Array(1_000), 0);
      endpoint.send(PLAIN, new Uint8Array(184), 0);
    }
    expect(endpoint.update(0).map((packet) => packet.length)).toEqual([1_200, 1_200, 1_200, 1_200]);
  });

  it('fills the bucket no further than its capacity, however long it sat unused', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 100_000 }, 0);
    for (let i = 0; i < 30; i++) endpoint.send(PLAIN, new Uint8Array(1_000), 10_000);
    expect(endpoint.update(10_000).length).toBe(5); // 4800 bytes, not 10 s × 100 kB/s
  });

  it('does not shrink the bucket when the clock steps back', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, sendRateBytesPerSecond: 1_000 }, 0);
    for (let i = 0; i < 10; i++) endpoint.send(PLAIN, new Uint8Array(1_000), 1_000);
    expect(endpoint.update(1_000).length).toBe(5); // 4800 − 5 × 1012 = −260
    expect(endpoint.update(1_400).length).toBe(1); // +400: 140, one more (−872)
    expect(endpoint.update(400).length).toBe(0); // back 1000 ms: no refill, and no debt either
    expect(endpoint.update(1_273).length).toBe(1); // +873 since 400: 1 byte, one more
  });

  it('refills the bucket before a direct send and a message taken outside the layer', () => {
    const stream = { ...quiet, transportReliable: true, sendRateBytesPerSecond: 1_000, keepaliveMs: 1_000 };
    const endpoint = new ReliableEndpoint(stream, 0);
    const direct = (nowMs: number) => endpoint.sendNow(PLAIN, new Uint8Array(1_000), nowMs) !== undefined;
    expect([0, 0, 0, 0, 0].map(direct)).toEqual([true, true, true, true, true]); // 4800 − 5 × 1012 = −260
    expect(endpoint.takeMessage(PLAIN, 10, 0)).toBe(false);
    expect(endpoint.takeMessage(PLAIN, 10, 261)).toBe(true); // +261: 1 byte
    expect(direct(400)).toBe(true); // −9 + 139
  });

  it('refuses a message outside the layer once the bucket is exactly empty', () => {
    const endpoint = new ReliableEndpoint(
      { ...quiet, transportReliable: true, sendRateBytesPerSecond: 1_000 },
      0,
    );
    expect(endpoint.sendNow(PLAIN, Uint8Array.of(1), 0)?.length).toBe(12); // 4788 left
    expect(endpoint.takeMessage(PLAIN, 4_788, 0)).toBe(true);
    expect(endpoint.takeMessage(PLAIN, 1, 0)).toBe(false);
  });
});

describe('send results and counters', () => {
  it('asks for a flush only for unreliable-no-delay, and counts degraded sends only over a reliable transport', () => {
    const datagrams = new ReliableEndpoint(quiet, 0);
    expect(datagrams.send(RELIABLE, Uint8Array.of(1), 0)).toBe(false);
    expect(datagrams.send(RELIABLE, Uint8Array.of(1), 0, 'reliable-buffered')).toBe(false);
    expect(datagrams.send(PLAIN, Uint8Array.of(1), 0)).toBe(false);
    expect(datagrams.send(PLAIN, Uint8Array.of(1), 0, 'unreliable-no-delay')).toBe(true);
    expect(datagrams.stats(0).degradedSends).toBe(0);
    const stream = new ReliableEndpoint({ ...quiet, transportReliable: true }, 0);
    stream.send(RELIABLE, Uint8Array.of(1), 0);
    stream.send(PLAIN, Uint8Array.of(1), 0);
    expect(stream.stats(0).degradedSends).toBe(1);
  });

  it('flushes a no-delay send with a packet even when nothing else is due', () => {
    const endpoint = new ReliableEndpoint(quiet, 0);
    endpoint.update(0);
    endpoint.send(PLAIN, Uint8Array.of(1), 1, 'unreliable-no-delay');
    expect(endpoint.update(1).length).toBe(1);
    expect(endpoint.update(2)).toEqual([]);
  });
});
