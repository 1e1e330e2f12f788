import { DISCONNECT_REDUNDANCY, PacketType, type ServerEvent } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { endpointTuning, packetBudget, STREAM_KEEPALIVE_MS } from '../src/connection/server-connections.js';
import { Rig, UDP, WS } from './support/connection-harness.js';
import { expectCode } from './support/expect-code.js';

/** Runs both sides for a few ms after connecting, until the server has nothing due at once. */
function settle(rig: Rig): void {
  for (let t = 10; t <= 200 && !(rig.server.nextUpdateAtMs() > rig.nowMs); t += 10) {
    rig.at(t);
    rig.flush();
  }
}

describe('the server side of a handshake, datagram by datagram', () => {
  it('over UDP: Challenge for the request, then on the response a session, an Accepted and a connected event', () => {
    const rig = new Rig(UDP);
    const client = rig.client('p1');
    const [request] = client.outgoing.splice(0);
    expect(request!.length).toBe(1053);
    rig.server.receive('p1', request!, 0);
    const challenge = rig.server.outgoing.splice(0);
    expect(challenge.map(({ peer, datagram }) => [peer, datagram[0], datagram.length])).toEqual([
      ['p1', PacketType.Challenge, 689],
    ]);
    expect(rig.server.sessionCount).toBe(0);
    expect(rig.server.events).toEqual([]);
    client.receive(challenge[0]!.datagram, 1);
    const [response] = client.outgoing.splice(0);
    expect(response!.length).toBe(665);
    rig.server.receive('p1', response!, 2);
    const accepted = rig.server.outgoing.splice(0);
    expect(accepted.map(({ datagram }) => rig.opener('p1')(datagram))).toEqual([
      { type: PacketType.Accepted, payload: [] },
    ]);
    expect(rig.server.sessionCount).toBe(1);
    expect(rig.server.events).toEqual([
      {
        type: 'connected',
        session: 'p1',
        clientId: 'p1',
        userData: Uint8Array.of(1, 2, 3),
        world: 'arena/1',
      },
    ]);
    client.receive(accepted[0]!.datagram, 3);
    expect(client.state).toBe('connected');
    expect(client.events).toEqual([{ type: 'connected' }]);
  });

  it('over a stream: the request is answered with a one-byte Accepted at once', () => {
    const rig = new Rig(WS);
    const client = rig.client('p1');
    rig.server.receive('p1', client.outgoing.splice(0)[0]!, 0);
    expect(rig.server.outgoing.map(({ datagram }) => Array.from(datagram))).toEqual([[PacketType.Accepted]]);
    expect(rig.server.events.map((event) => event.type)).toEqual(['connected']);
  });

  it('logs each handshake datagram in and out, by type and size', () => {
    const rig = new Rig(UDP);
    rig.connected('p1');
    expect(rig.serverLog.map(({ direction, peer, type, bytes }) => [direction, peer, type, bytes])).toEqual([
      ['in', 'p1', 'Request', 1053],
      ['out', 'p1', 'Challenge', 689],
      ['in', 'p1', 'Response', 665],
      ['out', 'p1', 'Accepted', 25],
    ]);
  });

  it('over UDP says Accepted again when a connected client repeats its request or response', () => {
    const rig = new Rig(UDP);
    const client = rig.client('p1');
    const [request] = client.outgoing.splice(0);
    rig.server.receive('p1', request!, 0);
    client.receive(rig.server.outgoing.splice(0)[0]!.datagram, 0);
    const [response] = client.outgoing.splice(0);
    rig.server.receive('p1', response!, 0);
    rig.flush();
    expect(client.state).toBe('connected');
    const open = rig.opener('p1');
    open(rig.server.outgoing.splice(0)[0]?.datagram ?? new Uint8Array(0));
    rig.server.receive('p1', request!, 10);
    rig.server.receive('p1', response!, 10);
    const again = rig.server.outgoing.splice(0);
    expect(again.map(({ datagram }) => open(datagram))).toEqual([
      { type: PacketType.Accepted, payload: [] },
      { type: PacketType.Accepted, payload: [] },
    ]);
    expect(rig.server.events.map((event) => event.type)).toEqual(['connected']);
  });

  it('over UDP answers nothing to a short Request or Response from a connected peer address (no amplification)', () => {
    const rig = new Rig(UDP);
    rig.connected('p1');
    for (const datagram of [
      Uint8Array.of(PacketType.Request),
      Uint8Array.of(PacketType.Response),
      new Uint8Array(1052).fill(PacketType.Request),
      new Uint8Array(1054).fill(PacketType.Request),
      new Uint8Array(664).fill(PacketType.Response),
      new Uint8Array(666).fill(PacketType.Response),
    ]) {
      rig.server.receive('p1', datagram, 10);
      expect(rig.server.outgoing).toEqual([]);
    }
    expect(rig.server.sessionCount).toBe(1);
  });

  it('over a stream ignores a repeated request from a connected peer', () => {
    const rig = new Rig(WS);
    const client = rig.client('p1');
    const request = client.outgoing[0]!;
    rig.flush();
    rig.server.receive('p1', request, 10);
    expect(rig.server.outgoing).toEqual([]);
    expect(rig.server.sessionCount).toBe(1);
  });
});

describe('admission', () => {
  it('refuses a client over capacity with server-full, and one already connected with already-connected', () => {
    const rig = new Rig(WS, 1);
    rig.connected('p1', 'alice');
    const bob = rig.client('p2', 'bob');
    rig.flush();
    expect(bob.disconnectReason).toBe('server-full');
    expect(rig.serverLog.filter((entry) => entry.type === 'Denied')).toHaveLength(1);

    const roomy = new Rig(WS, 2);
    roomy.connected('p1', 'alice');
    const twin = roomy.client('p2', 'alice');
    roomy.server.receive('p2', twin.outgoing.splice(0)[0]!, 0);
    expect(roomy.server.outgoing.map(({ peer, datagram }) => [peer, ...datagram])).toEqual([
      ['p2', PacketType.Denied, 12],
    ]);
  });

  it('admits exactly maxClients, and a client again once it left', () => {
    const rig = new Rig(WS, 2);
    const alice = rig.connected('p1', 'alice');
    rig.connected('p2', 'bob');
    expect(rig.server.sessionCount).toBe(2);
    alice.disconnect();
    rig.flush();
    expect(rig.server.sessionCount).toBe(1);
    expect(rig.connected('p3', 'alice').state).toBe('connected');
  });
});

describe('leaving', () => {
  it.each([
    ['UDP', UDP, DISCONNECT_REDUNDANCY],
    ['a stream', WS, 1],
  ] as const)(
    'over %s a client leaving sends %i Disconnect, and the server answers nothing',
    (_name, capabilities, copies) => {
      expect(DISCONNECT_REDUNDANCY).toBe(3);
      const rig = new Rig(capabilities);
      const client = rig.connected('p1', 'alice');
      client.disconnect();
      expect(client.outgoing).toHaveLength(copies);
      expect(client.events.at(-1)).toEqual({ type: 'disconnected', reason: 'closed-by-client' });
      rig.flush();
      expect(rig.server.events.at(-1)).toEqual({
        type: 'disconnected',
        session: 'p1',
        clientId: 'alice',
        reason: 'closed-by-client',
      });
      expect(rig.server.outgoing).toEqual([]);
      expect(rig.server.sessionCount).toBe(0);
    },
  );

  it('a Disconnect must carry exactly one byte; whatever code, the server records closed-by-client', () => {
    const rig = new Rig(WS);
    rig.connected('p1');
    rig.server.receive('p1', Uint8Array.of(PacketType.Disconnect), 1);
    rig.server.receive('p1', Uint8Array.of(PacketType.Disconnect, 4, 0), 1);
    expect(rig.server.sessionCount).toBe(1);
    rig.server.receive('p1', Uint8Array.of(PacketType.Disconnect, 4), 1);
    expect(rig.server.sessionCount).toBe(0);
    expect((rig.server.events.at(-1) as Extract<ServerEvent, { type: 'disconnected' }>).reason).toBe(
      'closed-by-client',
    );
  });

  it.each([
    ['UDP', UDP, 3],
    ['a stream', WS, 1],
  ] as const)(
    'over %s the server ending a session tells the client %i times, with the reason code',
    (_name, capabilities, copies) => {
      const rig = new Rig(capabilities);
      const client = rig.connected('p1', 'alice');
      rig.server.disconnect('p1', 'kicked');
      const sent = rig.server.outgoing.splice(0);
      expect(sent).toHaveLength(copies);
      if (capabilities === WS) expect(Array.from(sent[0]!.datagram)).toEqual([PacketType.Disconnect, 4]);
      else {
        const open = rig.opener('p1');
        open(rig.sealAs('p1', PacketType.Data, 0, new Uint8Array(0))); // not from the server: refused
        const opened = sent.map(({ datagram }) => open(datagram));
        expect(opened.slice(1)).toEqual(
          Array(copies - 1).fill({ type: PacketType.Disconnect, payload: [4] }),
        );
      }
      expect(rig.server.events.at(-1)).toEqual({
        type: 'disconnected',
        session: 'p1',
        clientId: 'alice',
        reason: 'kicked',
      });
      for (const { datagram } of sent) client.receive(datagram, 1);
      expect(client.events.at(-1)).toEqual({ type: 'disconnected', reason: 'kicked' });
      rig.server.disconnect('p1', 'kicked'); // no session any more: nothing
      expect(rig.server.outgoing).toEqual([]);
    },
  );

  it('times out a silent client after its token timeout, telling it why', () => {
    const rig = new Rig(WS);
    rig.connected('p1', 'alice', 1_000);
    rig.server.update(500);
    expect(rig.server.sessionCount).toBe(1);
    for (let t = 500; t <= 1_100 && rig.server.sessionCount > 0; t += 10) rig.server.update(t);
    expect(rig.server.events.at(-1)).toEqual({
      type: 'disconnected',
      session: 'p1',
      clientId: 'alice',
      reason: 'timeout',
    });
    expect(Array.from(rig.server.outgoing.at(-1)!.datagram)).toEqual([PacketType.Disconnect, 3]);
  });
});

describe('sessions over UDP: what arrives protected', () => {
  it('delivers a Data packet and schedules the ack at once', () => {
    const rig = new Rig(UDP);
    const client = rig.connected('p1');
    settle(rig);
    expect(rig.server.nextUpdateAtMs()).toBeGreaterThan(rig.nowMs);
    client.send(0, Uint8Array.of(42), rig.nowMs);
    client.update(rig.nowMs);
    rig.flush();
    expect(rig.server.events.at(-1)).toEqual({
      type: 'message',
      session: 'p1',
      channel: 0,
      bytes: Uint8Array.of(42),
    });
    expect(rig.server.nextUpdateAtMs()).toBe(Number.NEGATIVE_INFINITY);
  });

  it('drops and counts replayed and tampered packets, and does not log them', () => {
    const rig = new Rig(UDP);
    const client = rig.connected('p1');
    client.send(0, Uint8Array.of(42), 1);
    client.update(1);
    const [packet] = client.outgoing.splice(0);
    rig.server.receive('p1', packet!, 1);
    const logged = rig.serverLog.length;
    rig.server.receive('p1', packet!, 2);
    const tampered = packet!.slice();
    tampered[tampered.length - 1]! ^= 1;
    tampered[1]! += 1; // a sequence not seen yet
    rig.server.receive('p1', tampered, 2);
    expect(rig.server.events.filter((event) => event.type === 'message')).toHaveLength(1);
    expect(rig.server.stats('p1', 2)).toMatchObject({ tampered: 1, replayed: 1 });
    expect(rig.serverLog.length).toBe(logged);
  });
});

describe('sessions over a stream', () => {
  it('a Data packet does not make the session due (acks ride on packets sent anyway)', () => {
    const rig = new Rig(WS);
    const client = rig.connected('p1');
    settle(rig);
    const next = rig.server.nextUpdateAtMs();
    expect(next).toBeGreaterThan(rig.nowMs);
    client.send(0, Uint8Array.of(42), rig.nowMs);
    client.update(rig.nowMs);
    rig.flush();
    expect(rig.server.events.at(-1)).toMatchObject({ type: 'message', bytes: Uint8Array.of(42) });
    expect(rig.server.nextUpdateAtMs()).toBe(next);
    expect(rig.server.stats('p1', 1)).toMatchObject({ tampered: 0, replayed: 0 });
  });
});

describe('calls naming a session that does not exist', () => {
  it('send, rttMs and stats refuse with VALUE_INVALID', () => {
    const rig = new Rig(WS);
    expectCode('VALUE_INVALID', () => rig.server.send('nobody', 0, Uint8Array.of(1), 0));
    expectCode('VALUE_INVALID', () => rig.server.rttMs('nobody'));
    expectCode('VALUE_INVALID', () => rig.server.stats('nobody', 0));
    expect(rig.server.handle('nobody')).toBeUndefined();
  });

  it('sendTo refuses an ended session handle, and one from other connections', () => {
    const rig = new Rig(WS);
    rig.connected('p1');
    const handle = rig.server.handle('p1')!;
    expect(handle).toMatchObject({ peer: 'p1', owner: rig.server, dropped: false });
    expect(rig.server.sendTo(handle, 0, Uint8Array.of(1), 0)).toBe(false);
    const other = new Rig(WS);
    expectCode('VALUE_INVALID', () => other.server.sendTo(handle, 0, Uint8Array.of(1), 0));
    rig.server.disconnect('p1', 'kicked');
    expect(handle.dropped).toBe(true);
    expectCode('VALUE_INVALID', () => rig.server.sendTo(handle, 0, Uint8Array.of(1), 0));
  });
});

describe('packet budget and keepalive tuning', () => {
  it('the budget is the smaller of 1200 bytes and the transport limit, less the wrapping', () => {
    expect(packetBudget(UDP, true)).toBe(1200 - 25);
    expect(packetBudget({ ...UDP, maxDatagramBytes: 500 }, true)).toBe(475);
    expect(packetBudget(WS, false)).toBe(1199);
    expect(packetBudget({ ...WS, maxDatagramBytes: 100 }, false)).toBe(99);
  });

  it('keepalives: 250 ms on datagrams, 2.5 s on streams, at most a quarter of the timeout; a game may override', () => {
    expect(STREAM_KEEPALIVE_MS).toBe(2_500);
    expect(endpointTuning(undefined, true, 10_000)).toEqual({ keepaliveMs: 250 });
    expect(endpointTuning(undefined, false, 10_000)).toEqual({ keepaliveMs: 2_500 });
    expect(endpointTuning(undefined, true, 800)).toEqual({ keepaliveMs: 200 });
    expect(endpointTuning(undefined, false, 4_000)).toEqual({ keepaliveMs: 1_000 });
    expect(endpointTuning({ keepaliveMs: 50 }, false, 4_000)).toEqual({ keepaliveMs: 50 });
  });
});

describe('updating sessions', () => {
  it('a new session is due at once', () => {
    for (const capabilities of [UDP, WS]) {
      const rig = new Rig(capabilities);
      rig.connected('p1');
      expect(rig.server.nextUpdateAtMs()).toBe(Number.NEGATIVE_INFINITY);
    }
  });

  it('over UDP a session with packets not yet acknowledged stays due at every update', () => {
    const rig = new Rig(UDP);
    rig.connected('p1');
    rig.server.update(0);
    expect(rig.server.outgoing.length).toBeGreaterThan(0);
    for (const t of [8, 16, 24]) {
      rig.server.update(t);
      expect(rig.server.nextUpdateAtMs()).toBe(Number.NEGATIVE_INFINITY);
    }
  });

  it('update with a session named updates that session only', () => {
    const rig = new Rig(WS);
    rig.connected('p1');
    rig.connected('p2');
    rig.server.outgoing.length = 0;
    rig.server.send('p1', 0, Uint8Array.of(1), 5);
    rig.server.send('p2', 0, Uint8Array.of(2), 5);
    rig.server.update(5, 'p2');
    expect(rig.server.outgoing.map(({ peer }) => peer)).toEqual(['p2']);
    rig.server.update(5, 'nobody');
    expect(rig.server.outgoing).toHaveLength(1);
    rig.server.update(5);
    expect(rig.server.outgoing.map(({ peer }) => peer)).toEqual(['p2', 'p1']);
  });
});

describe('the server packet log', () => {
  it('logs an empty datagram from an unknown peer as unknown(-1)', () => {
    const rig = new Rig(UDP);
    rig.server.receive('stranger', new Uint8Array(0), 4);
    expect(rig.serverLog).toEqual([
      { atMs: 4, direction: 'in', peer: 'stranger', type: 'unknown(-1)', bytes: 0 },
    ]);
    expect(rig.server.outgoing).toEqual([]);
  });

  it('logs Data packets both ways with their entries, and Message packets out', () => {
    const rig = new Rig(WS);
    const client = rig.connected('p1');
    client.send(0, Uint8Array.of(1, 2, 3), 5);
    client.update(5);
    rig.nowMs = 5;
    rig.flush();
    rig.server.send('p1', 0, Uint8Array.of(9), 6);
    rig.server.update(6);
    rig.server.send('p1', 1, Uint8Array.of(8, 8), 7, 'unreliable-no-delay');
    expect(rig.serverLog.slice(2)).toEqual([
      {
        atMs: 5,
        direction: 'in',
        peer: 'p1',
        type: 'Data',
        bytes: 17,
        sequence: 0,
        ack: 0,
        ackBits: 0,
        entries: [{ kind: 'Reliable', channel: 0, id: 0, bytes: 3 }],
      },
      {
        atMs: 6,
        direction: 'out',
        peer: 'p1',
        type: 'Data',
        bytes: 17,
        sequence: 0,
        ack: 0,
        ackBits: 1,
        heldMs: 1,
        entries: [{ kind: 'Reliable', channel: 0, id: 0, bytes: 1 }],
      },
      { atMs: 7, direction: 'out', peer: 'p1', type: 'Message', bytes: 4 },
    ]);
    expect(rig.server.outgoing.at(-1)!.datagram).toEqual(Uint8Array.of(PacketType.Message, 1, 8, 8));
  });
});

describe('sendToEach', () => {
  it('hands a session that refuses (a ShardlineError) to refused, but lets any other error through', () => {
    const rig = new Rig(WS);
    rig.connected('p1');
    const ghost = { peer: 'ghost', owner: rig.server, dropped: false };
    const refused: string[] = [];
    expect(() =>
      rig.server.sendToEach([ghost], 0, Uint8Array.of(1), 0, undefined, (peer) => refused.push(peer)),
    ).toThrow(TypeError);
    expect(refused).toEqual([]);
  });
});

describe('Message packets are counted at their size on the wire (type and channel included)', () => {
  /** A stream rig whose server has just sent p1 a packet with a header (so messages may go alone). */
  function messageReady() {
    const rig = new Rig(WS);
    const client = rig.connected('p1');
    rig.server.send('p1', 0, Uint8Array.of(1), 1);
    rig.server.update(1);
    rig.nowMs = 1;
    rig.flush();
    return { rig, client };
  }

  it('by send, and by the client that takes it', () => {
    const { rig, client } = messageReady();
    const before = rig.server.stats('p1', 2);
    const clientBefore = client.stats(2)!;
    rig.server.send('p1', 1, new Uint8Array(100), 2, 'unreliable-no-delay');
    const [sent] = rig.server.outgoing.splice(0);
    expect(sent!.datagram.length).toBe(102);
    const after = rig.server.stats('p1', 2);
    expect(after.bytesOutPerSecond - before.bytesOutPerSecond).toBe(102);
    expect(after.packetsOutPerSecond - before.packetsOutPerSecond).toBe(1);
    client.receive(sent!.datagram, 2);
    expect(client.stats(2)!.bytesInPerSecond - clientBefore.bytesInPerSecond).toBe(102);
    expect(client.events.at(-1)).toEqual({ type: 'message', channel: 1, bytes: new Uint8Array(100) });
  });

  it('by sendToEach', () => {
    const { rig } = messageReady();
    const before = rig.server.stats('p1', 2);
    rig.server.sendToEach(
      [rig.server.handle('p1')!],
      1,
      new Uint8Array(100),
      2,
      'unreliable-no-delay',
      () => {
        throw new Error('refused');
      },
    );
    expect(rig.server.outgoing.map(({ datagram }) => datagram.length)).toEqual([102]);
    expect(rig.server.stats('p1', 2).bytesOutPerSecond - before.bytesOutPerSecond).toBe(102);
  });
});

describe('what the server reports', () => {
  it('handshake counters: requests, challenges, accepted, ignored and refusals by reason', () => {
    const rig = new Rig(UDP, 1);
    rig.connected('p1', 'alice');
    rig.client('p2', 'bob');
    rig.flush();
    rig.server.receive('p3', Uint8Array.of(PacketType.Data), 0);
    expect(rig.server.handshakeCounters).toEqual({
      requests: 2,
      challenges: 2,
      accepted: 1,
      ignored: 1,
      denied: { 'server-full': 1 },
    });
  });

  it('rttMs is the session smoothed round trip, as stats has it', () => {
    const rig = new Rig(WS);
    rig.connected('p1');
    for (let t = 10; t <= 100; t += 10) {
      rig.at(t);
      rig.flush();
    }
    expect(rig.server.rttMs('p1')).toBe(rig.server.stats('p1', 100).rttMs);
    expect(typeof rig.server.rttMs('p1')).toBe('number');
  });
});

describe('no-delay sends and Message packets', () => {
  it('over UDP a no-delay message never leaves as a Message packet: it is queued for an update at once', () => {
    const rig = new Rig(UDP);
    rig.connected('p1');
    rig.server.outgoing.length = 0;
    expect(rig.server.send('p1', 1, Uint8Array.of(5), 1, 'unreliable-no-delay')).toBe(true);
    expect(rig.server.outgoing).toEqual([]);
    expect(rig.server.nextUpdateAtMs()).toBe(Number.NEGATIVE_INFINITY);
    rig.server.sendToEach(
      [rig.server.handle('p1')!],
      1,
      Uint8Array.of(6),
      1,
      'unreliable-no-delay',
      () => {},
    );
    rig.server.update(1);
    expect(rig.server.outgoing.length).toBeGreaterThan(0);
    expect(rig.server.outgoing.every(({ datagram }) => datagram[0] === PacketType.Data)).toBe(true);
  });

  it('over a stream with no header sent for half a keepalive, a no-delay message leaves at once in a Data packet', () => {
    const rig = new Rig(WS);
    rig.connected('p1');
    rig.server.update(0);
    rig.server.outgoing.length = 0;
    expect(rig.server.send('p1', 1, Uint8Array.of(5), 1_300, 'unreliable-no-delay')).toBe(false);
    expect(rig.server.outgoing.map(({ datagram }) => datagram[0])).toEqual([PacketType.Data]);
    expect(rig.serverLog.at(-1)).toMatchObject({ direction: 'out', type: 'Data', atMs: 1_300 });
  });

  it('over a stream, sendToEach without no-delay queues the message rather than send a Message packet', () => {
    const rig = new Rig(WS);
    rig.connected('p1');
    rig.server.send('p1', 0, Uint8Array.of(1), 1);
    rig.server.update(1);
    rig.server.outgoing.length = 0;
    rig.server.sendToEach([rig.server.handle('p1')!], 1, Uint8Array.of(6), 2, undefined, () => {});
    expect(rig.server.outgoing).toEqual([]);
    rig.server.send('p1', 1, Uint8Array.of(7), 2);
    expect(rig.server.outgoing).toEqual([]);
  });
});
