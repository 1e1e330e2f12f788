import * as nodeCrypto from 'node:crypto';
import {
  aeadFromNodeCrypto,
  counterNonce,
  HandshakeClient,
  type HandshakeResult,
  HandshakeServer,
  issueConnectToken,
  openPrivateToken,
  PacketProtection,
  PacketType,
  readConnectToken,
  SEALED_CHALLENGE_BYTES,
  TAG_BYTES,
  TOKEN_MAGIC,
  writeDenied,
} from '@shardline/core';
import { writeResponse } from '../../../packages/core/src/connection/packets.js';
import { privateTokenAssociatedData } from '../../../packages/core/src/connection/token.js';
import { vectorBytes, withContext } from '../corpus.js';
import type { FuzzTarget } from '../target.js';

const aead = aeadFromNodeCrypto(nodeCrypto);
const keys = { protocolId: 0x5348_0001, privateKey: new Uint8Array(32).fill(0x42), aead };
const SERVER = 'udp://127.0.0.1:40000';
const PEER = 'udp://127.0.0.1:5000';
const NOW_MS = 1_700_000_000_000;
const challengeKey = new Uint8Array(32).fill(0x17);

let drawn = 0;
const tokenBytes = issueConnectToken(
  {
    clientId: 'player-1',
    userData: Uint8Array.of(1, 2, 3),
    world: 'arena/1',
    serverAddresses: [SERVER],
    expiresInMs: 30_000,
  },
  keys,
  NOW_MS,
  (length) => Uint8Array.from({ length }, () => drawn++ & 0xff),
);
const token = readConnectToken(tokenBytes);
const client = new HandshakeClient(tokenBytes, aead, true);
const request = client.update(NOW_MS)[0]!;

function server(): HandshakeServer {
  return new HandshakeServer({ ...keys, addresses: [SERVER], secure: true, challengeKey });
}

const challenged = server().handle(PEER, request, NOW_MS, () => undefined);
const challenge = challenged.kind === 'challenge' ? challenged.reply : new Uint8Array(0);
const response = client.handle(challenge, NOW_MS)[0]!;
const challengeAd = Uint8Array.from([...u32(TOKEN_MAGIC), ...u32(keys.protocolId)]);

function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

const privateAd = privateTokenAssociatedData(keys.protocolId, token.expiresAtMs);
/** The token's private part and the challenge token in the clear: what sits behind the AEAD. */
const privatePlaintext = aead.open(keys.privateKey, token.nonce, privateAd, token.sealedPrivate)!;
const challengePlaintext = aead.open(challengeKey, counterNonce(0), challengeAd, response.subarray(9))!;
const CHALLENGE_PLAINTEXT_BYTES = SEALED_CHALLENGE_BYTES - TAG_BYTES;

/**
 * The server's handshake (handshake-server.ts, packets.ts) on a datagram from a peer it has never
 * seen; context 1 first presents the valid request, so a response finds its token remembered.
 */
export const handshakeServerTarget: FuzzTarget = {
  name: 'handshake-server',
  weight: 3,
  corpus: [withContext(0, request), withContext(1, response), withContext(0, writeDenied('token-expired'))],
  decode: (input) => {
    const handshake = server();
    if ((input[0] ?? 0) % 2 === 1) handshake.handle(PEER, request, NOW_MS, () => undefined);
    return handshake.handle(PEER, input.subarray(1), NOW_MS + 5, () => undefined);
  },
  outcome: handshakeOutcome,
};

/**
 * A token's private part as the issuer might have sealed it: the input is the plaintext, sealed under
 * the shared key, so the parser behind the AEAD (token.ts openPrivateToken) sees hostile fields.
 */
export const privateTokenTarget: FuzzTarget = {
  name: 'token-private-part',
  weight: 2,
  corpus: [privatePlaintext],
  decode: (input) =>
    openPrivateToken(
      aead.seal(keys.privateKey, token.nonce, privateAd, input),
      token.nonce,
      token.expiresAtMs,
      keys,
    ),
  outcome: (result) => (result === undefined ? 'invalid' : 'opened'),
};

/**
 * A challenge token as the server might have sealed it: the input (padded or cut to its fixed size)
 * is sealed under the challenge key and answered from the challenged peer, after its valid request.
 */
export const challengeTokenTarget: FuzzTarget = {
  name: 'handshake-challenge-token',
  weight: 2,
  corpus: [challengePlaintext],
  decode: (input) => {
    const plaintext = new Uint8Array(CHALLENGE_PLAINTEXT_BYTES);
    plaintext.set(input.subarray(0, CHALLENGE_PLAINTEXT_BYTES));
    const handshake = server();
    handshake.handle(PEER, request, NOW_MS, () => undefined);
    const sealed = aead.seal(challengeKey, counterNonce(0), challengeAd, plaintext);
    return handshake.handle(PEER, writeResponse(0, sealed), NOW_MS + 5, () => undefined);
  },
  outcome: handshakeOutcome,
};

/** The client's reading of a connect token (token.ts readConnectToken). */
export const connectTokenTarget: FuzzTarget = {
  name: 'connect-token',
  weight: 2,
  corpus: [tokenBytes, ...vectorBytes('connection', ['connect-token'])],
  decode: (input) => readConnectToken(input),
};

/** The client's handshake on a server datagram: denials, challenges, acceptance (context: secure or not). */
export const handshakeClientTarget: FuzzTarget = {
  name: 'handshake-client',
  weight: 2,
  corpus: [
    withContext(1, challenge),
    withContext(1, writeDenied('server-full')),
    withContext(0, Uint8Array.of(PacketType.Accepted)),
    ...vectorBytes('connection', ['challenge', 'denied-token-expired']).map((bytes) => withContext(1, bytes)),
  ],
  decode: (input) => {
    const handshake = new HandshakeClient(tokenBytes, aead, (input[0] ?? 0) % 2 === 1);
    handshake.handle(input.subarray(1), NOW_MS + 5);
    return handshake.state;
  },
  outcome: String,
};

const sender = new PacketProtection(aead, token.clientToServerKey, token.serverToClientKey, keys.protocolId);

/** The session's packet protection on the server's side (protection.ts unprotect). */
export const protectionTarget: FuzzTarget = {
  name: 'packet-protection',
  weight: 1,
  corpus: [0, 1, 2].map((n) => sender.protect(PacketType.Data, new Uint8Array(n * 40).fill(n))),
  decode: (input) =>
    new PacketProtection(aead, token.serverToClientKey, token.clientToServerKey, keys.protocolId).unprotect(
      input,
    ),
  outcome: (result) => {
    const opened = result as ReturnType<PacketProtection['unprotect']>;
    return opened.ok ? 'opened' : opened.reason;
  },
};

function handshakeOutcome(result: unknown): string {
  const handled = result as HandshakeResult;
  return handled.kind === 'ignored'
    ? `ignored ${handled.why}`
    : handled.kind === 'denied'
      ? `denied ${handled.reason}`
      : handled.kind;
}
