import {
  CHALLENGE_TIMEOUT_MS,
  type DisconnectReason,
  HandshakeServer,
  PacketProtection,
  PacketType,
  type PrivateToken,
  readConnectToken,
  SEALED_CHALLENGE_BYTES,
  TOKEN_MAGIC,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { counterNonce } from '../src/connection/crypto.js';
import { readChallengeBody, writeRequest, writeResponse } from '../src/connection/packets.js';
import { aead, connectToken, PEER, privateKey, protocolId, SERVER } from './support/connection-fixtures.js';
import { expectCode } from './support/expect-code.js';

const challengeKey = new Uint8Array(32).fill(77);

function makeServer(
  options: {
    secure?: boolean;
    addresses?: string[];
    admit?: (client: PrivateToken) => DisconnectReason | undefined;
  } = {},
) {
  const handshake = new HandshakeServer({
    protocolId,
    privateKey,
    aead,
    addresses: options.addresses ?? [SERVER],
    secure: options.secure ?? true,
    challengeKey,
  });
  const admit = options.admit ?? (() => undefined);
  return {
    handshake,
    handle: (datagram: Uint8Array, nowMs = 1, peer = PEER) => handshake.handle(peer, datagram, nowMs, admit),
  };
}

const requestOf = (tokenBytes: Uint8Array) => writeRequest(readConnectToken(tokenBytes));

/** Opens a challenge as its client would and returns the Response it answers with. */
function answer(challenge: Uint8Array, tokenBytes: Uint8Array): Uint8Array {
  const token = readConnectToken(tokenBytes);
  const opener = new PacketProtection(aead, token.clientToServerKey, token.serverToClientKey, protocolId, 1);
  const opened = opener.unprotect(challenge);
  if (!opened.ok) throw new Error(`challenge did not open: ${opened.reason}`);
  expect(opened.type).toBe(PacketType.Challenge);
  const body = readChallengeBody(opened.payload, SEALED_CHALLENGE_BYTES);
  return writeResponse(body.challengeSequence, body.sealedChallenge);
}

function replyOf(result: ReturnType<HandshakeServer['handle']>): Uint8Array {
  if (result.kind !== 'challenge' && result.kind !== 'denied') throw new Error(`no reply: ${result.kind}`);
  return result.reply;
}

describe('request checks, in the order of PROTOCOL.md §10.2, each answered with its Denied packet', () => {
  it('protocol id mismatch comes before expiry', () => {
    const other = connectToken({ expiresInMs: 10 });
    const request = requestOf(other);
    request[5]! ^= 1; // protocolId
    expect(makeServer().handle(request, 1_000)).toEqual({
      kind: 'denied',
      reason: 'protocol-mismatch',
      reply: Uint8Array.of(PacketType.Denied, 10),
    });
  });

  it('a request of another protocol generation (magic) is a protocol mismatch', () => {
    const request = requestOf(connectToken());
    request[1] = 0;
    expect(makeServer().handle(request)).toMatchObject({ kind: 'denied', reason: 'protocol-mismatch' });
  });

  it('expiry comes before authentication, at exactly the expiry millisecond', () => {
    const request = requestOf(connectToken({ expiresInMs: 1_000 }, 0));
    const tampered = request.slice();
    tampered[100]! ^= 1;
    const { handle } = makeServer();
    expect(handle(tampered, 1_000)).toEqual({
      kind: 'denied',
      reason: 'token-expired',
      reply: Uint8Array.of(PacketType.Denied, 6),
    });
    expect(handle(tampered, 999)).toEqual({
      kind: 'denied',
      reason: 'token-invalid',
      reply: Uint8Array.of(PacketType.Denied, 7),
    });
    expect(handle(request, 1_000)).toMatchObject({ kind: 'denied', reason: 'token-expired' });
    expect(handle(request, 999).kind).toBe('challenge');
  });

  it('a request whose expiry was changed does not authenticate', () => {
    const request = requestOf(connectToken());
    request[9]! += 1; // expiresAtMs, bound into the private part's associated data
    expect(makeServer().handle(request)).toMatchObject({ kind: 'denied', reason: 'token-invalid' });
  });

  it('wrong address: none of the token addresses is this server', () => {
    const request = requestOf(connectToken({ serverAddresses: ['udp://127.0.0.1:40001'] }));
    expect(makeServer().handle(request)).toEqual({
      kind: 'denied',
      reason: 'wrong-address',
      reply: Uint8Array.of(PacketType.Denied, 9),
    });
  });

  it('any one shared address is enough, whichever list it is in', () => {
    const request = requestOf(connectToken({ serverAddresses: ['udp://a:1', SERVER] }));
    expect(makeServer({ addresses: ['udp://b:2', SERVER] }).handle(request).kind).toBe('challenge');
  });

  it('admission refuses with its own reason, and is asked with the opened token', () => {
    const seen: PrivateToken[] = [];
    const { handle, handshake } = makeServer({
      secure: false,
      admit: (client) => {
        seen.push(client);
        return 'already-connected';
      },
    });
    expect(handle(requestOf(connectToken()))).toEqual({
      kind: 'denied',
      reason: 'already-connected',
      reply: Uint8Array.of(PacketType.Denied, 12),
    });
    expect(seen.map((client) => [client.clientId, client.world])).toEqual([['player-1', 'arena/1']]);
    expect(handshake.counters.denied).toEqual({ 'already-connected': 1 });
  });

  it('counts requests, and each refusal by its reason', () => {
    const { handle, handshake } = makeServer();
    handle(requestOf(connectToken({ expiresInMs: 1 })), 5);
    handle(requestOf(connectToken({ expiresInMs: 1 })), 5);
    handle(requestOf(connectToken({ serverAddresses: ['x'] })), 5);
    expect(handshake.counters).toEqual({
      requests: 3,
      challenges: 0,
      accepted: 0,
      ignored: 0,
      denied: { 'token-expired': 2, 'wrong-address': 1 },
    });
  });
});

describe('datagrams that get no reply at all', () => {
  it('a request one byte short or long is malformed, and not counted as a request', () => {
    const request = requestOf(connectToken());
    const { handle, handshake } = makeServer();
    expect(handle(request.subarray(0, request.length - 1))).toEqual({ kind: 'ignored', why: 'malformed' });
    const long = new Uint8Array(request.length + 1);
    long.set(request);
    expect(handle(long)).toEqual({ kind: 'ignored', why: 'malformed' });
    expect(handshake.counters.requests).toBe(0);
    expect(handshake.counters.ignored).toBe(2);
  });

  it('other packet types, and the empty datagram, are not a handshake', () => {
    const { handle } = makeServer();
    for (const datagram of [
      new Uint8Array(0),
      Uint8Array.of(PacketType.Data, 1),
      Uint8Array.of(PacketType.Accepted),
    ])
      expect(handle(datagram)).toEqual({ kind: 'ignored', why: 'not-a-handshake' });
  });

  it('over a stream a Response is not a handshake (there are no challenges)', () => {
    const response = writeResponse(0, new Uint8Array(SEALED_CHALLENGE_BYTES));
    expect(makeServer({ secure: false }).handle(response)).toEqual({
      kind: 'ignored',
      why: 'not-a-handshake',
    });
  });

  it('a response one byte short or long is malformed', () => {
    const { handle } = makeServer();
    const good = writeResponse(0, new Uint8Array(SEALED_CHALLENGE_BYTES));
    expect(good.length).toBe(665);
    expect(handle(good)).toEqual({ kind: 'ignored', why: 'challenge-invalid' });
    expect(handle(writeResponse(0, new Uint8Array(SEALED_CHALLENGE_BYTES - 1)))).toEqual({
      kind: 'ignored',
      why: 'malformed',
    });
    expect(handle(writeResponse(0, new Uint8Array(SEALED_CHALLENGE_BYTES + 1)))).toEqual({
      kind: 'ignored',
      why: 'malformed',
    });
  });
});

describe('challenge and response (PROTOCOL.md §10.3)', () => {
  it('a challenge is 689 bytes, numbered 0, 1, … across the server, sealed under the token s2c key', () => {
    const { handle, handshake } = makeServer();
    const first = replyOf(handle(requestOf(connectToken())));
    const second = replyOf(handle(requestOf(connectToken({ clientId: 'b' })), 1, 'udp://10.0.0.2:1'));
    expect(first.length).toBe(689);
    expect(Array.from(first.subarray(0, 9))).toEqual([PacketType.Challenge, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(second.subarray(0, 9))).toEqual([PacketType.Challenge, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(handshake.counters.challenges).toBe(2);
    expect(answer(first, connectToken()).length).toBe(665);
  });

  it('the sealed challenge token is 640 bytes + tag under the challenge key, nonce (0, sequence), AD magic ‖ protocolId', () => {
    const { handle } = makeServer();
    const response = answer(replyOf(handle(requestOf(connectToken()))), connectToken());
    const ad = new Uint8Array(8);
    new DataView(ad.buffer).setUint32(0, TOKEN_MAGIC, true);
    new DataView(ad.buffer).setUint32(4, protocolId, true);
    const plaintext = aead.open(challengeKey, counterNonce(0), ad, response.subarray(9))!;
    expect(plaintext.length).toBe(640);
    expect(plaintext[0]).toBe(32); // the token tag as 32 hex digits
  });

  it('accepts the response with what the token granted, and this server addresses', () => {
    const { handle, handshake } = makeServer({ addresses: [SERVER, 'ws://x'] });
    const tokenBytes = connectToken({ timeoutMs: 4_321, userData: Uint8Array.of(4, 5) });
    const token = readConnectToken(tokenBytes);
    const result = handle(answer(replyOf(handle(requestOf(tokenBytes), 10)), tokenBytes), 20);
    expect(result).toEqual({
      kind: 'accepted',
      client: {
        clientId: 'player-1',
        userData: Uint8Array.of(4, 5),
        world: 'arena/1',
        timeoutMs: 4_321,
        serverAddresses: [SERVER, 'ws://x'],
        clientToServerKey: token.clientToServerKey,
        serverToClientKey: token.serverToClientKey,
      },
    });
    expect(handshake.counters.accepted).toBe(1);
  });

  it('a response is good for exactly 10 s after its challenge', () => {
    expect(CHALLENGE_TIMEOUT_MS).toBe(10_000);
    const tokenBytes = connectToken({ expiresInMs: 60_000 });
    const late = makeServer();
    const lateResponse = answer(replyOf(late.handle(requestOf(tokenBytes), 1_000)), tokenBytes);
    expect(late.handle(lateResponse, 11_001)).toEqual({ kind: 'ignored', why: 'challenge-expired' });
    expect(late.handle(lateResponse, 11_000).kind).toBe('accepted');
  });

  it('a response from another address than the one challenged proves nothing', () => {
    const { handle } = makeServer();
    const tokenBytes = connectToken();
    const response = answer(replyOf(handle(requestOf(tokenBytes))), tokenBytes);
    expect(handle(response, 2, 'udp://10.0.0.1:5001')).toEqual({ kind: 'ignored', why: 'challenge-invalid' });
    expect(handle(response, 2, PEER).kind).toBe('accepted');
  });

  it('a response with another sequence, or a changed byte, does not open', () => {
    const { handle } = makeServer();
    const tokenBytes = connectToken();
    const response = answer(replyOf(handle(requestOf(tokenBytes))), tokenBytes);
    const renumbered = response.slice();
    renumbered[1] = 1;
    expect(handle(renumbered)).toEqual({ kind: 'ignored', why: 'challenge-invalid' });
    const flipped = response.slice();
    flipped[300]! ^= 4;
    expect(handle(flipped)).toEqual({ kind: 'ignored', why: 'challenge-invalid' });
  });

  it('a second response with the same token opens no second connection', () => {
    const { handle, handshake } = makeServer();
    const tokenBytes = connectToken();
    const response = answer(replyOf(handle(requestOf(tokenBytes))), tokenBytes);
    expect(handle(response).kind).toBe('accepted');
    expect(handle(response)).toEqual({ kind: 'ignored', why: 'token-used' });
    expect(handle(requestOf(tokenBytes))).toMatchObject({ kind: 'denied', reason: 'token-replayed' });
    expect(handshake.counters.accepted).toBe(1);
  });

  it('a response for a token this server never saw presented is refused (another server with the key)', () => {
    const tokenBytes = connectToken();
    const response = answer(replyOf(makeServer().handle(requestOf(tokenBytes))), tokenBytes);
    expect(makeServer().handle(response)).toEqual({ kind: 'ignored', why: 'token-used' });
  });

  it('a response admission refuses is denied, and may be accepted once there is room', () => {
    let full = true;
    const { handle } = makeServer({ admit: () => (full ? 'server-full' : undefined) });
    const tokenBytes = connectToken();
    const response = answer(replyOf(handle(requestOf(tokenBytes))), tokenBytes);
    expect(handle(response)).toEqual({ kind: 'denied', reason: 'server-full', reply: Uint8Array.of(2, 5) });
    full = false;
    expect(handle(response).kind).toBe('accepted');
  });

  it('an authentic challenge token that does not parse is invalid (a server that sealed garbage)', () => {
    const ad = new Uint8Array(8);
    new DataView(ad.buffer).setUint32(0, TOKEN_MAGIC, true);
    new DataView(ad.buffer).setUint32(4, protocolId, true);
    const garbage = aead.seal(challengeKey, counterNonce(3), ad, new Uint8Array(640).fill(0xff));
    expect(makeServer().handle(writeResponse(3, garbage))).toEqual({
      kind: 'ignored',
      why: 'challenge-invalid',
    });
  });

  it('challenges peers named in up to 128 bytes; a longer name is refused (VALUE_INVALID)', () => {
    const { handle } = makeServer();
    expect(handle(requestOf(connectToken()), 1, 'p'.repeat(128)).kind).toBe('challenge');
    expectCode('VALUE_INVALID', () => handle(requestOf(connectToken({ clientId: 'q' })), 1, 'p'.repeat(129)));
  });
});

describe('token replay (PROTOCOL.md §10.2 step 5)', () => {
  it('the same peer may present its token again until it connects; another peer never', () => {
    const { handle, handshake } = makeServer();
    const tokenBytes = connectToken();
    const request = requestOf(tokenBytes);
    expect(handle(request).kind).toBe('challenge');
    expect(handle(request).kind).toBe('challenge');
    expect(handle(request, 1, 'udp://10.6.6.6:1')).toEqual({
      kind: 'denied',
      reason: 'token-replayed',
      reply: Uint8Array.of(PacketType.Denied, 8),
    });
    expect(handshake.rememberedTokens).toBe(1);
  });

  it('over a stream, a token that connected is refused when presented again, even from its own peer', () => {
    const { handle } = makeServer({ secure: false });
    const request = requestOf(connectToken());
    expect(handle(request).kind).toBe('accepted');
    expect(handle(request)).toMatchObject({ kind: 'denied', reason: 'token-replayed' });
  });

  it('a token refused at admission over a stream may be presented again', () => {
    let full = true;
    const { handle } = makeServer({ secure: false, admit: () => (full ? 'server-full' : undefined) });
    const request = requestOf(connectToken());
    expect(handle(request)).toMatchObject({ kind: 'denied', reason: 'server-full' });
    full = false;
    expect(handle(request).kind).toBe('accepted');
  });

  it('invalid tokens are not remembered', () => {
    const { handle, handshake } = makeServer();
    handle(requestOf(connectToken({ serverAddresses: ['elsewhere'] })));
    handle(requestOf(connectToken({ expiresInMs: 1 })), 10);
    expect(handshake.rememberedTokens).toBe(0);
  });
});
