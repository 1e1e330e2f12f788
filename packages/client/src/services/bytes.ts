import { platform } from './platform.js';

/** Bytes as standard base64 (what the saves API carries). */
export function base64FromBytes(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return platform.btoa(binary);
}

export function bytesFromBase64(base64: string): Uint8Array {
  return Uint8Array.from(platform.atob(base64), (char: string) => char.charCodeAt(0));
}

/** SHA-256 of `bytes`, lower-case hex (Web Crypto: browsers and Node alike). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await platform.crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
