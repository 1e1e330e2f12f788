import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import {
  type ChannelConfig,
  compressorFromNodeZlib,
  type EndpointOptions,
  EntryKind,
  ReliableEndpoint,
  readPacket,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { expectError } from './support/connection-expect-error.js';
import { expectCode } from './support/expect-code.js';
import { craftPacket, entryBytes, withData } from './support/reliable-datagrams.js';

const RELIABLE = 0;
const PLAIN = 1;
const SEQUENCED = 2;
const COMPRESSED = 3;
const channels: ChannelConfig[] = [
  { kind: 'reliable-ordered' },
  { kind: 'unreliable' },
  { kind: 'unreliable-sequenced' },
  { kind: 'unreliable', compress: true },
];
const compressor = compressorFromNodeZlib(zlib);
const stream: EndpointOptions = { channels, compressor, transportReliable: true, keepaliveMs: 1_000 };

describe('sendNow over a reliable transport', () => {
  it('sends at once while the send budget lasts, then queues for update', () => {
    // 1 kB/s: a 4800-byte bucket; each packet: 8 + 2 + 2 + 2 + 1000 = 1014 bytes.
    const endpoint = new ReliableEndpoint({ ...stream, sendRateBytesPerSecond: 1_000 }, 0);
    const direct = Array.from({ length: 6 }, () => endpoint.sendNow(SEQUENCED, new Uint8Array(1_000), 0));
    expect(direct.map((packet) => packet?.length)).toEqual([1_014, 1_014, 1_014, 1_014, 1_014, undefined]);
    expect(direct.slice(0, 5).map((packet) => readPacket(packet!).entries[0]!.id)).toEqual([0, 1, 2, 3, 4]);
    expect(endpoint.stats(0)).toMatchObject({ packetsSent: 5, degradedSends: 6, sendQueueLength: 1 });
    // The queued one goes first once the budget allows, with the next id.
    expect(
      withData(endpoint.update(300)).flatMap((packet) => readPacket(packet).entries.map((e) => e.id)),
    ).toEqual([5]);
  });

  it('queues once the bucket is exactly empty, and a flush then sends a header at least', () => {
    const endpoint = new ReliableEndpoint({ ...stream, sendRateBytesPerSecond: 1_000 }, 0);
    // 8 + 2 + 2 + 948 = 960 bytes a packet: five spend the 4800-byte bucket exactly.
    const sizes = Array.from({ length: 6 }, () => endpoint.sendNow(PLAIN, new Uint8Array(948), 0)?.length);
    expect(sizes).toEqual([960, 960, 960, 960, 960, undefined]);
    const packets = endpoint.update(0);
    expect(packets.map((packet) => readPacket(packet).entries.map((e) => e.kind))).toEqual([
      [EntryKind.Ping],
    ]);
    expect(endpoint.takeMessage(99, 10, 0)).toBe(false);
  });

  it('sends a whole message at once, and queues one that needs fragments or compression', () => {
    const endpoint = new ReliableEndpoint(stream, 0);
    expect(endpoint.sendNow(PLAIN, new Uint8Array(1_024), 0)).toBeDefined();
    expect(endpoint.sendNow(PLAIN, new Uint8Array(1_025), 0)).toBeUndefined();
    const other = new ReliableEndpoint(stream, 0);
    expect(other.sendNow(COMPRESSED, new Uint8Array(10), 0)).toBeUndefined();
    expectCode('VALUE_INVALID', () => other.sendNow(9, new Uint8Array(10), 0));
    expect(other.stats(0).sendQueueLength).toBe(1);
  });

  it('counts every fragment of a queued message as waiting, and none once they are sent', () => {
    const endpoint = new ReliableEndpoint(stream, 0);
    endpoint.send(PLAIN, new Uint8Array(2_500), 0); // three fragments
    expect(endpoint.sendNow(SEQUENCED, Uint8Array.of(1), 0)).toBeUndefined(); // it would overtake them
    expect(endpoint.takeMessage(SEQUENCED, 20, 0)).toBe(false);
    expect(withData(endpoint.update(1)).length).toBe(3);
    expect(endpoint.sendNow(SEQUENCED, Uint8Array.of(2), 2)).toBeDefined();
    expect(endpoint.takeMessage(SEQUENCED, 20, 3)).toBe(true);
  });

  it('sends nothing once timed out', () => {
    const endpoint = new ReliableEndpoint({ ...stream, timeoutMs: 100 }, 0);
    endpoint.update(101);
    expect(endpoint.sendNow(PLAIN, Uint8Array.of(1), 102)).toBeUndefined();
    expect(endpoint.stats(102)).toMatchObject({ packetsSent: 0, sendQueueLength: 0 });
  });
});

describe('update over a reliable transport', () => {
  it('holds buffered sends nagleMs and sends them at that ms, in priority order', () => {
    const prioritised: ChannelConfig[] = [
      { kind: 'reliable-ordered' },
      { kind: 'reliable-ordered', priority: 1 },
    ];
    const endpoint = new ReliableEndpoint(
      { channels: prioritised, transportReliable: true, keepaliveMs: 1_000 },
      0,
    );
    endpoint.update(0);
    endpoint.send(0, Uint8Array.of(1), 0, 'reliable-buffered');
    endpoint.send(1, Uint8Array.of(2), 0, 'reliable-buffered');
    expect(withData(endpoint.update(4))).toEqual([]);
    const packets = withData(endpoint.update(5));
    expect(packets.map((packet) => readPacket(packet).entries.map((e) => e.channel))).toEqual([[1, 0]]);
    expect(endpoint.stats(5)).toMatchObject({ unackedReliable: 0, sendQueueLength: 0 });
  });
});

describe('takeMessage: a message leaving outside the layer', () => {
  it('is allowed until half a keepalive after the last header', () => {
    const endpoint = new ReliableEndpoint(stream, 0);
    endpoint.sendNow(PLAIN, Uint8Array.of(1), 100);
    expect(endpoint.takeMessage(PLAIN, 20, 599)).toBe(true);
    expect(endpoint.takeMessage(PLAIN, 20, 600)).toBe(false);
  });

  it('is counted as sent and spends the send budget', () => {
    const endpoint = new ReliableEndpoint({ ...stream, sendRateBytesPerSecond: 1_000 }, 0);
    endpoint.sendNow(PLAIN, Uint8Array.of(1), 0); // 12 bytes: 4788 left
    expect([1, 2, 3].map((nowMs) => endpoint.takeMessage(SEQUENCED, 3_000, nowMs))).toEqual([
      true,
      true,
      false,
    ]);
    expect(endpoint.stats(3)).toMatchObject({
      packetsSent: 3,
      bytesOutPerSecond: 12 + 6_000,
      packetsOutPerSecond: 3,
      degradedSends: 3,
    });
  });

  it('is refused on a compressed channel and once timed out', () => {
    const endpoint = new ReliableEndpoint({ ...stream, timeoutMs: 100 }, 0);
    endpoint.sendNow(PLAIN, Uint8Array.of(1), 0);
    expect(endpoint.takeMessage(COMPRESSED, 20, 1)).toBe(false);
    endpoint.update(101);
    expect(endpoint.takeMessage(PLAIN, 20, 101)).toBe(false);
  });

  it('is answered per transport even when endpoints share one channel map', () => {
    const shared: ChannelConfig[] = [{ kind: 'unreliable' }];
    const overDatagrams = new ReliableEndpoint({ channels: shared }, 0);
    const overStream = new ReliableEndpoint({ channels: shared, transportReliable: true }, 0);
    overDatagrams.sendNow(0, Uint8Array.of(1), 0);
    overStream.sendNow(0, Uint8Array.of(1), 0);
    expect(overDatagrams.takeMessage(0, 20, 1)).toBe(false);
    expect(overStream.takeMessage(0, 20, 1)).toBe(true);
  });
});

describe('receiveMessage', () => {
  it('counts as a sign of life and as traffic in', () => {
    const endpoint = new ReliableEndpoint({ ...stream, timeoutMs: 1_000 }, 0);
    expect(endpoint.receiveMessage(PLAIN, Uint8Array.of(1), 30, 900)).toEqual({
      channel: PLAIN,
      bytes: Uint8Array.of(1),
    });
    expect(endpoint.stats(900)).toMatchObject({
      packetsReceived: 1,
      bytesInPerSecond: 30,
      packetsInPerSecond: 1,
    });
    endpoint.update(1_900);
    expect(endpoint.state).toBe('connected');
    endpoint.update(1_901);
    expect(endpoint.state).toBe('timed-out');
    expect(endpoint.receiveMessage(PLAIN, Uint8Array.of(1), 30, 1_902)).toBeUndefined();
  });

  it('refuses a compressed channel as malformed', () => {
    const endpoint = new ReliableEndpoint(stream, 0);
    expect(endpoint.receiveMessage(COMPRESSED, Uint8Array.of(0, 1), 30, 1)).toBeUndefined();
    expect(endpoint.stats(1)).toMatchObject({ malformedPackets: 1, packetsReceived: 0 });
  });
});

describe('compressed channels through the endpoint', () => {
  const datagrams: EndpointOptions = { channels, compressor };

  it('stores random bytes (flag 0, one byte more) and deflates repetitive ones, delivering both unchanged', () => {
    const a = new ReliableEndpoint(datagrams, 0);
    const b = new ReliableEndpoint(datagrams, 0);
    const noise = new Uint8Array(randomBytes(600));
    const text = new TextEncoder().encode('shardline '.repeat(60));
    a.send(COMPRESSED, noise, 0);
    a.send(COMPRESSED, text, 0);
    const packets = a.update(0);
    const payloads = packets.flatMap((packet) => readPacket(packet).entries.map((e) => e.payload.slice()));
    expect(payloads.map((p) => p[0])).toEqual([0, 1]);
    expect(payloads[0]!.length).toBe(601);
    expect(payloads[1]!.length).toBeLessThan(60);
    const delivered = packets.flatMap((packet) => b.receive(packet, 1));
    expect(delivered).toEqual([
      { channel: COMPRESSED, bytes: noise },
      { channel: COMPRESSED, bytes: text },
    ]);
  });

  it('refuses a message whose stored form, flag byte included, exceeds MAX_MESSAGE_BYTES', () => {
    const endpoint = new ReliableEndpoint(datagrams, 0);
    // Random bytes do not deflate: 1 MiB stores as 1 MiB + 1, which would need 1025 fragments.
    expectError(
      'VALUE_INVALID',
      `message of ${1 << 20} bytes stores as ${(1 << 20) + 1} on compressed channel ${COMPRESSED}, over ${1 << 20}`,
      () => endpoint.send(COMPRESSED, new Uint8Array(randomBytes(1 << 20)), 0),
    );
    // One byte less stores as exactly 1 MiB; 1 MiB of zeros deflates: both are taken.
    expect(() => endpoint.send(COMPRESSED, new Uint8Array(randomBytes((1 << 20) - 1)), 0)).not.toThrow();
    expect(() => endpoint.send(COMPRESSED, new Uint8Array(1 << 20), 0)).not.toThrow();
  });

  it('rejects a message with an unknown flag, still delivering the rest of the packet', () => {
    const endpoint = new ReliableEndpoint(datagrams, 0);
    const body = [
      ...entryBytes(EntryKind.Unreliable, COMPRESSED, 0, [7, 1, 2]),
      ...entryBytes(EntryKind.Unreliable, COMPRESSED, 0, [0, 5]),
      ...entryBytes(EntryKind.Unreliable, PLAIN, 0, [6]),
    ];
    const delivered = endpoint.receive(craftPacket(0, body), 1);
    expect(delivered).toEqual([
      { channel: COMPRESSED, bytes: Uint8Array.of(5) },
      { channel: PLAIN, bytes: Uint8Array.of(6) },
    ]);
    expect(endpoint.stats(1)).toMatchObject({ rejectedMessages: 1, malformedPackets: 0 });
  });

  it('checks the message against maxQueuedBytes, then queues its packed size', () => {
    const endpoint = new ReliableEndpoint({ ...datagrams, maxQueuedBytes: 5_000 }, 0);
    endpoint.send(COMPRESSED, new Uint8Array(5_000), 0); // deflates to a few dozen bytes
    endpoint.send(RELIABLE, new Uint8Array(4_900), 0);
    expectCode('SEND_QUEUE_FULL', () => endpoint.send(RELIABLE, new Uint8Array(100), 0));
  });
});
