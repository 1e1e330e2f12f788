import { aeadFromNodeCrypto, type NodeCryptoModule } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { aead } from './support/connection-fixtures.js';

/**
 * A stand-in for node:crypto's ChaCha20-Poly1305 that, unlike Node's, holds the last 3 bytes back
 * until final() (as a block cipher would): the adapter must copy what final() returns too. The
 * "cipher" XORs with 0x55; the "tag" is 16 bytes of 0xaa. It records how it was called, and what
 * the decipher's update() returned.
 */
function heldBackCrypto(held = 3) {
  const calls: unknown[][] = [];
  const returned: Uint8Array[] = [];
  const xor = (bytes: Uint8Array) => bytes.map((byte) => byte ^ 0x55);
  const module: NodeCryptoModule = {
    createCipheriv(algorithm, key, iv, options) {
      calls.push(['cipher', algorithm, key.length, iv.length, options]);
      let pending = new Uint8Array(0);
      return {
        setAAD: (data, aadOptions) => calls.push(['setAAD', Array.from(data), aadOptions]),
        update: (data) => {
          pending = xor(data.subarray(Math.max(0, data.length - held)));
          return xor(data.subarray(0, Math.max(0, data.length - held)));
        },
        final: () => pending,
        getAuthTag: () => new Uint8Array(16).fill(0xaa),
      };
    },
    createDecipheriv(algorithm, key, iv, options) {
      calls.push(['decipher', algorithm, key.length, iv.length, options]);
      let tag = new Uint8Array(0);
      let pending = new Uint8Array(0);
      return {
        setAAD: (data, aadOptions) => calls.push(['setAAD', Array.from(data), aadOptions]),
        setAuthTag: (value) => {
          tag = value.slice();
        },
        update: (data) => {
          pending = xor(data.subarray(Math.max(0, data.length - held)));
          const body = xor(data.subarray(0, Math.max(0, data.length - held)));
          returned.push(body);
          return body;
        },
        final: () => {
          if (!tag.every((byte) => byte === 0xaa))
            throw new Error('unsupported state or unable to authenticate data');
          return pending;
        },
      };
    },
  };
  return { module, calls, returned };
}

const key = new Uint8Array(32).fill(1);
const nonce = new Uint8Array(12).fill(2);
const ad = Uint8Array.of(9, 9);

describe('aeadFromNodeCrypto', () => {
  it('asks node:crypto for chacha20-poly1305 with 16-byte tags, and gives the plaintext length with the AD', () => {
    const { module, calls } = heldBackCrypto();
    const adapter = aeadFromNodeCrypto(module);
    adapter.open(key, nonce, ad, adapter.seal(key, nonce, ad, Uint8Array.of(1, 2, 3, 4, 5)));
    expect(calls).toEqual([
      ['cipher', 'chacha20-poly1305', 32, 12, { authTagLength: 16 }],
      ['setAAD', [9, 9], { plaintextLength: 5 }],
      ['decipher', 'chacha20-poly1305', 32, 12, { authTagLength: 16 }],
      ['setAAD', [9, 9], { plaintextLength: 5 }],
    ]);
  });

  it('copies what the cipher returns from final() too, before the tag', () => {
    const { module } = heldBackCrypto();
    const adapter = aeadFromNodeCrypto(module);
    const sealed = adapter.seal(key, nonce, ad, Uint8Array.of(1, 2, 3, 4, 5));
    expect(Array.from(sealed)).toEqual([
      1 ^ 0x55,
      2 ^ 0x55,
      3 ^ 0x55,
      4 ^ 0x55,
      5 ^ 0x55,
      ...new Array(16).fill(0xaa),
    ]);
    const out = new Uint8Array(30).fill(0xee);
    adapter.sealInto!(key, nonce, ad, Uint8Array.of(1, 2, 3, 4, 5), out, 4);
    expect(Array.from(out.subarray(0, 4))).toEqual([0xee, 0xee, 0xee, 0xee]);
    expect(out.subarray(4, 25)).toEqual(sealed);
    expect(Array.from(out.subarray(25))).toEqual([0xee, 0xee, 0xee, 0xee, 0xee]);
  });

  it('joins what the decipher returns from update() and final()', () => {
    const { module } = heldBackCrypto();
    const adapter = aeadFromNodeCrypto(module);
    const plaintext = Uint8Array.of(1, 2, 3, 4, 5, 6, 7);
    expect(adapter.open(key, nonce, ad, adapter.seal(key, nonce, ad, plaintext))).toEqual(plaintext);
    const short = Uint8Array.of(8, 9);
    expect(adapter.open(key, nonce, ad, adapter.seal(key, nonce, ad, short))).toEqual(short);
  });

  it('hands out what update() returned as a view when final() returns nothing: no copy', () => {
    const { module, returned } = heldBackCrypto(0);
    const adapter = aeadFromNodeCrypto(module);
    const opened = adapter.open(key, nonce, ad, adapter.seal(key, nonce, ad, Uint8Array.of(1, 2, 3)))!;
    expect(opened).toEqual(Uint8Array.of(1, 2, 3));
    expect(opened.buffer).toBe(returned[0]!.buffer);
  });

  it('returns undefined when final() refuses the tag', () => {
    const { module } = heldBackCrypto();
    const adapter = aeadFromNodeCrypto(module);
    const sealed = adapter.seal(key, nonce, ad, Uint8Array.of(1, 2, 3, 4));
    sealed[sealed.length - 1] = 0;
    expect(adapter.open(key, nonce, ad, sealed)).toBeUndefined();
  });
});

describe('aeadFromNodeCrypto over the real node:crypto', () => {
  it('opens a sealed empty plaintext (16 bytes, the tag alone); anything shorter is refused', () => {
    const sealed = aead.seal(key, nonce, ad, new Uint8Array(0));
    expect(sealed.length).toBe(16);
    expect(aead.open(key, nonce, ad, sealed)).toEqual(new Uint8Array(0));
    expect(aead.open(key, nonce, ad, sealed.subarray(1))).toBeUndefined();
    expect(aead.open(key, nonce, ad, new Uint8Array(0))).toBeUndefined();
  });

  it('hands out the plaintext as a plain Uint8Array, not a Buffer', () => {
    const opened = aead.open(key, nonce, ad, aead.seal(key, nonce, ad, Uint8Array.of(1, 2, 3)))!;
    expect(opened).toEqual(Uint8Array.of(1, 2, 3));
    expect(Object.getPrototypeOf(opened)).toBe(Uint8Array.prototype);
  });

  it('refuses a wrong key, nonce or associated data', () => {
    const sealed = aead.seal(key, nonce, ad, Uint8Array.of(1, 2, 3));
    expect(aead.open(new Uint8Array(32), nonce, ad, sealed)).toBeUndefined();
    expect(aead.open(key, new Uint8Array(12), ad, sealed)).toBeUndefined();
    expect(aead.open(key, nonce, Uint8Array.of(9), sealed)).toBeUndefined();
  });
});
