import { describe, expect, it } from 'vitest';
import { FRAGMENT_BYTES, MAX_FRAGMENTS } from '../src/reliable/limits.js';
import {
  EntryKind,
  entrySize,
  heldSize,
  MAX_HELD_MS,
  PACKET_HEADER_BYTES,
  type PacketEntry,
  PacketParser,
  PING_ENTRY,
  readPacket,
  writeEntry,
  writeHeader,
  writeHeld,
} from '../src/reliable/packet.js';
import { ByteWriter } from '../src/wire/bytes.js';
import { expectError } from './support/connection-expect-error.js';
import { expectCode } from './support/expect-code.js';

function entry(
  kind: EntryKind,
  payloadBytes: number,
  fragment?: [index: number, count: number],
): PacketEntry {
  return {
    kind,
    channel: 7,
    id: kind === EntryKind.Unreliable && !fragment ? 0 : 0x1234,
    fragmentIndex: fragment?.[0] ?? 0,
    fragmentCount: fragment?.[1] ?? 1,
    payload: Uint8Array.from({ length: payloadBytes }, (_, i) => i & 0xff),
  };
}

/** A packet: header (sequence 0x0102, ack 0x0304, ackBits 0x05060708), then `body` as written. */
function packet(write: (writer: ByteWriter) => void): Uint8Array {
  const writer = new ByteWriter(4_000);
  writeHeader(writer, { sequence: 0x0102, ack: 0x0304, ackBits: 0x05060708 });
  write(writer);
  return writer.toBytes();
}

/** Header bytes followed by `body`, for hand-made (possibly malformed) packets. */
function raw(...body: number[]): Uint8Array {
  return new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, ...body]);
}

describe('packet layout', () => {
  it('writes the 8-byte header little-endian, ackBits as unsigned 32 bits', () => {
    const writer = new ByteWriter(16);
    writeHeader(writer, { sequence: 0x0102, ack: 0x0304, ackBits: -1 });
    expect([...writer.toBytes()]).toEqual([2, 1, 4, 3, 0xff, 0xff, 0xff, 0xff]);
    expect(PACKET_HEADER_BYTES).toBe(8);
    expect(readPacket(packet(() => {})).header).toEqual({
      sequence: 0x0102,
      ack: 0x0304,
      ackBits: 0x05060708,
    });
  });

  it('sizes every kind of entry as many bytes as it writes, across the varuint length step at 128', () => {
    const cases: PacketEntry[] = [];
    for (const bytes of [0, 1, 127, 128, 1024]) {
      cases.push(entry(EntryKind.Reliable, bytes));
      cases.push(entry(EntryKind.Sequenced, bytes));
      cases.push(entry(EntryKind.Unreliable, bytes));
      cases.push(entry(EntryKind.Reliable, bytes, [1, 3]));
      cases.push(entry(EntryKind.Unreliable, bytes, [2, 3]));
    }
    for (const each of cases) {
      const writer = new ByteWriter(2_000);
      writeEntry(writer, each);
      expect(writer.length, JSON.stringify({ ...each, payload: each.payload.length })).toBe(entrySize(each));
    }
    expect(entrySize(entry(EntryKind.Unreliable, 127))).toBe(2 + 1 + 127);
    expect(entrySize(entry(EntryKind.Unreliable, 128))).toBe(2 + 2 + 128);
    expect(entrySize(entry(EntryKind.Reliable, 128))).toBe(2 + 2 + 2 + 128);
    expect(entrySize(entry(EntryKind.Reliable, 10, [0, 2]))).toBe(2 + 2 + 4 + 1 + 10);
    expect(entrySize(entry(EntryKind.Unreliable, 10, [0, 2]))).toBe(2 + 2 + 4 + 1 + 10);
    expect(entrySize(PING_ENTRY)).toBe(1);
  });

  it('writes each kind with its flags, channel, id and fragment fields in order', () => {
    const bytes = (each: PacketEntry) => {
      const writer = new ByteWriter(100);
      writeEntry(writer, each);
      return [...writer.toBytes()];
    };
    expect(bytes(entry(EntryKind.Reliable, 2))).toEqual([0, 7, 0x34, 0x12, 2, 0, 1]);
    expect(bytes(entry(EntryKind.Sequenced, 1))).toEqual([1, 7, 0x34, 0x12, 1, 0]);
    expect(bytes(entry(EntryKind.Unreliable, 1))).toEqual([2, 7, 1, 0]);
    expect(bytes(entry(EntryKind.Unreliable, 1, [1, 2]))).toEqual([6, 7, 0x34, 0x12, 1, 0, 2, 0, 1, 0]);
    expect(bytes(entry(EntryKind.Reliable, 1, [0, 300]))).toEqual([4, 7, 0x34, 0x12, 0, 0, 0x2c, 1, 1, 0]);
    expect(bytes(PING_ENTRY)).toEqual([3]);
  });

  it('reads back what it wrote, entry by entry', () => {
    const entries = [
      entry(EntryKind.Reliable, 128),
      PING_ENTRY,
      entry(EntryKind.Unreliable, 3),
      entry(EntryKind.Sequenced, 0),
      entry(EntryKind.Unreliable, 5, [4, 5]),
    ];
    const parsed = readPacket(
      packet((writer) => {
        for (const each of entries) writeEntry(writer, each);
      }),
    );
    expect(parsed.entries).toEqual(entries);
    expect(parsed.heldMs).toBeUndefined();
  });

  it('writes a held time as 0x0B and a varuint, sized across the step at 128', () => {
    for (const heldMs of [0, 127, 128, MAX_HELD_MS]) {
      const bytes = packet((writer) => writeHeld(writer, heldMs));
      expect(bytes.length - PACKET_HEADER_BYTES).toBe(heldSize(heldMs));
      expect(bytes[PACKET_HEADER_BYTES]).toBe(0x0b);
      expect(readPacket(bytes).heldMs).toBe(heldMs);
    }
    expect([heldSize(127), heldSize(128), heldSize(MAX_HELD_MS)]).toEqual([2, 3, 4]);
    expect(MAX_HELD_MS).toBe(60_000);
  });
});

describe('packet parsing refuses hostile input', () => {
  it('accepts fragment counts 2 … MAX_FRAGMENTS with index below the count, and nothing else', () => {
    const fragment = (index: number, count: number) =>
      raw(4, 0, 0, 0, index & 0xff, index >> 8, count & 0xff, count >> 8, 1, 9);
    expect(readPacket(fragment(1, 2)).entries[0]).toMatchObject({ fragmentIndex: 1, fragmentCount: 2 });
    expect(readPacket(fragment(MAX_FRAGMENTS - 1, MAX_FRAGMENTS)).entries[0]!.fragmentCount).toBe(
      MAX_FRAGMENTS,
    );
    expectError('WIRE_INVALID', 'malformed packet: fragment 0 of 1', () => readPacket(fragment(0, 1)));
    expectError('WIRE_INVALID', 'malformed packet: fragment 0 of 0', () => readPacket(fragment(0, 0)));
    expectError('WIRE_INVALID', `malformed packet: fragment 0 of ${MAX_FRAGMENTS + 1}`, () =>
      readPacket(fragment(0, MAX_FRAGMENTS + 1)),
    );
    expectError('WIRE_INVALID', 'malformed packet: fragment 2 of 2', () => readPacket(fragment(2, 2)));
  });

  it('accepts a fragment of FRAGMENT_BYTES and refuses one a byte longer; a whole message may be longer', () => {
    const fragmentOf = (length: number) => {
      const header = [4, 0, 0, 0, 0, 0, 2, 0, (length & 0x7f) | 0x80, length >> 7];
      return raw(...header, ...new Uint8Array(length));
    };
    expect(readPacket(fragmentOf(FRAGMENT_BYTES)).entries[0]!.payload.length).toBe(FRAGMENT_BYTES);
    expectError('WIRE_INVALID', `malformed packet: fragment of ${FRAGMENT_BYTES + 1} bytes`, () =>
      readPacket(fragmentOf(FRAGMENT_BYTES + 1)),
    );
    const whole = FRAGMENT_BYTES + 1;
    const long = raw(0, 0, 0, 0, (whole & 0x7f) | 0x80, whole >> 7, ...new Uint8Array(whole));
    expect(readPacket(long).entries[0]!.payload.length).toBe(whole);
  });

  it('refuses reserved flag bits, a ping with other bits, and a truncated entry', () => {
    expectError('WIRE_INVALID', 'malformed packet: entry flags 16', () => readPacket(raw(0x10, 0, 0, 0, 0)));
    // bit 3 on a reliable entry
    expectError('WIRE_INVALID', 'malformed packet: entry flags 8', () => readPacket(raw(0x08, 0, 0, 0, 0)));
    expectError('WIRE_INVALID', 'malformed packet: ping flags 7', () => readPacket(raw(0x07))); // a "fragmented" ping
    expectCode('WIRE_TRUNCATED', () => readPacket(raw(0, 0, 0, 0, 5, 1, 2)));
    expectCode('WIRE_TRUNCATED', () => readPacket(new Uint8Array(7)));
  });

  it('accepts a held time of MAX_HELD_MS and refuses one more', () => {
    expect(readPacket(packet((writer) => writeHeld(writer, MAX_HELD_MS))).heldMs).toBe(MAX_HELD_MS);
    expectError('WIRE_INVALID', `malformed packet: held time ${MAX_HELD_MS + 1} ms`, () =>
      readPacket(packet((writer) => writeHeld(writer, MAX_HELD_MS + 1))),
    );
    const twice = (writer: ByteWriter) => {
      writeHeld(writer, 1);
      writeHeld(writer, 2);
    };
    expectError('WIRE_INVALID', 'malformed packet: two held times', () => readPacket(packet(twice)));
  });
});

describe('PacketParser reuse', () => {
  it('describes only the latest packet: its count, its held time, fresh values in reused entries', () => {
    const parser = new PacketParser();
    parser.read(
      packet((writer) => {
        writeHeld(writer, 5);
        writeEntry(writer, entry(EntryKind.Reliable, 3, [1, 2]));
        writeEntry(writer, entry(EntryKind.Sequenced, 2));
      }),
    );
    expect(parser.count).toBe(2);
    expect(parser.heldMs).toBe(5);
    parser.read(packet((writer) => writeEntry(writer, PING_ENTRY)));
    expect(parser.count).toBe(1);
    expect(parser.heldMs).toBeUndefined();
    expect(parser.entries[0]).toEqual(PING_ENTRY);
    parser.read(packet((writer) => writeEntry(writer, entry(EntryKind.Unreliable, 4))));
    expect(parser.entries[0]).toEqual(entry(EntryKind.Unreliable, 4));
    expect(parser.entries.length).toBe(2); // the objects of the first packet, reused
  });
});
