import * as nodeCrypto from 'node:crypto';
import { aeadFromNodeCrypto, HandshakeServer, issueConnectToken, type TokenGrant } from '@shardline/core';

/** The real ChaCha20-Poly1305 (node:crypto) the connection tests run on. */
export const aead = aeadFromNodeCrypto(nodeCrypto);
export const privateKey = new Uint8Array(32).fill(42);
export const protocolId = 0x5348_0001;
export const SERVER = 'udp://127.0.0.1:40000';
export const keys = { protocolId, privateKey, aead };
export const PEER = 'udp://10.0.0.1:5000';

/** A handshake server at SERVER on these keys: secure (UDP) unless `secure` is false. */
export function handshakeServer(secure = true): HandshakeServer {
  return new HandshakeServer({ protocolId, privateKey, aead, addresses: [SERVER], secure });
}

/** A deterministic random source: byte i of the n-th draw is (seed + n + i) & 0xff. */
export function countingRandom(seed = 0): (length: number) => Uint8Array {
  let draws = 0;
  return (length) => {
    const start = seed + draws++;
    return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
  };
}

/** A connect token for SERVER, issued at `nowMs` (ms), valid 30 s unless the grant says otherwise. */
export function connectToken(grant: Partial<TokenGrant> = {}, nowMs = 0, random = countingRandom()) {
  return issueConnectToken(
    {
      clientId: 'player-1',
      userData: Uint8Array.of(1, 2, 3),
      world: 'arena/1',
      serverAddresses: [SERVER],
      expiresInMs: 30_000,
      ...grant,
    },
    keys,
    nowMs,
    random,
  );
}
