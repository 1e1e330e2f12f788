import { ShardlineError } from '../errors.js';
import { ByteReader, type ByteWriter, varuintSize } from '../wire/bytes.js';
import { FRAGMENT_BYTES, MAX_FRAGMENTS } from './limits.js';

/**
 * Packet layout (little-endian, byte-aligned; PROTOCOL.md §9):
 *   u16 sequence, u16 ack, u32 ackBits, then entries to the end of the packet. Each entry:
 *   u8 flags (bits 0-1 kind, bit 2 fragmented, bit 3 held, bits 4-7 zero); a ping (kind 3) is that
 *   byte alone; a held time (kind 3 with bit 3: 0x0B) is that byte and a varuint, the ms between the
 *   `ack` packet arriving and this packet leaving (at most one per packet); otherwise u8 channel,
 *   u16 id (reliable unit id, or sequenced/unreliable message id; absent for whole unreliable messages),
 *   [u16 fragment index, u16 fragment count] when fragmented, varuint length, payload.
 */
export const PACKET_HEADER_BYTES = 8;

export enum EntryKind {
  Reliable = 0,
  Sequenced = 1,
  Unreliable = 2,
  /** Asks for a prompt acknowledgement and carries nothing else: one byte, the flags. */
  Ping = 3,
}

/** The keepalive's entry. */
export const PING_ENTRY: PacketEntry = {
  kind: EntryKind.Ping,
  channel: 0,
  id: 0,
  fragmentIndex: 0,
  fragmentCount: 1,
  payload: new Uint8Array(0),
};

export interface PacketHeader {
  sequence: number;
  /** Newest packet sequence received from the peer. */
  ack: number;
  /** Bit i set: peer packet ack − i (mod 2^16) was received, i = 0 … 31; all zero acknowledges nothing. */
  ackBits: number;
}

export interface PacketEntry {
  kind: EntryKind;
  channel: number;
  /** Unit id (reliable) or message id (sequenced, fragmented unreliable); 0 when absent. */
  id: number;
  /** 0 and 1 for a whole message. */
  fragmentIndex: number;
  fragmentCount: number;
  payload: Uint8Array;
}

const FRAGMENTED = 0b100;
const KIND_MASK = 0b11;
const HELD_FLAGS = EntryKind.Ping | 0b1000;
/** The longest held time a packet may report, ms (a peer holds an ack at most its keepalive). */
export const MAX_HELD_MS = 60_000;

/** Bytes a held-time entry of `heldMs` takes. */
export function heldSize(heldMs: number): number {
  return 1 + varuintSize(heldMs);
}

/** Writes a held-time entry: `heldMs` (whole ms, at most MAX_HELD_MS) since the header's `ack` arrived. */
export function writeHeld(writer: ByteWriter, heldMs: number): void {
  writer.u8(HELD_FLAGS);
  writer.varuint(heldMs);
}

export function entrySize(entry: PacketEntry): number {
  if (entry.kind === EntryKind.Ping) return 1;
  const fragmented = entry.fragmentCount > 1;
  const hasId = entry.kind !== EntryKind.Unreliable || fragmented;
  return (
    2 + (hasId ? 2 : 0) + (fragmented ? 4 : 0) + varuintSize(entry.payload.length) + entry.payload.length
  );
}

export function writeHeader(writer: ByteWriter, header: PacketHeader): void {
  writer.u16(header.sequence);
  writer.u16(header.ack);
  writer.u32(header.ackBits >>> 0);
}

export function writeEntry(writer: ByteWriter, entry: PacketEntry): void {
  if (entry.kind === EntryKind.Ping) {
    writer.u8(EntryKind.Ping);
    return;
  }
  const fragmented = entry.fragmentCount > 1;
  writer.u8(entry.kind | (fragmented ? FRAGMENTED : 0));
  writer.u8(entry.channel);
  if (entry.kind !== EntryKind.Unreliable || fragmented) writer.u16(entry.id);
  if (fragmented) {
    writer.u16(entry.fragmentIndex);
    writer.u16(entry.fragmentCount);
  }
  writer.varuint(entry.payload.length);
  writer.raw(entry.payload);
}

/**
 * Parses a packet. Hostile input gets ShardlineError: WIRE_TRUNCATED, or WIRE_INVALID for a bad kind,
 * non-zero reserved bits, a fragment index or count out of range, an oversized fragment, or a held
 * time that is repeated or over MAX_HELD_MS.
 * Payloads are views into `bytes`.
 */
export function readPacket(bytes: Uint8Array): {
  header: PacketHeader;
  entries: PacketEntry[];
  /** The held time, if the packet reports one: ms between its `ack` packet arriving and it leaving. */
  heldMs: number | undefined;
} {
  const parsed = new PacketParser();
  parsed.read(bytes);
  // Stryker disable next-line MethodExpression: a parser that read one packet holds exactly `count` entries
  return { header: parsed.header, entries: parsed.entries.slice(0, parsed.count), heldMs: parsed.heldMs };
}

/**
 * readPacket into objects reused by every packet read (an endpoint reads thousands a second): after
 * `read`, `header`, `heldMs` and the first `count` of `entries` describe the packet, until the next
 * `read` overwrites them. Whoever keeps an entry past that copies it. On a ShardlineError, what it
 * holds is unspecified.
 */
export class PacketParser {
  readonly header: PacketHeader = { sequence: 0, ack: 0, ackBits: 0 };
  readonly entries: PacketEntry[] = [];
  count = 0;
  heldMs: number | undefined;

  read(bytes: Uint8Array): void {
    const reader = new ByteReader(bytes);
    const header = this.header;
    header.sequence = reader.u16();
    header.ack = reader.u16();
    header.ackBits = reader.u32();
    this.count = 0;
    this.heldMs = undefined;
    while (reader.remaining > 0) {
      const flags = reader.u8();
      const kind = flags & KIND_MASK;
      if (flags === HELD_FLAGS) {
        if (this.heldMs !== undefined) invalid('two held times');
        const heldMs = reader.varuint();
        if (heldMs > MAX_HELD_MS) invalid(`held time ${heldMs} ms`);
        this.heldMs = heldMs;
        continue;
      }
      if (flags >>> 3 !== 0) invalid(`entry flags ${flags}`);
      const entry = this.nextEntry();
      if (kind === EntryKind.Ping) {
        if (flags !== EntryKind.Ping) invalid(`ping flags ${flags}`);
        entry.kind = EntryKind.Ping;
        entry.channel = 0;
        entry.id = 0;
        entry.fragmentIndex = 0;
        entry.fragmentCount = 1;
        entry.payload = PING_ENTRY.payload;
        continue;
      }
      const fragmented = (flags & FRAGMENTED) !== 0;
      const channel = reader.u8();
      const id = kind !== EntryKind.Unreliable || fragmented ? reader.u16() : 0;
      let fragmentIndex = 0;
      let fragmentCount = 1;
      if (fragmented) {
        fragmentIndex = reader.u16();
        fragmentCount = reader.u16();
        if (fragmentCount < 2 || fragmentCount > MAX_FRAGMENTS || fragmentIndex >= fragmentCount) {
          invalid(`fragment ${fragmentIndex} of ${fragmentCount}`);
        }
      }
      const length = reader.varuint();
      if (fragmented && length > FRAGMENT_BYTES) invalid(`fragment of ${length} bytes`);
      entry.kind = kind;
      entry.channel = channel;
      entry.id = id;
      entry.fragmentIndex = fragmentIndex;
      entry.fragmentCount = fragmentCount;
      entry.payload = reader.slice(length);
    }
  }

  /** The next entry object to fill: reused, or made once. */
  private nextEntry(): PacketEntry {
    if (this.count === this.entries.length) {
      this.entries.push({
        kind: EntryKind.Ping,
        channel: 0,
        id: 0,
        fragmentIndex: 0,
        fragmentCount: 1,
        payload: PING_ENTRY.payload,
      });
    }
    return this.entries[this.count++]!;
  }
}

function invalid(what: string): never {
  throw new ShardlineError('WIRE_INVALID', `malformed packet: ${what}`);
}
