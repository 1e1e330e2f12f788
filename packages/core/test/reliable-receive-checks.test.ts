import { type ChannelConfig, EntryKind, PACKET_HISTORY, ReliableEndpoint, readPacket } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import {
  THREE_CHANNELS as channels,
  craftPacket,
  entryBytes,
  isAckOnly,
  isPing,
  PING_BYTE,
  PLAIN,
  QUIET as quiet,
  RELIABLE,
  SEQUENCED,
  withData,
} from './support/reliable-datagrams.js';

const plainEntry = (content: number) => entryBytes(EntryKind.Unreliable, PLAIN, 0, [content]);

describe('packets the receiver drops', () => {
  it('drops a packet PACKET_HISTORY behind the newest as stale, and a repeated one as duplicate', () => {
    const endpoint = new ReliableEndpoint(quiet, 0);
    expect(endpoint.receive(craftPacket(5_000, plainEntry(1)), 1)).toHaveLength(1);
    expect(endpoint.receive(craftPacket(5_000 - PACKET_HISTORY, plainEntry(2)), 2)).toEqual([]);
    expect(endpoint.receive(craftPacket(5_000, plainEntry(3)), 3)).toEqual([]);
    const delivered = endpoint.receive(craftPacket(5_001 - PACKET_HISTORY, plainEntry(4)), 4);
    expect(delivered.map((m) => [...m.bytes])).toEqual([[4]]);
    expect(endpoint.stats(4)).toMatchObject({
      stalePackets: 1,
      duplicatePackets: 1,
      packetsReceived: 2,
      packetsInPerSecond: 2,
      bytesInPerSecond: 2 * (8 + 4),
    });
  });

  it('does not count dropped packets as signs of life', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, timeoutMs: 1_000 }, 0);
    endpoint.receive(craftPacket(5_000, [PING_BYTE]), 0);
    endpoint.receive(craftPacket(5_000, [PING_BYTE]), 900); // duplicate
    endpoint.receive(craftPacket(904, [PING_BYTE]), 950); // stale
    endpoint.receive(craftPacket(5_001, [0xff]), 990); // malformed
    expect(endpoint.update(1_000).length).toBeGreaterThan(0);
    expect(endpoint.update(1_001)).toEqual([]);
    expect(endpoint.state).toBe('timed-out');
  });

  it('drops a whole packet with an entry for a channel it does not have, or of the wrong kind', () => {
    const endpoint = new ReliableEndpoint(quiet, 0);
    const good = plainEntry(1);
    const cases = [
      [...good, ...entryBytes(EntryKind.Unreliable, 3, 0, [2])], // channel 3 of 3
      [...good, ...entryBytes(EntryKind.Reliable, SEQUENCED, 0, [2])],
      [...good, ...entryBytes(EntryKind.Unreliable, SEQUENCED, 0, [2])],
      [...good, ...entryBytes(EntryKind.Sequenced, RELIABLE, 0, [2])],
      [...good, ...entryBytes(EntryKind.Unreliable, 255, 0, [2])],
    ];
    for (const [sequence, body] of cases.entries()) {
      expect(() => endpoint.receive(craftPacket(sequence, body), 1)).not.toThrow();
    }
    expect(endpoint.stats(1)).toMatchObject({ malformedPackets: cases.length, packetsReceived: 0 });
    // None of those sequences was recorded: the same sequence with valid entries is accepted.
    const valid = [...good, ...entryBytes(EntryKind.Sequenced, SEQUENCED, 0, [2])];
    const delivered = endpoint.receive(craftPacket(0, valid), 2);
    expect(delivered.map((m) => [m.channel, ...m.bytes])).toEqual([
      [PLAIN, 1],
      [SEQUENCED, 2],
    ]);
    expect(endpoint.stats(2)).toMatchObject({ malformedPackets: cases.length, packetsReceived: 1 });
  });

  it('accepts entries for its last channel', () => {
    const endpoint = new ReliableEndpoint(quiet, 0);
    const delivered = endpoint.receive(craftPacket(0, entryBytes(EntryKind.Sequenced, 2, 7, [5])), 1);
    expect(delivered).toEqual([{ channel: 2, bytes: Uint8Array.of(5) }]);
  });

  it('does nothing once timed out', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, timeoutMs: 100 }, 0);
    endpoint.update(101);
    expect(endpoint.state).toBe('timed-out');
    expect(endpoint.receive(craftPacket(0, plainEntry(1)), 102)).toEqual([]);
    expect(endpoint.send(RELIABLE, Uint8Array.of(1), 102)).toBe(false);
    expect(endpoint.stats(102)).toMatchObject({ packetsReceived: 0, sendQueueLength: 0 });
    expect(endpoint.nextUpdateMs(102)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('acknowledgements owed', () => {
  /** An endpoint past its first keepalive, so later updates send acks only. */
  function warmedUp() {
    const endpoint = new ReliableEndpoint(quiet, 0);
    expect(endpoint.update(0).length).toBe(1);
    return endpoint;
  }

  it('acknowledges a data packet in three headers, one per update', () => {
    const endpoint = warmedUp();
    endpoint.receive(craftPacket(0, plainEntry(1)), 1);
    const counts = [1, 2, 3, 4].map((nowMs) => endpoint.update(nowMs).filter(isAckOnly).length);
    expect(counts).toEqual([1, 1, 1, 0]);
  });

  it('acknowledges a ping in one header and a header-only packet in none', () => {
    const endpoint = warmedUp();
    endpoint.receive(craftPacket(0, [PING_BYTE]), 1);
    expect([1, 2].map((nowMs) => endpoint.update(nowMs).length)).toEqual([1, 0]);
    endpoint.receive(craftPacket(1, []), 3);
    expect(endpoint.update(4)).toEqual([]);
  });

  it('sends an extra ack-only packet for owed acks the 32 bits of the newest cannot reach', () => {
    const endpoint = warmedUp();
    endpoint.receive(craftPacket(0, plainEntry(1)), 1);
    endpoint.receive(craftPacket(40, plainEntry(2)), 1);
    const headers = endpoint.update(2).map((packet) => readPacket(packet).header.ack);
    expect(headers).toEqual([40, 0]);
  });

  it('reports a held time for the first packet received whatever its sequence', () => {
    const endpoint = new ReliableEndpoint(quiet, 0);
    endpoint.update(0);
    endpoint.receive(craftPacket(1, plainEntry(1)), 10);
    expect(endpoint.update(12).map((packet) => readPacket(packet).heldMs)).toEqual([2]);
  });

  it('reports how long it held the newest packet, once, clamped to [0, 60 s]', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, timeoutMs: 100_000 }, 0);
    endpoint.update(0);
    const heldAt = (nowMs: number) => endpoint.update(nowMs).map((packet) => readPacket(packet).heldMs);
    endpoint.receive(craftPacket(0, plainEntry(1)), 10);
    expect(heldAt(25)).toEqual([15]);
    expect(heldAt(26)).toEqual([undefined]); // the second ack of the same newest packet
    endpoint.receive(craftPacket(1, plainEntry(1)), 100);
    expect(heldAt(50)).toEqual([0]); // a clock that stepped back
    endpoint.receive(craftPacket(2, plainEntry(1)), 1_000);
    expect(heldAt(80_000)).toEqual([60_000]);
  });
});

describe('round-trip samples from acks', () => {
  /** An endpoint that sent keepalives (packets 0 and 1) at 0 and 10 ms. */
  function sentTwo() {
    const endpoint = new ReliableEndpoint({ ...quiet, keepaliveMs: 10 }, 0);
    expect(endpoint.update(0).filter(isPing).length).toBe(1);
    expect(endpoint.update(10).filter(isPing).length).toBe(1);
    return endpoint;
  }
  const heldEntry = (heldMs: number) => [0x0b, heldMs];

  it('times only the packet the header names, not the older ones its bits acknowledge', () => {
    const endpoint = sentTwo();
    endpoint.receive(craftPacket(0, heldEntry(4), 1, 0b11), 30); // 20 ms after packet 1, held 4
    expect(endpoint.rttMs).toBe(16);
    expect(endpoint.stats(30)).toMatchObject({ bestRttMs: 16, worstRttMs: 16 });
  });

  it('ignores acks for packets it never sent, and times each packet once', () => {
    const endpoint = sentTwo();
    endpoint.receive(craftPacket(0, heldEntry(0), 100, 1), 20);
    expect(endpoint.rttMs).toBe(0);
    endpoint.receive(craftPacket(1, heldEntry(0), 0, 1), 20);
    expect(endpoint.rttMs).toBe(20);
    endpoint.receive(craftPacket(2, heldEntry(0), 0, 1), 60);
    expect(endpoint.rttMs).toBe(20);
  });

  it('skips the round trip without a held time, yet still settles the packet', () => {
    const endpoint = sentTwo();
    endpoint.receive(craftPacket(0, [], 1, 0b11), 30);
    expect(endpoint.rttMs).toBe(0);
    expect(endpoint.update(5_000).filter(isPing).length).toBe(1); // settles packets 0 and 1: delivered
    expect(endpoint.stats(5_000)).toMatchObject({ packetsLost: 0, packetLossPercent: 0 });
  });
});

describe('loss', () => {
  it('counts a measured packet lost after twice the retransmission timeout without an ack', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, initialResendMs: 100 }, 0);
    endpoint.update(0); // the first keepalive, packet 0
    endpoint.update(199);
    expect(endpoint.stats(199).packetsLost).toBe(0);
    endpoint.update(200);
    expect(endpoint.stats(200)).toMatchObject({ packetsLost: 1, packetLossPercent: 100 });
  });

  it('never counts ack-only packets lost: nothing asked for their ack', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, initialResendMs: 100 }, 0);
    endpoint.update(0);
    for (let s = 0; s < 5; s++) endpoint.receive(craftPacket(s, plainEntry(s)), 1);
    for (const nowMs of [1, 2, 3]) expect(endpoint.update(nowMs).filter(isAckOnly).length).toBe(1);
    expect(endpoint.update(5_000)).toEqual([]);
    expect(endpoint.stats(5_000)).toMatchObject({ packetsLost: 1, packetsSent: 4, packetLossPercent: 100 });
  });

  it('counts nothing lost over a reliable transport', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, keepaliveMs: 100, transportReliable: true }, 0);
    for (let t = 0; t <= 5_000; t += 50) endpoint.update(t);
    expect(endpoint.stats(5_000)).toMatchObject({ packetsLost: 0, packetLossPercent: 0, packetsSent: 51 });
    expect(endpoint.nextUpdateMs(5_001)).toBe(5_100);
  });
});

describe('keepalive, timeout and the next update', () => {
  it('pings keepaliveMs after the last packet sent, and times out just past timeoutMs', () => {
    const endpoint = new ReliableEndpoint({ ...quiet, keepaliveMs: 250, timeoutMs: 1_000 }, 0);
    endpoint.send(PLAIN, Uint8Array.of(1), 100);
    expect(withData(endpoint.update(100)).length).toBe(1);
    expect(endpoint.update(349)).toEqual([]);
    expect(endpoint.update(350).filter(isPing).length).toBe(1);
    expect(endpoint.update(599)).toEqual([]);
    expect(endpoint.update(600).filter(isPing).length).toBe(1);
    expect(endpoint.update(849)).toEqual([]);
    expect(endpoint.update(1_000).filter(isPing).length).toBe(1);
    expect(endpoint.state).toBe('connected');
    expect(endpoint.update(1_001)).toEqual([]);
    expect(endpoint.state).toBe('timed-out');
  });

  it('asks for an update now while anything is pending, else at the next keepalive or timeout', () => {
    const endpoint = new ReliableEndpoint(
      { ...quiet, keepaliveMs: 10_000, timeoutMs: 3_000, initialResendMs: 100 },
      0,
    );
    expect(endpoint.nextUpdateMs(0)).toBe(0); // the first keepalive is due
    endpoint.update(0);
    expect(endpoint.nextUpdateMs(50)).toBe(50); // packet 0's fate is not settled
    endpoint.update(200); // lost now
    expect(endpoint.nextUpdateMs(201)).toBe(3_001);
    endpoint.receive(craftPacket(0, []), 500);
    expect(endpoint.nextUpdateMs(501)).toBe(3_501);
    endpoint.send(PLAIN, Uint8Array.of(1), 600);
    expect(endpoint.nextUpdateMs(601)).toBe(601);
    endpoint.update(601);
    endpoint.receive(craftPacket(1, [], 1, 1), 602); // acknowledges packet 1
    expect(endpoint.nextUpdateMs(602)).toBe(602); // settles it at the next update
    expect(endpoint.update(602)).toEqual([]);
    expect(endpoint.nextUpdateMs(603)).toBe(3_603);
    const pingFirst = new ReliableEndpoint({ ...quiet, keepaliveMs: 1_000, timeoutMs: 3_000 }, 0);
    pingFirst.update(0);
    pingFirst.receive(craftPacket(0, [], 0, 1), 1);
    pingFirst.update(2); // settles packet 0
    expect(pingFirst.nextUpdateMs(3)).toBe(1_000); // the keepalive comes before the timeout (3001)
  });
});

describe('endpoint options', () => {
  it('accepts 1..256 channels, an MTU of at least 1100, and compressed channels only with a compressor', () => {
    const many = (count: number) =>
      Array.from({ length: count }, (): ChannelConfig => ({ kind: 'unreliable' }));
    expect(() => new ReliableEndpoint({ channels: many(256) }, 0)).not.toThrow();
    expect(() => new ReliableEndpoint({ channels: many(257) }, 0)).toThrow(/VALUE_INVALID|channels/);
    expect(() => new ReliableEndpoint({ channels, mtuBytes: 1_100 }, 0)).not.toThrow();
    expect(() => new ReliableEndpoint({ channels, mtuBytes: 1_099 }, 0)).toThrow(/mtuBytes/);
    expect(
      () => new ReliableEndpoint({ channels: [{ kind: 'unreliable', compress: false }] }, 0),
    ).not.toThrow();
  });

  it('fills packets up to mtuBytes exactly and no further', () => {
    const sizesOf = (secondPayloadBytes: number) => {
      const endpoint = new ReliableEndpoint({ ...quiet, mtuBytes: 1_100 }, 0);
      endpoint.update(0); // the first keepalive out of the way
      endpoint.send(PLAIN, new Uint8Array(1_000), 1); // 2 + 2 + 1000 = 1004 bytes after the 8-byte header
      endpoint.send(PLAIN, new Uint8Array(secondPayloadBytes), 1); // 2 + 1 + payload
      return endpoint.update(1).map((packet) => packet.length);
    };
    expect(sizesOf(85)).toEqual([1_100]);
    expect(sizesOf(86)).toEqual([1_012, 8 + 89]);
  });
});
