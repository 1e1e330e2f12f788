import { BitWriter } from '@shardline/core';
import type { VectorCase } from './vector-cases.js';

export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array((hex.match(/../g) ?? []).map((pair) => Number.parseInt(pair, 16)));
}

/** The JSON document committed for one group of cases. */
export function renderVectors(cases: readonly VectorCase[]): string {
  const entries = cases.map((vector) => {
    const writer = new BitWriter();
    vector.encode(writer);
    return {
      name: vector.name,
      note: vector.note,
      value: vector.value,
      bits: writer.bitLength,
      hex: toHex(writer.toBytes()),
    };
  });
  const json = JSON.stringify(entries, (_, v) => (v instanceof Uint8Array ? toHex(v) : v), 2);
  return `${json}\n`;
}
