import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AnyFieldType, defineRpcs, event, rpc, t } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { FORMAT_SECTIONS } from './vector-format.js';

/** PROTOCOL.md's worked examples, checked against what the code computes so the text cannot drift. */
const spec = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'PROTOCOL.md'), 'utf8');

/** The fenced block that follows `marker` in the spec, without its fences. */
function blockAfter(marker: string): string {
  const at = spec.indexOf(marker);
  if (at < 0) throw new Error(`PROTOCOL.md no longer says ${JSON.stringify(marker)}`);
  const match = /```\n([\s\S]*?)\n```/.exec(spec.slice(at));
  if (!match) throw new Error(`no fenced block after ${JSON.stringify(marker)}`);
  return match[1]!;
}

describe('PROTOCOL.md §15: the RPC catalog fingerprint text', () => {
  const catalog = defineRpcs({
    use: rpc({ params: { slot: t.u8() }, reply: { ok: t.bool() } }),
    chat: event({ params: { text: t.string({ maxBytes: 10 }) } }),
  });

  it('is exactly the descriptor the code hashes', () => {
    expect(blockAfter('is described by exactly')).toBe(catalog.descriptor);
  });

  it('has the fingerprint the spec states', () => {
    const stated = /and its fingerprint is `([0-9a-f]{16})`/.exec(spec)?.[1];
    expect(stated).toBe(catalog.fingerprint);
  });
});

describe("PROTOCOL.md §7: the field kinds' descriptors", () => {
  /** Each row of the table: the declaration as written there, and the field it declares. */
  const rows: [string, AnyFieldType][] = [
    ['`t.bool()`', t.bool()],
    ["`t.i16({ delta: 'relative' })`", t.i16({ delta: 'relative' })],
    ['`t.uint(5)`', t.uint(5)],
    ['`t.int({ min: -3, max: 9 })`', t.int({ min: -3, max: 9 })],
    ['`t.quantized({ min: 0, max: 1, bits: 8 })`', t.quantized({ min: 0, max: 1, bits: 8 })],
    [
      '`t.quantized({ min: -4096, max: 4096, precision: 1 / 64 })`',
      t.quantized({ min: -4096, max: 4096, precision: 1 / 64 }),
    ],
    ['`t.angle()`', t.angle()],
    ['`t.vec2({ min: -1, max: 1, precision: 0.01 })`', t.vec2({ min: -1, max: 1, precision: 0.01 })],
    ['`t.vec3({ min: 0, max: 100, bits: 12 })`', t.vec3({ min: 0, max: 100, bits: 12 })],
    ['`t.quat()`', t.quat()],
    ["`t.angle({ bits: 12, delta: 'absolute' })`", t.angle({ bits: 12, delta: 'absolute' })],
    ['`t.string({ maxBytes: 32 })`', t.string({ maxBytes: 32 })],
    ['`t.bytes({ maxLength: 16 })`', t.bytes({ maxLength: 16 })],
    ['`t.entity()`', t.entity()],
    ["`t.enum(['idle', 'run'])`", t.enum(['idle', 'run'])],
    ['`t.array(t.u16(), { maxLength: 6 })`', t.array(t.u16(), { maxLength: 6 })],
    ['`t.array(t.bool(), { length: 3 })`', t.array(t.bool(), { length: 3 })],
    ['`t.optional(t.u8())`', t.optional(t.u8())],
    ['`t.struct({ a: t.bool(), b: t.u8() })`', t.struct({ a: t.bool(), b: t.u8() })],
  ];

  it.each(rows)('%s has the descriptor the table gives', (declared, field) => {
    const row = spec.split('\n').find((line) => line.startsWith(`| ${declared} `));
    expect(row, `no row for ${declared}`).toBeDefined();
    const descriptor = /\|\s*`([^`]+)`/.exec(row!.slice(`| ${declared} `.length))?.[1];
    expect(descriptor).toBe(field.descriptor);
  });

  it('names the scalar kinds as the code does', () => {
    const scalars = [t.u8(), t.i8(), t.u16(), t.i16(), t.varuint(), t.varint(), t.float32(), t.float64()];
    for (const field of scalars) expect(spec).toContain(`\`${field.descriptor}\``);
  });
});

describe('PROTOCOL.md §3.4: the smallest-three bound', () => {
  it('is the double the code uses, in decimal and in bits', () => {
    const bits = new DataView(new ArrayBuffer(8));
    bits.setFloat64(0, Math.SQRT1_2);
    const hex = bits.getBigUint64(0).toString(16).toUpperCase();
    expect(spec).toContain(`\`${Math.SQRT1_2}\` (bits \`0x${hex}\``);
  });
});

describe('PROTOCOL.md §17: the vector file format', () => {
  const section = spec.slice(spec.indexOf('## 17. Golden vectors'));

  it('names every format the vectors use, with the keys they hold', () => {
    for (const format of Object.keys(FORMAT_SECTIONS)) expect(section).toContain(`\`${format}\``);
    for (const key of ['name', 'format', 'section', 'note', 'given', 'value', 'bits', 'bytes', 'hex']) {
      expect(section).toContain(`| \`${key}\``);
    }
  });
});
