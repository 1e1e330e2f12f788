import { PacketProtection, PacketType, readConnectToken, SEALED_CHALLENGE_BYTES } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { readChallengeBody, writeRequest, writeResponse } from '../src/connection/packets.js';
import { aead, connectToken, handshakeServer, PEER, protocolId } from './support/connection-fixtures.js';
import { Rig, UDP, WS } from './support/connection-harness.js';

describe('packets a session does not expect are ignored, not taken for a Disconnect', () => {
  it('a connected client ignores a repeated Accepted and unknown types', () => {
    const rig = new Rig(WS);
    const client = rig.connected('p1');
    for (const datagram of [
      Uint8Array.of(PacketType.Accepted),
      Uint8Array.of(9, 3),
      Uint8Array.of(PacketType.Challenge, 3),
    ])
      client.receive(datagram, 1);
    expect(client.state).toBe('connected');
    expect(client.events).toEqual([{ type: 'connected' }]);
  });

  it('over UDP a connected client ignores the Accepted the server says again', () => {
    const rig = new Rig(UDP);
    const client = rig.client('p1');
    const [request] = client.outgoing;
    rig.flush();
    rig.server.receive('p1', request!, 1);
    const [again] = rig.server.outgoing.splice(0);
    client.receive(again!.datagram, 1);
    expect(client.state).toBe('connected');
    expect(client.events).toEqual([{ type: 'connected' }]);
  });

  it('the server keeps a session whose client sends a packet of another type', () => {
    const rig = new Rig(WS);
    rig.connected('p1');
    for (const datagram of [
      Uint8Array.of(PacketType.Message, 1, 2),
      Uint8Array.of(PacketType.Accepted),
      Uint8Array.of(9, 1),
    ])
      rig.server.receive('p1', datagram, 1);
    expect(rig.server.sessionCount).toBe(1);
    expect(rig.server.events.map((event) => event.type)).toEqual(['connected']);
  });

  it('over UDP a 665-byte Data packet from a connected client is data, not a repeated Response', () => {
    const rig = new Rig(UDP);
    rig.connected('p1');
    rig.server.outgoing.length = 0;
    const data = rig.sealAs('p1', PacketType.Data, 0, new Uint8Array(640));
    expect(data.length).toBe(665);
    rig.server.receive('p1', data, 1);
    expect(rig.server.outgoing).toEqual([]);
    expect(rig.server.stats('p1', 1).packetsReceived).toBe(0); // opened, then refused by the endpoint as malformed
  });
});

describe('Disconnect packets carry their reason code', () => {
  it('a client leaving says closed-by-client (code 1)', () => {
    const rig = new Rig(WS);
    const client = rig.connected('p1');
    client.disconnect();
    expect(client.outgoing.map((datagram) => Array.from(datagram))).toEqual([[PacketType.Disconnect, 1]]);
  });

  it('over UDP too, in each of its three copies', () => {
    const rig = new Rig(UDP);
    const client = rig.connected('p1');
    client.disconnect();
    const token = readConnectToken(rig.tokens.get('p1')!);
    const server = new PacketProtection(aead, token.serverToClientKey, token.clientToServerKey, protocolId);
    expect(client.outgoing.map((datagram) => server.unprotect(datagram))).toEqual(
      Array(3).fill({ ok: true, type: PacketType.Disconnect, payload: Uint8Array.of(1) }),
    );
  });

  it('the server answers a leaving client with nothing', () => {
    for (const capabilities of [UDP, WS]) {
      const rig = new Rig(capabilities);
      const client = rig.connected('p1');
      rig.server.outgoing.length = 0;
      client.disconnect();
      rig.server.receive('p1', client.outgoing[0]!, 1);
      expect(rig.server.sessionCount).toBe(0);
      expect(rig.server.outgoing).toEqual([]);
    }
  });
});

describe('a response after its token expired, within the challenge window', () => {
  it('is accepted, even after other requests came in meanwhile', () => {
    const handshake = handshakeServer();
    const admit = () => undefined;
    const tokenBytes = connectToken({ expiresInMs: 1_000 });
    const challenge = handshake.handle(PEER, writeRequest(readConnectToken(tokenBytes)), 999, admit);
    if (challenge.kind !== 'challenge') throw new Error(challenge.kind);
    const other = connectToken({ clientId: 'other', expiresInMs: 5_000 });
    expect(handshake.handle('udp://x:1', writeRequest(readConnectToken(other)), 1_001, admit).kind).toBe(
      'challenge',
    );
    const token = readConnectToken(tokenBytes);
    const opened = new PacketProtection(
      aead,
      token.clientToServerKey,
      token.serverToClientKey,
      protocolId,
      1,
    ).unprotect(challenge.reply);
    if (!opened.ok) throw new Error(opened.reason);
    const body = readChallengeBody(opened.payload, SEALED_CHALLENGE_BYTES);
    const response = writeResponse(body.challengeSequence, body.sealedChallenge);
    expect(handshake.handle(PEER, response, 1_002, admit).kind).toBe('accepted');
  });
});

describe('sendToEach', () => {
  it('over UDP updates a session at once when a no-delay message asks for it: the packet is out without an update', () => {
    const rig = new Rig(UDP);
    rig.connected('p1');
    rig.server.update(0);
    rig.server.outgoing.length = 0;
    rig.server.sendToEach(
      [rig.server.handle('p1')!],
      1,
      Uint8Array.of(6),
      1,
      'unreliable-no-delay',
      () => {},
    );
    expect(rig.server.outgoing.map(({ peer, datagram }) => [peer, datagram[0]])).toEqual([
      ['p1', PacketType.Data],
    ]);
  });

  it('sends nothing to a session that ended, whatever the send type', () => {
    const rig = new Rig(WS);
    rig.connected('p1');
    rig.connected('p2');
    rig.server.send('p1', 0, Uint8Array.of(1), 1);
    rig.server.send('p2', 0, Uint8Array.of(1), 1);
    rig.server.update(1);
    const ended = rig.server.handle('p1')!;
    rig.server.disconnect('p1', 'kicked');
    rig.server.outgoing.length = 0;
    rig.server.sendToEach(
      [ended, rig.server.handle('p2')!],
      1,
      Uint8Array.of(6),
      2,
      'unreliable-no-delay',
      () => {},
    );
    expect(rig.server.outgoing.map(({ peer }) => peer)).toEqual(['p2']);
  });
});
