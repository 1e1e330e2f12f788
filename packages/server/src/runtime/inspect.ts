import { describePacket, type PacketLogEntry, ShardlineError } from '@shardline/core';
import { readPacketLog } from '../packet-log.js';

/**
 * `shardline inspect`: what a packet log (`.jsonl`, see JsonLinesPacketLog) or one datagram in hex
 * holds, decoded with the same code the connections use.
 */
export function inspect(input: string): { entries: PacketLogEntry[]; summary: string } {
  const entries =
    /^[0-9a-f\s]+$/i.test(input) && !input.endsWith('.jsonl') ? [decodeHex(input)] : readPacketLog(input);
  return { entries, summary: summarize(entries) };
}

/**
 * A datagram as a stream transport carries it (type byte, then the packet in the clear, PROTOCOL.md
 * §10): its type and, for Data, the reliable header and entries. Encrypted (UDP) payloads cannot be
 * read without their keys: only the type and size are shown.
 */
function decodeHex(hex: string): PacketLogEntry {
  const digits = hex.replace(/\s+/g, '');
  if (digits.length === 0 || digits.length % 2 !== 0) {
    throw new ShardlineError('WIRE_INVALID', 'hex input needs an even number of digits');
  }
  const bytes = Uint8Array.from({ length: digits.length / 2 }, (_, i) =>
    Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16),
  );
  return describePacket('in', '(hex)', 0, bytes.length, bytes[0]!, bytes.subarray(1));
}

/** One line per packet, then totals by direction and type. */
function summarize(entries: readonly PacketLogEntry[]): string {
  const lines = entries.map((entry) => {
    const header =
      entry.sequence === undefined
        ? ''
        : ` seq ${entry.sequence} ack ${entry.ack} bits ${(entry.ackBits ?? 0).toString(2).padStart(32, '0')}${entry.heldMs === undefined ? '' : ` held ${entry.heldMs} ms`}`;
    const items = (entry.entries ?? [])
      .map(
        (item) =>
          `${item.kind} ch${item.channel} #${item.id}${item.fragment ? ` frag ${item.fragment[0] + 1}/${item.fragment[1]}` : ''} ${item.bytes} B`,
      )
      .join(', ');
    return `${entry.atMs} ${entry.direction.padEnd(3)} ${entry.peer} ${entry.type} ${entry.bytes} B${header}${items ? ` [${items}]` : ''}`;
  });
  const totals = new Map<string, { packets: number; bytes: number }>();
  for (const entry of entries) {
    const key = `${entry.direction} ${entry.type}`;
    const total = totals.get(key) ?? { packets: 0, bytes: 0 };
    total.packets++;
    total.bytes += entry.bytes;
    totals.set(key, total);
  }
  const summary = [...totals]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, total]) => `${key}: ${total.packets} packets, ${total.bytes} B`);
  return [...lines, '', ...summary].join('\n');
}
