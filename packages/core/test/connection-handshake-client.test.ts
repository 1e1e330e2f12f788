import {
  HANDSHAKE_RESEND_MS,
  HandshakeClient,
  PacketProtection,
  PacketType,
  REQUEST_BYTES,
  readConnectToken,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { writeChallengeBody } from '../src/connection/packets.js';
import { sealPacket } from '../src/connection/protection.js';
import { aead, connectToken, handshakeServer, PEER, protocolId } from './support/connection-fixtures.js';

// Made inside each test, never at load: mutation testing attributes what runs at load to no test.
const tokenBytes = () => connectToken({ expiresInMs: 1_000 });
const token = () => readConnectToken(tokenBytes());

function server() {
  return handshakeServer();
}

/** A client that has sent its request at 0 and holds the server challenge's response. */
function respondingClient() {
  const client = new HandshakeClient(tokenBytes(), aead, true);
  const [request] = client.update(0);
  const challenge = server().handle(PEER, request!, 0, () => undefined);
  if (challenge.kind !== 'challenge') throw new Error(challenge.kind);
  const [response] = client.handle(challenge.reply, 10);
  return { client, response: response!, challenge: challenge.reply };
}

/** The server's protected Accepted for this token, as its session sends it (sequence 0). */
const acceptedPacket = () =>
  new PacketProtection(aead, token().serverToClientKey, token().clientToServerKey, protocolId).protect(
    PacketType.Accepted,
    new Uint8Array(0),
  );

describe('client handshake timing (PROTOCOL.md §10.3: resend every 100 ms)', () => {
  it('sends the request at once, then again every 100 ms, not sooner', () => {
    expect(HANDSHAKE_RESEND_MS).toBe(100);
    const client = new HandshakeClient(tokenBytes(), aead, true);
    const [first] = client.update(0);
    expect(first!.length).toBe(REQUEST_BYTES);
    expect(client.update(99)).toEqual([]);
    expect(client.update(100)).toEqual([first]);
    expect(client.update(199)).toEqual([]);
    expect(client.update(200)).toEqual([first]);
    expect(client.state).toBe('requesting');
  });

  it('fails with token-expired at exactly the expiry millisecond, while requesting', () => {
    const client = new HandshakeClient(tokenBytes(), aead, true);
    expect(client.update(999).length).toBe(1);
    expect(client.failureReason).toBeUndefined();
    expect(client.update(1_000)).toEqual([]);
    expect(client.state).toBe('failed');
    expect(client.failureReason).toBe('token-expired');
    expect(client.update(1_100)).toEqual([]);
  });

  it('answers a challenge at once, then resends the response every 100 ms from then, past token expiry', () => {
    const { client, response } = respondingClient();
    expect(client.state).toBe('responding');
    expect(response.length).toBe(665);
    expect(response[0]).toBe(PacketType.Response);
    expect(client.update(109)).toEqual([]);
    expect(client.update(110)).toEqual([response]);
    // The token was presented in time: its expiry no longer matters.
    expect(client.update(1_500)).toEqual([response]);
    expect(client.state).toBe('responding');
  });
});

describe('what the client accepts from the server', () => {
  it('a Denied of two bytes fails the handshake with its reason; any other size is ignored', () => {
    const client = new HandshakeClient(tokenBytes(), aead, true);
    client.update(0);
    expect(client.handle(Uint8Array.of(PacketType.Denied, 5, 0), 1)).toEqual([]);
    expect(client.handle(Uint8Array.of(PacketType.Denied), 1)).toEqual([]);
    expect(client.state).toBe('requesting');
    expect(client.handle(Uint8Array.of(PacketType.Denied, 5), 1)).toEqual([]);
    expect(client.state).toBe('failed');
    expect(client.failureReason).toBe('server-full');
    // Nothing moves a failed handshake.
    expect(client.handle(acceptedPacket(), 2)).toEqual([]);
    expect(client.state).toBe('failed');
  });

  it('a protected Accepted connects; a forged or replayed one does not', () => {
    const { client } = respondingClient();
    const accepted = acceptedPacket();
    const forged = accepted.slice();
    forged[forged.length - 1]! ^= 1;
    expect(client.handle(forged, 20)).toEqual([]);
    expect(client.state).toBe('responding');
    expect(client.handle(accepted, 20)).toEqual([]);
    expect(client.state).toBe('connected');
    expect(client.update(500)).toEqual([]);
    expect(client.handle(accepted, 21)).toEqual([]);
    // Nothing moves a connected handshake either: not even a refusal.
    expect(client.handle(Uint8Array.of(PacketType.Denied, 5), 22)).toEqual([]);
    expect(client.state).toBe('connected');
    expect(client.failureReason).toBeUndefined();
  });

  it('a plain one-byte Accepted does not connect a secure client', () => {
    const { client } = respondingClient();
    client.handle(Uint8Array.of(PacketType.Accepted), 20);
    expect(client.state).toBe('responding');
  });

  it('a challenge is answered once: its replay, or a second one while responding, gets no response', () => {
    const handshake = server();
    const client = new HandshakeClient(tokenBytes(), aead, true);
    const [request] = client.update(0);
    const first = handshake.handle(PEER, request!, 0, () => undefined);
    const second = handshake.handle(PEER, request!, 1, () => undefined);
    if (first.kind !== 'challenge' || second.kind !== 'challenge') throw new Error('no challenge');
    const [response] = client.handle(first.reply, 10);
    expect(response![0]).toBe(PacketType.Response);
    expect(client.handle(first.reply, 11)).toEqual([]);
    expect(client.handle(second.reply, 12)).toEqual([]);
    expect(client.update(110)).toEqual([response]);
  });

  it('a challenge sealed in the session domain, or carrying another type, is ignored', () => {
    const client = new HandshakeClient(tokenBytes(), aead, true);
    client.update(0);
    const body = writeChallengeBody(0, new Uint8Array(656));
    const sessionDomain = sealPacket(
      aead,
      token().serverToClientKey,
      PacketType.Challenge,
      0,
      0,
      protocolId,
      body,
    );
    expect(client.handle(sessionDomain, 1)).toEqual([]);
    const retyped = sealPacket(aead, token().serverToClientKey, PacketType.Data, 1, 1, protocolId, body);
    expect(client.handle(retyped, 1)).toEqual([]);
    expect(client.state).toBe('requesting');
    const good = sealPacket(aead, token().serverToClientKey, PacketType.Challenge, 2, 1, protocolId, body);
    expect(client.handle(good, 1)).toHaveLength(1);
    expect(client.state).toBe('responding');
  });

  it('a challenge whose body is one byte short or long is ignored', () => {
    const client = new HandshakeClient(tokenBytes(), aead, true);
    client.update(0);
    for (const [sequence, length] of [
      [0, 655],
      [1, 657],
    ] as const) {
      const body = writeChallengeBody(sequence, new Uint8Array(length));
      const packet = sealPacket(
        aead,
        token().serverToClientKey,
        PacketType.Challenge,
        sequence,
        1,
        protocolId,
        body,
      );
      expect(client.handle(packet, 1)).toEqual([]);
    }
    expect(client.state).toBe('requesting');
  });
});

describe('stream handshake (no challenge, no encryption)', () => {
  it('needs no AEAD; connects on a one-byte Accepted only', () => {
    const client = new HandshakeClient(tokenBytes(), undefined, false);
    expect(client.protection).toBeUndefined();
    expect(client.update(0)).toHaveLength(1);
    client.handle(Uint8Array.of(PacketType.Accepted, 0), 1);
    expect(client.state).toBe('requesting');
    client.handle(Uint8Array.of(PacketType.Challenge), 1);
    expect(client.state).toBe('requesting');
    client.handle(Uint8Array.of(PacketType.Accepted), 1);
    expect(client.state).toBe('connected');
  });

  it('a secure handshake without an AEAD is refused at construction', () => {
    expect(() => new HandshakeClient(tokenBytes(), undefined, true)).toThrow(/AEAD/);
  });
});
