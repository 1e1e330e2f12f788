import { ClientConnection, type PacketLogEntry, PacketType } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { aead, connectToken } from './support/connection-fixtures.js';
import { channels, Rig, UDP, WS } from './support/connection-harness.js';
import { expectCode } from './support/expect-code.js';

describe('a client connection before it is connected', () => {
  it('sends its request from the constructor', () => {
    const client = new ClientConnection({ token: connectToken(), capabilities: WS, channels }, 0);
    expect(client.outgoing.map((datagram) => [datagram[0], datagram.length])).toEqual([
      [PacketType.Request, 1053],
    ]);
    expect(client.state).toBe('connecting');
    expect(client.stats(0)).toBeUndefined();
  });

  it("over datagrams seals with core's ChaCha20-Poly1305 unless given an AEAD, which a node:crypto server opens", () => {
    const rig = new Rig(UDP); // the server's AEAD is node:crypto's
    const client = new ClientConnection({ token: rig.tokenFor('p1'), capabilities: UDP, channels }, 0);
    rig.clients.set('p1', client);
    rig.flush();
    expect(client.state).toBe('connected');
    client.send(0, Uint8Array.of(7, 8), 0);
    client.update(0);
    rig.flush();
    expect(rig.server.events.filter((event) => event.type === 'message')).toMatchObject([
      { type: 'message', session: 'p1', channel: 0, bytes: Uint8Array.of(7, 8) },
    ]);
  });

  it('refuses to send before it is connected', () => {
    const client = new ClientConnection({ token: connectToken(), aead, capabilities: UDP, channels }, 0);
    expectCode('VALUE_INVALID', () => client.send(0, Uint8Array.of(1), 0));
  });

  it('logs an empty datagram during the handshake as type unknown(-1)', () => {
    const log: PacketLogEntry[] = [];
    const client = new ClientConnection(
      {
        token: connectToken(),
        capabilities: WS,
        channels,
        packetLog: { record: (entry) => log.push(entry) },
      },
      0,
    );
    client.receive(new Uint8Array(0), 3);
    expect(log.at(-1)).toEqual({ atMs: 3, direction: 'in', peer: 'server', type: 'unknown(-1)', bytes: 0 });
    expect(client.state).toBe('connecting');
  });

  it('ends with the reason of a Denied packet', () => {
    const client = new ClientConnection({ token: connectToken(), capabilities: WS, channels }, 0);
    client.receive(Uint8Array.of(PacketType.Denied, 9), 5);
    expect(client.state).toBe('disconnected');
    expect(client.disconnectReason).toBe('wrong-address');
    expect(client.events).toEqual([{ type: 'disconnected', reason: 'wrong-address' }]);
  });

  it('ends with token-expired when the token expires unanswered', () => {
    const client = new ClientConnection(
      { token: connectToken({ expiresInMs: 500 }), capabilities: WS, channels },
      0,
    );
    client.update(499);
    expect(client.state).toBe('connecting');
    client.update(500);
    expect(client.events).toEqual([{ type: 'disconnected', reason: 'token-expired' }]);
  });

  it('ends without a word when it gives up (timeout) or the link drops, once', () => {
    const client = new ClientConnection({ token: connectToken(), capabilities: WS, channels }, 0);
    client.outgoing.length = 0;
    client.end('timeout');
    client.end('link-lost');
    client.disconnect();
    expect(client.outgoing).toEqual([]);
    expect(client.events).toEqual([{ type: 'disconnected', reason: 'timeout' }]);
    expect(client.disconnectReason).toBe('timeout');
  });

  it('logs the handshake datagrams it sends and receives, as seen by the peer named server', () => {
    const log: PacketLogEntry[] = [];
    const client = new ClientConnection(
      {
        token: connectToken(),
        capabilities: WS,
        channels,
        packetLog: { record: (entry) => log.push(entry) },
      },
      7,
    );
    client.receive(Uint8Array.of(PacketType.Accepted), 9);
    expect(log).toEqual([
      { atMs: 7, direction: 'out', peer: 'server', type: 'Request', bytes: 1053 },
      { atMs: 9, direction: 'in', peer: 'server', type: 'Accepted', bytes: 1 },
    ]);
    client.receive(new Uint8Array(0), 10);
    expect(log).toHaveLength(2); // connected: an empty datagram is not a packet
    client.send(0, Uint8Array.of(4, 4), 10);
    client.update(10);
    expect(log.slice(2)).toEqual([
      {
        atMs: 10,
        direction: 'out',
        peer: 'server',
        type: 'Data',
        bytes: client.outgoing.at(-1)!.length,
        sequence: 0,
        ack: 0,
        ackBits: 0,
        entries: [{ kind: 'Reliable', channel: 0, id: 0, bytes: 2 }],
      },
    ]);
    client.disconnect();
    expect(log[3]).toEqual({ atMs: 10, direction: 'out', peer: 'server', type: 'Disconnect', bytes: 2 });
  });
});

describe('a connected client', () => {
  it('ends with the reason code of a one-byte Disconnect; other sizes are ignored', () => {
    const rig = new Rig(WS);
    const client = rig.connected('p1');
    client.receive(Uint8Array.of(PacketType.Disconnect), 1);
    client.receive(Uint8Array.of(PacketType.Disconnect, 4, 4), 1);
    expect(client.state).toBe('connected');
    client.receive(Uint8Array.of(PacketType.Disconnect, 11), 1);
    expect(client.events.at(-1)).toEqual({ type: 'disconnected', reason: 'server-shutting-down' });
    client.outgoing.length = 0;
    client.receive(Uint8Array.of(PacketType.Disconnect, 4), 2);
    client.update(3_000);
    expect(client.outgoing).toEqual([]);
    expect(client.events.filter((event) => event.type === 'disconnected')).toHaveLength(1);
    expect(client.disconnectReason).toBe('server-shutting-down');
  });

  it('takes a Message packet over a stream as one message; an empty one is ignored', () => {
    const rig = new Rig(WS);
    const client = rig.connected('p1');
    // Messages on an unreliable channel need a §9 header received first: let one arrive.
    rig.at(10);
    rig.flush();
    const before = client.events.length;
    const malformed = client.stats(11)!.malformedPackets;
    client.receive(Uint8Array.of(PacketType.Message), 11);
    expect(client.events.length).toBe(before);
    expect(client.stats(11)!.malformedPackets).toBe(malformed);
    client.receive(Uint8Array.of(PacketType.Message, 1, 7, 8), 11);
    expect(client.events.slice(before)).toEqual([
      { type: 'message', channel: 1, bytes: Uint8Array.of(7, 8) },
    ]);
  });

  it('drops a Message packet for a channel that cannot take one (reliable, or missing), counting it', () => {
    const rig = new Rig(WS);
    const client = rig.connected('p1');
    const before = client.events.length;
    const malformed = client.stats(1)!.malformedPackets;
    client.receive(Uint8Array.of(PacketType.Message, 0, 7), 1);
    client.receive(Uint8Array.of(PacketType.Message, 9, 7), 1);
    expect(client.events.length).toBe(before);
    expect(client.stats(1)!.malformedPackets).toBe(malformed + 2);
  });

  it('over a stream sends a no-delay message at once in a packet of its own', () => {
    const rig = new Rig(WS);
    const client = rig.connected('p1');
    expect(client.send(1, Uint8Array.of(5), 1, 'unreliable-no-delay')).toBe(false);
    expect(client.outgoing.map((datagram) => datagram[0])).toEqual([PacketType.Data]);
    rig.flush();
    expect(rig.server.events.at(-1)).toEqual({
      type: 'message',
      session: 'p1',
      channel: 1,
      bytes: Uint8Array.of(5),
    });
    expect(client.send(0, Uint8Array.of(6), 1)).toBe(false);
    expect(client.outgoing).toHaveLength(0);
  });

  it('over UDP queues a no-delay message and asks for an update at once', () => {
    const rig = new Rig(UDP);
    const client = rig.connected('p1');
    expect(client.send(1, Uint8Array.of(5), 1, 'unreliable-no-delay')).toBe(true);
    expect(client.outgoing).toHaveLength(0);
    client.update(1);
    rig.flush();
    expect(rig.server.events.at(-1)).toEqual({
      type: 'message',
      session: 'p1',
      channel: 1,
      bytes: Uint8Array.of(5),
    });
    expect(client.stats(1)?.packetsSent).toBeGreaterThan(0);
  });

  it('logs what arrives once connected, after opening it, and nothing that does not open', () => {
    const log: PacketLogEntry[] = [];
    const rig = new Rig(UDP);
    const client = new ClientConnection(
      {
        token: rig.tokenFor('p1'),
        aead,
        capabilities: UDP,
        channels,
        packetLog: { record: (entry) => log.push(entry) },
      },
      0,
    );
    rig.clients.set('p1', client);
    rig.flush();
    expect(client.state).toBe('connected');
    rig.server.send('p1', 0, Uint8Array.of(3, 3, 3), 1);
    rig.server.update(1);
    const [data] = rig.server.outgoing.splice(0).map(({ datagram }) => datagram);
    const forged = data!.slice();
    forged[forged.length - 1]! ^= 1;
    client.receive(forged, 2);
    const before = log.length;
    client.receive(data!, 2);
    expect(log.slice(before)).toEqual([
      {
        atMs: 2,
        direction: 'in',
        peer: 'server',
        type: 'Data',
        bytes: data!.length,
        sequence: 0,
        ack: 0,
        ackBits: 0,
        entries: [{ kind: 'Reliable', channel: 0, id: 0, bytes: 3 }],
      },
    ]);
    expect(log.slice(0, before).map(({ direction, type }) => `${direction} ${type}`)).toEqual([
      'out Request',
      'in Challenge',
      'out Response',
      'in Accepted',
    ]);
  });

  it('over UDP drops a packet that does not authenticate', () => {
    const rig = new Rig(UDP);
    const client = rig.connected('p1');
    rig.server.disconnect('p1', 'kicked');
    const [first] = rig.server.outgoing.splice(0);
    const forged = first!.datagram.slice();
    forged[forged.length - 1]! ^= 1;
    client.receive(forged, 1);
    expect(client.state).toBe('connected');
    client.receive(first!.datagram, 1);
    expect(client.disconnectReason).toBe('kicked');
  });

  it('times out when the server falls silent for the token timeout', () => {
    const rig = new Rig(WS);
    const client = rig.connected('p1', 'p1', 1_000);
    client.update(900);
    expect(client.state).toBe('connected');
    for (let t = 900; t <= 1_100 && client.state === 'connected'; t += 10) client.update(t);
    expect(client.events.at(-1)).toEqual({ type: 'disconnected', reason: 'timeout' });
  });
});
