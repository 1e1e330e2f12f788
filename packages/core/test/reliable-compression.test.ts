import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  type Compressor,
  compressorFromNodeZlib,
  type NodeZlibModule,
  packCompressed,
  unpackCompressed,
} from '../src/reliable/compression.js';
import { expectError } from './support/connection-expect-error.js';

const STORED = 0;
const DEFLATED = 1;

/** A compressor whose output is `outputBytes` long whatever it is given, recording what it was asked. */
function fixedSizeCompressor(outputBytes: number) {
  const calls: { maxBytes: number; input: number[] }[] = [];
  const compressor: Compressor = {
    compress: () => new Uint8Array(outputBytes).fill(0xaa),
    decompress: (bytes, maxBytes) => {
      calls.push({ maxBytes, input: [...bytes] });
      return Uint8Array.of(1, 2, 3);
    },
  };
  return { compressor, calls };
}

describe('compressed channel framing', () => {
  const deflate = compressorFromNodeZlib(zlib);

  it('stores random bytes behind flag 0, since deflating them saves nothing', () => {
    const noise = new Uint8Array(randomBytes(3_000));
    const packed = packCompressed(deflate, noise);
    expect(packed[0]).toBe(STORED);
    expect(packed.length).toBe(1 + noise.length);
    expect(packed.subarray(1)).toEqual(noise);
    expect(unpackCompressed(deflate, packed, 1 << 20)).toEqual(noise);
  });

  it('deflates behind flag 1 when that is smaller, and inflates it back', () => {
    const text = new TextEncoder().encode('abcabcabc'.repeat(200));
    const packed = packCompressed(deflate, text);
    expect(packed[0]).toBe(DEFLATED);
    expect(packed.length).toBeLessThan(100);
    expect(unpackCompressed(deflate, packed, 1 << 20)).toEqual(text);
  });

  it('stores when deflating saves nothing: same length counts as no saving', () => {
    const input = Uint8Array.of(1, 2, 3, 4);
    const same = packCompressed(fixedSizeCompressor(4).compressor, input);
    expect([...same]).toEqual([STORED, 1, 2, 3, 4]);
    const smaller = packCompressed(fixedSizeCompressor(3).compressor, input);
    expect([...smaller]).toEqual([DEFLATED, 0xaa, 0xaa, 0xaa]);
  });

  it('inflates with the given cap, and refuses an unknown flag or a stream that fails to inflate', () => {
    const { compressor, calls } = fixedSizeCompressor(0);
    expect([...unpackCompressed(compressor, Uint8Array.of(DEFLATED, 9, 8), 77)]).toEqual([1, 2, 3]);
    expect(calls).toEqual([{ maxBytes: 77, input: [9, 8] }]);
    expect([...unpackCompressed(compressor, Uint8Array.of(STORED, 9, 8), 77)]).toEqual([9, 8]);
    expect(calls.length).toBe(1); // stored: nothing to inflate
    expectError('WIRE_INVALID', 'compression flag 2', () =>
      unpackCompressed(compressor, Uint8Array.of(2, 9), 77),
    );
    expectError('WIRE_INVALID', 'compression flag undefined', () =>
      unpackCompressed(compressor, new Uint8Array(0), 77),
    );
    const failing: Compressor = {
      compress: (bytes) => bytes,
      decompress: () => {
        throw new RangeError('too big');
      },
    };
    expectError('WIRE_INVALID', 'compressed message does not inflate within 10 bytes', () =>
      unpackCompressed(failing, Uint8Array.of(DEFLATED, 1), 10),
    );
  });

  it('caps inflation at maxBytes over node:zlib', () => {
    const packed = packCompressed(deflate, new Uint8Array(10_000));
    expect(packed[0]).toBe(DEFLATED);
    expect(unpackCompressed(deflate, packed, 10_000).length).toBe(10_000);
    expectError('WIRE_INVALID', 'compressed message does not inflate within 9999 bytes', () =>
      unpackCompressed(deflate, packed, 9_999),
    );
  });
});

describe('compressorFromNodeZlib', () => {
  it('hands out plain Uint8Arrays over the same memory, and deflates at the level asked for', () => {
    const seen: { level?: number; maxOutputLength?: number }[] = [];
    const fake: NodeZlibModule = {
      deflateRawSync: (_bytes, options) => {
        seen.push(options?.level === undefined ? {} : { level: options.level });
        return Buffer.from([5, 6, 7]).subarray(1);
      },
      inflateRawSync: (_bytes, options) => {
        seen.push({ maxOutputLength: options.maxOutputLength });
        return Buffer.from([8, 9]);
      },
    };
    const defaults = compressorFromNodeZlib(fake);
    const compressed = defaults.compress(Uint8Array.of(1));
    expect(compressed.constructor).toBe(Uint8Array);
    expect([...compressed]).toEqual([6, 7]);
    const inflated = defaults.decompress(Uint8Array.of(1), 123);
    expect(inflated.constructor).toBe(Uint8Array);
    expect([...inflated]).toEqual([8, 9]);
    compressorFromNodeZlib(fake, 9).compress(Uint8Array.of(1));
    expect(seen).toEqual([{ level: 6 }, { maxOutputLength: 123 }, { level: 9 }]);
  });
});
