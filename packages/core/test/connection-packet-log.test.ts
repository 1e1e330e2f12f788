import {
  describePacket,
  formatPacketLogLine,
  PacketType,
  parsePacketLogLine,
  ReliableEndpoint,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { expectCode } from './support/expect-code.js';

/** The packets an endpoint sends after queuing `messages` on a reliable channel and one unreliable one. */
function reliablePackets(messages: Uint8Array[]): readonly Uint8Array[] {
  const endpoint = new ReliableEndpoint(
    { channels: [{ kind: 'reliable-ordered' }, { kind: 'unreliable' }] },
    0,
  );
  for (const message of messages) endpoint.send(0, message, 0);
  endpoint.send(1, Uint8Array.of(1, 2), 0);
  return endpoint.update(0);
}

describe('packet log entries (PROTOCOL.md §10.6)', () => {
  it('name the packet type, or unknown(n) for a type that has none', () => {
    expect(describePacket('in', 'peer', 12, 1053, PacketType.Request)).toEqual({
      atMs: 12,
      direction: 'in',
      peer: 'peer',
      type: 'Request',
      bytes: 1053,
    });
    expect(describePacket('out', 'p', 0, 3, 9).type).toBe('unknown(9)');
    expect(describePacket('out', 'p', 0, 3, -1).type).toBe('unknown(-1)');
    expect(describePacket('out', 'p', 0, 3, PacketType.Message).type).toBe('Message');
  });

  it('summarise a Data packet: its header and each entry, with fragment [index, count] when fragmented', () => {
    const packets = reliablePackets([new Uint8Array(1500).fill(1), Uint8Array.of(7, 7, 7)]);
    const entries = packets.map((packet) =>
      describePacket('out', 'p', 4, packet.length + 25, PacketType.Data, packet),
    );
    expect(entries[0]).toMatchObject({
      type: 'Data',
      sequence: 0,
      ack: 0,
      ackBits: 0,
      bytes: packets[0]!.length + 25,
    });
    expect(entries[1]).toMatchObject({ sequence: 1 });
    expect('heldMs' in entries[0]!).toBe(false);
    expect(entries.flatMap((entry) => entry.entries)).toEqual([
      { kind: 'Reliable', channel: 0, id: 0, fragment: [0, 2], bytes: 1024 },
      { kind: 'Reliable', channel: 0, id: 1, fragment: [1, 2], bytes: 476 },
      { kind: 'Reliable', channel: 0, id: 2, bytes: 3 },
      { kind: 'Unreliable', channel: 1, id: 0, bytes: 2 },
    ]);
  });

  it('carry the held time a Data packet over a stream reports', () => {
    const endpoint = new ReliableEndpoint(
      { channels: [{ kind: 'reliable-ordered' }], transportReliable: true },
      0,
    );
    const peer = new ReliableEndpoint(
      { channels: [{ kind: 'reliable-ordered' }], transportReliable: true },
      0,
    );
    peer.send(0, Uint8Array.of(1), 0);
    for (const packet of peer.update(0)) endpoint.receive(packet, 0);
    endpoint.send(0, Uint8Array.of(2), 30);
    const [packet] = endpoint.update(30);
    const entry = describePacket('out', 'p', 30, packet!.length, PacketType.Data, packet);
    expect(entry.ack).toBe(0);
    expect(entry.heldMs).toBe(30);
  });

  it('describe other types, and a Data packet that does not parse, by size alone', () => {
    expect(describePacket('in', 'p', 1, 5, PacketType.Data, Uint8Array.of(1, 2, 3))).toEqual({
      atMs: 1,
      direction: 'in',
      peer: 'p',
      type: 'Data',
      bytes: 5,
    });
    const [packet] = reliablePackets([Uint8Array.of(1)]);
    expect(describePacket('in', 'p', 1, 5, PacketType.Disconnect, packet)).toEqual({
      atMs: 1,
      direction: 'in',
      peer: 'p',
      type: 'Disconnect',
      bytes: 5,
    });
    expect(describePacket('in', 'p', 1, 5, PacketType.Data)).toEqual({
      atMs: 1,
      direction: 'in',
      peer: 'p',
      type: 'Data',
      bytes: 5,
    });
  });
});

describe('packet log lines', () => {
  const entry = {
    atMs: 3,
    direction: 'out' as const,
    peer: 'udp://a:1',
    type: 'Data',
    bytes: 40,
    sequence: 2,
  };

  it('are one JSON object each, read back as written', () => {
    const line = formatPacketLogLine(entry);
    expect(line).toBe(
      '{"atMs":3,"direction":"out","peer":"udp://a:1","type":"Data","bytes":40,"sequence":2}',
    );
    expect(parsePacketLogLine(line)).toEqual(entry);
    expect(parsePacketLogLine(JSON.stringify({ ...entry, direction: 'in' })).direction).toBe('in');
  });

  it('refuse what is not JSON, or lacks or mistypes any required field (WIRE_INVALID)', () => {
    expectCode('WIRE_INVALID', () => parsePacketLogLine('{"atMs":'));
    expectCode('WIRE_INVALID', () => parsePacketLogLine('null'));
    expectCode('WIRE_INVALID', () => parsePacketLogLine('7'));
    for (const [field, value] of [
      ['atMs', '3'],
      ['direction', 'sideways'],
      ['peer', 1],
      ['type', null],
      ['bytes', '40'],
    ] as const) {
      expectCode('WIRE_INVALID', () => parsePacketLogLine(JSON.stringify({ ...entry, [field]: value })));
      const { [field]: _dropped, ...without } = entry;
      expectCode('WIRE_INVALID', () => parsePacketLogLine(JSON.stringify(without)));
    }
  });
});
