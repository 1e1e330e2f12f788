import { ShardlineError } from '../errors.js';
import { EntryKind, readPacket } from '../reliable/packet.js';
import { PacketType } from './packets.js';

/** One packet seen by a connection, as recorded in a packet log (one JSON object per line). */
export interface PacketLogEntry {
  /** Wall-clock time (ms since the Unix epoch) or the simulated clock, as the connection saw it. */
  atMs: number;
  direction: 'in' | 'out';
  peer: string;
  /** Connection-layer packet type (`Request`, `Data`, …). */
  type: string;
  /** Datagram size on the wire, in bytes. */
  bytes: number;
  /** For Data packets: the reliable header and one summary per entry (PROTOCOL.md §9). */
  sequence?: number;
  ack?: number;
  ackBits?: number;
  /** Over streams: how long the sender held the ack of packet `ack`, ms (PROTOCOL.md §9.3). */
  heldMs?: number;
  entries?: { kind: string; channel: number; id: number; fragment?: [number, number]; bytes: number }[];
}

/** Where connections report packets; off unless one is given. */
export interface PacketLog {
  record(entry: PacketLogEntry): void;
}

/**
 * Builds the log entry for a packet. `inner` is the reliable packet of a Data packet (after
 * decryption on the way in, before encryption on the way out).
 */
export function describePacket(
  direction: 'in' | 'out',
  peer: string,
  atMs: number,
  wireBytes: number,
  type: number,
  inner?: Uint8Array,
): PacketLogEntry {
  const entry: PacketLogEntry = {
    atMs,
    direction,
    peer,
    type: PacketType[type] ?? `unknown(${type})`,
    bytes: wireBytes,
  };
  if (type === PacketType.Data && inner) {
    try {
      const { header, entries, heldMs } = readPacket(inner);
      entry.sequence = header.sequence;
      entry.ack = header.ack;
      entry.ackBits = header.ackBits;
      if (heldMs !== undefined) entry.heldMs = heldMs;
      entry.entries = entries.map((item) => ({
        kind: EntryKind[item.kind] ?? String(item.kind),
        channel: item.channel,
        id: item.id,
        ...(item.fragmentCount > 1
          ? { fragment: [item.fragmentIndex, item.fragmentCount] as [number, number] }
          : {}),
        bytes: item.payload.length,
      }));
    } catch {
      // A malformed packet is logged by its size alone; the endpoint counts it.
    }
  }
  return entry;
}

export function formatPacketLogLine(entry: PacketLogEntry): string {
  return JSON.stringify(entry);
}

/** Parses one line of a packet log; WIRE_INVALID for a line that is not a packet log entry. */
export function parsePacketLogLine(line: string): PacketLogEntry {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ShardlineError('WIRE_INVALID', 'packet log line is not JSON');
  }
  const entry = value as Partial<PacketLogEntry>;
  // A JSON primitive has none of the fields, so the checks below refuse it too.
  if (
    entry === null ||
    typeof entry.atMs !== 'number' ||
    (entry.direction !== 'in' && entry.direction !== 'out') ||
    typeof entry.peer !== 'string' ||
    typeof entry.type !== 'string' ||
    typeof entry.bytes !== 'number'
  ) {
    throw new ShardlineError('WIRE_INVALID', 'packet log line lacks atMs, direction, peer, type or bytes');
  }
  return entry as PacketLogEntry;
}
