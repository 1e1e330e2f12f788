import { concatBytes } from '../wire/bytes.js';
import { type Aead, TAG_BYTES } from './crypto.js';

/** The slice of node:crypto this adapter uses (passed in, so core never imports a Node module). */
export interface NodeCryptoModule {
  createCipheriv(
    algorithm: 'chacha20-poly1305',
    key: Uint8Array,
    iv: Uint8Array,
    options: { authTagLength: number },
  ): {
    setAAD(data: Uint8Array, options: { plaintextLength: number }): unknown;
    update(data: Uint8Array): Uint8Array;
    final(): Uint8Array;
    getAuthTag(): Uint8Array;
  };
  createDecipheriv(
    algorithm: 'chacha20-poly1305',
    key: Uint8Array,
    iv: Uint8Array,
    options: { authTagLength: number },
  ): {
    setAAD(data: Uint8Array, options: { plaintextLength: number }): unknown;
    setAuthTag(tag: Uint8Array): unknown;
    update(data: Uint8Array): Uint8Array;
    final(): Uint8Array;
  };
}

/**
 * ChaCha20-Poly1305 over node:crypto: `aeadFromNodeCrypto(await import('node:crypto'))`. Node 20 has
 * no one-shot AEAD call, so each packet takes a cipher object; what it returns is copied straight into
 * the caller's array (sealInto) or handed out as a view (open), never concatenated.
 */
export function aeadFromNodeCrypto(crypto: NodeCryptoModule): Aead {
  const sealInto = (
    key: Uint8Array,
    nonce: Uint8Array,
    associatedData: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void => {
    const cipher = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData, { plaintextLength: plaintext.length });
    let at = offset;
    const body = cipher.update(plaintext);
    out.set(body, at);
    at += body.length;
    const rest = cipher.final(); // empty for a stream cipher; copied all the same
    out.set(rest, at);
    at += rest.length;
    out.set(cipher.getAuthTag(), at);
  };
  return {
    sealInto,
    seal(key, nonce, associatedData, plaintext) {
      const sealed = new Uint8Array(plaintext.length + TAG_BYTES);
      sealInto(key, nonce, associatedData, plaintext, sealed, 0);
      return sealed;
    },
    open(key, nonce, associatedData, sealed) {
      if (sealed.length < TAG_BYTES) return undefined;
      const ciphertext = sealed.subarray(0, sealed.length - TAG_BYTES);
      const decipher = crypto.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData, { plaintextLength: ciphertext.length });
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      let body: Uint8Array;
      let rest: Uint8Array;
      try {
        body = decipher.update(ciphertext);
        rest = decipher.final();
      } catch {
        return undefined; // authentication failed
      }
      // A plain Uint8Array view, not the Buffer itself: Buffer's slice() does not copy.
      if (rest.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.length);
      return concatBytes([body, rest]);
    },
  };
}
