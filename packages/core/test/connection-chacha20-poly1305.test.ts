import * as nodeCrypto from 'node:crypto';
import { aeadFromNodeCrypto, chacha20Poly1305 } from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyStream, keyStreamBlock, loadKeyAndNonce } from '../src/connection/chacha20.js';
import { absorbBlocks, finishMac, startMac } from '../src/connection/poly1305.js';
import { expectError } from './support/connection-expect-error.js';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const native = aeadFromNodeCrypto(nodeCrypto);

describe('ChaCha20 block function', () => {
  it('gives RFC 8439 §2.3.2: key 00..1f, nonce 00000009 0000004a 00000000, counter 1', () => {
    loadKeyAndNonce(
      hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'),
      hex('000000090000004a00000000'),
    );
    keyStreamBlock(1);
    expect(toHex(keyStream)).toBe(
      '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e' +
        'd2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e',
    );
  });
});

describe('Poly1305 over whole blocks', () => {
  // RFC 8439 Appendix A.3, the vectors whose messages are whole blocks: most of them aim at the
  // final reduction (h close to or past 2^130 − 5) and at carries, which random inputs seldom reach.
  const vectors: Array<[name: string, key: string, message: string, tag: string]> = [
    ['#5: h wraps exactly', `02${'00'.repeat(31)}`, 'ff'.repeat(16), `03${'00'.repeat(15)}`],
    [
      '#6: s carries out',
      `02${'00'.repeat(15)}${'ff'.repeat(16)}`,
      `02${'00'.repeat(15)}`,
      `03${'00'.repeat(15)}`,
    ],
    [
      '#7: h crosses p',
      `01${'00'.repeat(31)}`,
      `${'ff'.repeat(16)}f0${'ff'.repeat(15)}11${'00'.repeat(15)}`,
      `05${'00'.repeat(15)}`,
    ],
    [
      '#8: h lands on p',
      `01${'00'.repeat(31)}`,
      `${'ff'.repeat(16)}fb${'fe'.repeat(15)}${'01'.repeat(16)}`,
      '00'.repeat(16),
    ],
    ['#9: h just below p', `02${'00'.repeat(31)}`, `fd${'ff'.repeat(15)}`, `fa${'ff'.repeat(15)}`],
    [
      '#10: limb carries',
      `01000000000000000400000000000000${'00'.repeat(16)}`,
      'e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000000000000000000001000000000000000000000000000000',
      '14000000000000005500000000000000',
    ],
    [
      '#11: limb carries, shorter',
      `01000000000000000400000000000000${'00'.repeat(16)}`,
      'e33594d7505e43b900000000000000003394d7505e4379cd010000000000000000000000000000000000000000000000',
      '13000000000000000000000000000000',
    ],
  ];
  it.each(vectors)('gives RFC 8439 A.3 %s', (_name, key, message, tag) => {
    const bytes = hex(message);
    startMac(hex(key));
    absorbBlocks(bytes, 0, bytes.length / 16);
    const out = new Uint8Array(16);
    finishMac(out, 0);
    expect(toHex(out)).toBe(tag);
  });
});

describe('chacha20Poly1305', () => {
  const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  const nonce = hex('070000004041424344454647');
  const associatedData = hex('50515253c0c1c2c3c4c5c6c7');
  const plaintext = new TextEncoder().encode(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  );
  const sealedHex =
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
    '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
    '3ff4def08e4b7a9de576d26586cec64b6116' +
    '1ae10b594f09e26a7e902ecbd0600691';

  it('seals and opens RFC 8439 §2.8.2 (the tag is 1ae10b59…0691)', () => {
    expect(toHex(chacha20Poly1305.seal(key, nonce, associatedData, plaintext))).toBe(sealedHex);
    expect(chacha20Poly1305.open(key, nonce, associatedData, hex(sealedHex))).toEqual(plaintext);
  });

  it('seals in place after a header and opens in place', () => {
    const datagram = new Uint8Array(9 + plaintext.length + 16);
    datagram.set(plaintext, 9);
    chacha20Poly1305.sealInto!(
      key,
      nonce,
      associatedData,
      datagram.subarray(9, 9 + plaintext.length),
      datagram,
      9,
    );
    expect(toHex(datagram.subarray(9))).toBe(sealedHex);
    expect(chacha20Poly1305.openInto!(key, nonce, associatedData, datagram.subarray(9), datagram, 9)).toBe(
      true,
    );
    expect(datagram.subarray(9, 9 + plaintext.length)).toEqual(plaintext);
  });

  /** Bytes of a length drawn evenly from [0, max] (fast-check's own arrays stay short). */
  const bytesUpTo = (max: number) =>
    fc.nat({ max }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));

  it('matches node:crypto on any key, nonce, associated data and length, and opens what node seals', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        bytesUpTo(300),
        bytesUpTo(1500),
        (anyKey, anyNonce, anyAd, anyPlaintext) => {
          const ours = chacha20Poly1305.seal(anyKey, anyNonce, anyAd, anyPlaintext);
          const theirs = native.seal(anyKey, anyNonce, anyAd, anyPlaintext);
          expect(toHex(ours)).toBe(toHex(theirs));
          expect(chacha20Poly1305.open(anyKey, anyNonce, anyAd, theirs)).toEqual(anyPlaintext);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes nothing outside its output: not past the tag when sealing, not past the plaintext when opening', () => {
    fc.assert(
      fc.property(bytesUpTo(200), (anyPlaintext) => {
        const length = anyPlaintext.length;
        const sealed = new Uint8Array(4 + length + 16 + 4).fill(0xee);
        chacha20Poly1305.sealInto!(key, nonce, associatedData, anyPlaintext, sealed, 4);
        expect(Array.from(sealed.subarray(0, 4))).toEqual([0xee, 0xee, 0xee, 0xee]);
        expect(Array.from(sealed.subarray(4 + length + 16))).toEqual([0xee, 0xee, 0xee, 0xee]);
        const out = new Uint8Array(2 + length + 20).fill(0xdd);
        const ok = chacha20Poly1305.openInto!(
          key,
          nonce,
          associatedData,
          sealed.subarray(4, 4 + length + 16),
          out,
          2,
        );
        expect(ok).toBe(true);
        expect(out.subarray(2, 2 + length)).toEqual(anyPlaintext);
        expect(out.subarray(0, 2).every((byte) => byte === 0xdd)).toBe(true);
        expect(out.subarray(2 + length).every((byte) => byte === 0xdd)).toBe(true);
      }),
    );
  });

  it('refuses a sealed message with any bit changed, and leaves the output untouched', () => {
    const sealed = hex(sealedHex);
    fc.assert(
      fc.property(fc.nat({ max: sealed.length * 8 - 1 }), (bit) => {
        const tampered = sealed.slice();
        tampered[bit >> 3]! ^= 1 << (bit & 7);
        expect(chacha20Poly1305.open(key, nonce, associatedData, tampered)).toBeUndefined();
        const out = new Uint8Array(sealed.length).fill(0xaa);
        expect(chacha20Poly1305.openInto!(key, nonce, associatedData, tampered, out, 0)).toBe(false);
        expect(out.every((byte) => byte === 0xaa)).toBe(true);
      }),
    );
  });

  it('refuses under another nonce, other associated data, or when shorter than a tag', () => {
    const sealed = hex(sealedHex);
    const otherNonce = nonce.slice();
    otherNonce[11]! ^= 1;
    expect(chacha20Poly1305.open(key, otherNonce, associatedData, sealed)).toBeUndefined();
    expect(chacha20Poly1305.open(key, nonce, associatedData.subarray(1), sealed)).toBeUndefined();
    expect(chacha20Poly1305.open(key, nonce, associatedData, sealed.subarray(0, 15))).toBeUndefined();
    expect(chacha20Poly1305.openInto!(key, nonce, associatedData, sealed.subarray(0, 15), sealed, 0)).toBe(
      false,
    );
  });

  it('opens an empty plaintext, and refuses keys and nonces of the wrong size', () => {
    const sealed = chacha20Poly1305.seal(key, nonce, associatedData, new Uint8Array(0));
    expect(sealed).toHaveLength(16);
    expect(chacha20Poly1305.open(key, nonce, associatedData, sealed)).toEqual(new Uint8Array(0));
    expectError('VALUE_INVALID', 'ChaCha20-Poly1305 keys are 32 bytes, not 31', () =>
      chacha20Poly1305.seal(key.subarray(1), nonce, associatedData, plaintext),
    );
    expectError('VALUE_INVALID', 'ChaCha20-Poly1305 nonces are 12 bytes, not 11', () =>
      chacha20Poly1305.open(key, nonce.subarray(1), associatedData, sealed),
    );
  });
});
