import { ByteReader, ByteWriter, DISCONNECT_REASONS, reasonCode, reasonFromCode } from '@shardline/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from '../src/connection/crypto.js';
import { readU64, writeU64 } from '../src/connection/u64.js';
import { expectCode } from './support/expect-code.js';

function u64Bytes(value: number): number[] {
  const writer = new ByteWriter(8);
  writeU64(writer, value);
  return Array.from(writer.toBytes());
}

describe('u64 on the wire (two little-endian u32, low first, below 2^53)', () => {
  it('writes the low word first, then the high word', () => {
    expect(u64Bytes(0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(u64Bytes(0x0102_0304)).toEqual([4, 3, 2, 1, 0, 0, 0, 0]);
    expect(u64Bytes(0x1_0000_0000)).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    expect(u64Bytes(0xa_0000_00ff)).toEqual([0xff, 0, 0, 0, 0x0a, 0, 0, 0]);
    expect(u64Bytes(Number.MAX_SAFE_INTEGER)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0]);
  });

  it('refuses values that are negative, fractional or 2^53 and above (VALUE_INVALID)', () => {
    expectCode('VALUE_INVALID', () => u64Bytes(-1));
    expectCode('VALUE_INVALID', () => u64Bytes(0.5));
    expectCode('VALUE_INVALID', () => u64Bytes(2 ** 53));
    expectCode('VALUE_INVALID', () => u64Bytes(Number.NaN));
  });

  it('reads back what it wrote, and refuses a high word of 2^21 or more (WIRE_INVALID)', () => {
    for (const value of [0, 1, 0xffff_ffff, 0x1_0000_0000, 1_700_000_000_123, Number.MAX_SAFE_INTEGER]) {
      expect(readU64(new ByteReader(Uint8Array.from(u64Bytes(value))))).toBe(value);
    }
    // High word 0x1f_ffff is the largest allowed (2^53 − 1 with a full low word).
    expect(readU64(new ByteReader(Uint8Array.of(0, 0, 0, 0, 0xff, 0xff, 0x1f, 0)))).toBe(0x1f_ffff * 2 ** 32);
    expectCode('WIRE_INVALID', () => readU64(new ByteReader(Uint8Array.of(0, 0, 0, 0, 0, 0, 0x20, 0))));
    expectCode('WIRE_TRUNCATED', () => readU64(new ByteReader(new Uint8Array(7))));
  });
});

describe('disconnect reasons (PROTOCOL.md §10.5)', () => {
  const table: [number, string][] = [
    [0, 'unknown'],
    [1, 'closed-by-client'],
    [2, 'closed-by-server'],
    [3, 'timeout'],
    [4, 'kicked'],
    [5, 'server-full'],
    [6, 'token-expired'],
    [7, 'token-invalid'],
    [8, 'token-replayed'],
    [9, 'wrong-address'],
    [10, 'protocol-mismatch'],
    [11, 'server-shutting-down'],
    [12, 'already-connected'],
    [13, 'link-lost'],
    [14, 'misbehaving'],
    [15, 'world-full'],
    [16, 'world-not-found'],
    [17, 'migrated'],
  ];

  it('carry the codes of the table, both ways', () => {
    expect(DISCONNECT_REASONS.length).toBe(table.length);
    for (const [code, reason] of table) {
      expect(reasonCode(reason as (typeof DISCONNECT_REASONS)[number])).toBe(code);
      expect(reasonFromCode(code)).toBe(reason);
    }
  });

  it('read codes a newer peer may add as unknown', () => {
    expect(reasonFromCode(18)).toBe('unknown');
    expect(reasonFromCode(255)).toBe('unknown');
  });
});

describe('randomBytes', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('draws the length asked for from globalThis.crypto', () => {
    const a = randomBytes(32);
    expect(a.length).toBe(32);
    expect(a).not.toEqual(randomBytes(32));
  });

  it('refuses to run without a secure random source rather than fall back to a weak one', () => {
    vi.stubGlobal('crypto', undefined);
    expect(() => randomBytes(8)).toThrow(/secure random source/);
  });
});
