import {
  type ChannelConfig,
  type EndpointOptions,
  PACKET_HISTORY,
  ReliableEndpoint,
  readPacket,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { expectCode } from './support/expect-code.js';
import { craftPacket, isPing, reliableIds, withData } from './support/reliable-datagrams.js';

const RELIABLE = 0;
const PLAIN = 1;
const channels: ChannelConfig[] = [{ kind: 'reliable-ordered' }, { kind: 'unreliable' }];

describe('endpoint defaults', () => {
  it('packs up to 1200 bytes a packet, with no headroom', () => {
    const endpoint = new ReliableEndpoint({ channels }, 0);
    endpoint.send(PLAIN, new Uint8Array(1_000), 0); // 1004-byte entry after the 8-byte header
    endpoint.send(PLAIN, new Uint8Array(184), 0); // 2 + 2 + 184 = 188: fills the packet exactly
    endpoint.send(PLAIN, new Uint8Array(1_000), 0);
    endpoint.send(PLAIN, new Uint8Array(185), 0); // 189: one byte too many, so a packet of its own
    const packets = endpoint.update(0);
    expect(packets.map((packet) => packet.length)).toEqual([1_200, 1_012, 8 + 189]);
    expect(readPacket(packets[0]!).header.sequence).toBe(0);
  });

  it('sends 42 packets of 1012 bytes at once: a 2 MiB/s rate holds 20 ms, 41_943 bytes', () => {
    const endpoint = new ReliableEndpoint({ channels }, 0);
    for (let i = 0; i < 60; i++) endpoint.send(PLAIN, new Uint8Array(1_000), 0);
    expect(endpoint.update(0).length).toBe(42);
  });

  it('pings every 250 ms and times out after 10 s of silence', () => {
    const endpoint = new ReliableEndpoint({ channels }, 0);
    const pings: number[] = [];
    for (let nowMs = 0; nowMs <= 1_000; nowMs += 10)
      if (endpoint.update(nowMs).some(isPing)) pings.push(nowMs);
    expect(pings).toEqual([0, 250, 500, 750, 1_000]);
    endpoint.update(10_000);
    expect(endpoint.state).toBe('connected');
    endpoint.update(10_001);
    expect(endpoint.state).toBe('timed-out');
  });

  it('resends after 500 ms, doubling to at most 2 s', () => {
    const endpoint = new ReliableEndpoint({ channels, timeoutMs: 60_000 }, 0);
    endpoint.send(RELIABLE, Uint8Array.of(1), 0);
    const sends: number[] = [];
    for (let nowMs = 0; nowMs <= 5_500; nowMs++)
      if (reliableIds(endpoint.update(nowMs)).length) sends.push(nowMs);
    expect(sends).toEqual([0, 500, 1_500, 3_500, 5_500]);
  });

  it('resends no sooner than 30 ms after fast acks', () => {
    const a = new ReliableEndpoint({ channels }, 0);
    const b = new ReliableEndpoint({ channels }, 0);
    a.send(RELIABLE, Uint8Array.of(1), 0);
    for (const packet of a.update(0)) b.receive(packet, 1);
    for (const packet of b.update(1)) a.receive(packet, 2); // 2 ms: 2 + 4 × 1 = 6, below 30
    a.send(RELIABLE, Uint8Array.of(2), 2);
    a.update(2);
    const sends: number[] = [];
    for (let nowMs = 3; nowMs <= 40; nowMs++) if (reliableIds(a.update(nowMs)).length) sends.push(nowMs);
    expect(sends).toEqual([32]);
  });

  it('holds buffered sends 5 ms, copies unacknowledged units early, and accepts 16 MiB of queue', () => {
    const endpoint = new ReliableEndpoint({ channels }, 0);
    endpoint.update(0);
    endpoint.send(RELIABLE, Uint8Array.of(1), 0, 'reliable-buffered');
    expect(withData(endpoint.update(4))).toEqual([]);
    expect(reliableIds(endpoint.update(5))).toEqual([0]);
    endpoint.send(RELIABLE, Uint8Array.of(2), 15);
    expect(reliableIds(endpoint.update(15))).toEqual([1, 0]);
    const queue = new ReliableEndpoint({ channels }, 0);
    for (let i = 0; i < 16; i++) queue.send(RELIABLE, new Uint8Array(1 << 20), 0);
    expectCode('SEND_QUEUE_FULL', () => queue.send(RELIABLE, Uint8Array.of(1), 0));
  });
});

describe('entries that fit a packet exactly', () => {
  const quiet: EndpointOptions = { channels, keepaliveMs: 60_000, timeoutMs: 60_000 };

  it('lets a buffered unit ride in the exact room left', () => {
    const run = (bufferedBytes: number) => {
      const endpoint = new ReliableEndpoint(quiet, 0);
      endpoint.update(0);
      endpoint.send(RELIABLE, new Uint8Array(bufferedBytes), 1, 'reliable-buffered');
      endpoint.send(PLAIN, new Uint8Array(1_000), 1); // 8 + 1004: 188 bytes of room
      return endpoint.update(1).map((packet) => packet.length);
    };
    expect(run(182)).toEqual([1_200]); // 2 + 2 + 2 + 182 = 188
    expect(run(183)).toEqual([1_012]); // it waits for its own packet
  });

  it('fits an early copy in the exact room left', () => {
    const run = (unitBytes: number) => {
      const endpoint = new ReliableEndpoint(quiet, 0);
      endpoint.update(0);
      endpoint.send(RELIABLE, new Uint8Array(unitBytes), 1);
      endpoint.update(1);
      endpoint.send(PLAIN, new Uint8Array(1_000), 20);
      return endpoint.update(20).map((packet) => reliableIds([packet]));
    };
    expect(run(182)).toEqual([[0]]);
    expect(run(183)).toEqual([[], [0]]); // a packet of its own (the send budget is full)
  });
});

describe('packet history overwritten by keepalives', () => {
  it('does not read a record a later packet replaced as the packet it named', () => {
    // 4095 unresolved data packets at 0; keepalives at 300, 600 and 900 are packets 4095, 4096 and
    // 4097: the last two take the slots of packets 0 and 1, whose fate is then unknown.
    const endpoint = new ReliableEndpoint({ channels, keepaliveMs: 300, sendRateBytesPerSecond: 1e9 }, 0);
    for (let i = 0; i < PACKET_HISTORY - 1; i++) endpoint.send(PLAIN, new Uint8Array(1_000), 0);
    expect(endpoint.update(0).length).toBe(PACKET_HISTORY - 1);
    for (const nowMs of [300, 600, 900]) expect(endpoint.update(nowMs).filter(isPing).length).toBe(1);
    endpoint.update(1_000); // 2 × 500 ms after packets 2 … 4094 left
    expect(endpoint.stats(1_000).packetsLost).toBe(PACKET_HISTORY - 3);
    // An ack naming packet 0 finds packet 4096's record, not 0's: nothing it says is taken for 0.
    endpoint.receive(craftPacket(0, [], 0, 1), 1_001);
    expect(endpoint.rttMs).toBe(0);
  });
});
