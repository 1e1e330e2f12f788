import { toHex } from './hex.js';
import type { VectorCase, VectorFormat } from './vector-cases.js';

export { fromHex, toHex } from './hex.js';

/** The section of PROTOCOL.md that defines each format's bytes. */
export const FORMAT_SECTIONS: Record<VectorFormat, string> = {
  bits: '§1–§3',
  field: '§4',
  'field-delta': '§5',
  snapshot: '§6',
  fingerprint: '§7, §13.2, §15',
  packet: '§9',
  'connect-token': '§10.1',
  request: '§10.2',
  denied: '§10.2, §10.5',
  challenge: '§10.3',
  response: '§10.3',
  protected: '§10.4',
  'message-packet': '§10.7',
  'world-snapshot': '§11',
  'clock-ping': '§11.1',
  'clock-pong': '§11.1',
  input: '§12',
  'input-stream': '§12.1',
  'input-ack': '§12.1',
  'seat-message': '§13',
  'state-publish': '§14',
  'state-relay': '§14',
  rpc: '§15',
};

/** One vector as its file holds it, keys in this order (PROTOCOL.md "Golden vectors"). */
export interface VectorEntry {
  name: string;
  format: VectorFormat;
  section: string;
  note: string;
  given: Record<string, unknown>;
  value: unknown;
  bits: number;
  bytes: number;
  hex: string;
}

/** The JSON document committed for one group of cases. */
export function renderVectors(cases: readonly VectorCase[]): string {
  const entries: VectorEntry[] = cases.map((vector) => ({
    name: vector.name,
    format: vector.format,
    section: FORMAT_SECTIONS[vector.format],
    note: vector.note,
    given: vector.given,
    value: vector.value,
    bits: vector.bits,
    bytes: vector.bytes.length,
    hex: toHex(vector.bytes),
  }));
  const json = JSON.stringify(entries, (_, v) => (v instanceof Uint8Array ? toHex(v) : v), 2);
  return `${json}\n`;
}
