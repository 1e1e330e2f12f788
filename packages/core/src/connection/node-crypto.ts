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

/** ChaCha20-Poly1305 over node:crypto: `aeadFromNodeCrypto(await import('node:crypto'))`. */
export function aeadFromNodeCrypto(crypto: NodeCryptoModule): Aead {
  return {
    seal(key, nonce, associatedData, plaintext) {
      const cipher = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(associatedData, { plaintextLength: plaintext.length });
      return concatBytes([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    open(key, nonce, associatedData, sealed) {
      if (sealed.length < TAG_BYTES) return undefined;
      const ciphertext = sealed.subarray(0, sealed.length - TAG_BYTES);
      const decipher = crypto.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData, { plaintextLength: ciphertext.length });
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      try {
        return concatBytes([decipher.update(ciphertext), decipher.final()]);
      } catch {
        return undefined; // authentication failed
      }
    },
  };
}
