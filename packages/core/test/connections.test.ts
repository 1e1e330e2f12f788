import * as nodeCrypto from 'node:crypto';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  ClientConnection,
  issueConnectToken,
  LinkConditioner,
  type LinkSettings,
  PacketType,
  SCHEDULE_GRANULARITY_MS,
  type Scheduled,
  ServerConnections,
  type TransportCapabilities,
  UpdateSchedule,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const aead = aeadFromNodeCrypto(nodeCrypto);
const privateKey = new Uint8Array(32).fill(7);
const protocolId = 99;
const ADDRESS = 'udp://127.0.0.1:40000';
const channels: ChannelConfig[] = [{ kind: 'reliable-ordered' }, { kind: 'unreliable' }];
const UDP: TransportCapabilities = { kind: 'udp', reliable: false, ordered: false, maxDatagramBytes: 1200 };
const WS: TransportCapabilities = {
  kind: 'websocket',
  reliable: true,
  ordered: true,
  maxDatagramBytes: 1 << 20,
};

function tokenFor(clientId: string, nowMs = 0, timeoutMs = 5_000) {
  return issueConnectToken(
    { clientId, serverAddresses: [ADDRESS], expiresInMs: 60_000, timeoutMs },
    { protocolId, privateKey, aead },
    nowMs,
  );
}

/** One server and clients over conditioned links, on a simulated clock. */
class World {
  nowMs = 0;
  server: ServerConnections;
  private readonly clients = new Map<
    string,
    { connection: ClientConnection; up: LinkConditioner; down: LinkConditioner }
  >();

  constructor(
    private readonly capabilities: TransportCapabilities,
    private readonly settings: LinkSettings,
    maxClients = 8,
    private readonly channelConfigs: readonly ChannelConfig[] = channels,
  ) {
    this.server = new ServerConnections({
      protocolId,
      privateKey,
      aead,
      addresses: [ADDRESS],
      capabilities,
      channels: channelConfigs,
      maxClients,
    });
  }

  connect(peer: string, token = tokenFor(peer, this.nowMs)): ClientConnection {
    const connection = new ClientConnection(
      { token, aead, capabilities: this.capabilities, channels: this.channelConfigs },
      this.nowMs,
    );
    const seed = this.clients.size * 2 + 1;
    this.clients.set(peer, {
      connection,
      up: new LinkConditioner(this.settings, seed),
      down: new LinkConditioner(this.settings, seed + 1),
    });
    return connection;
  }

  step(ms = 10): void {
    this.nowMs += ms;
    this.server.update(this.nowMs);
    for (const { peer, datagram } of this.server.outgoing.splice(0))
      this.clients.get(peer)?.down.send(datagram, this.nowMs);
    for (const [peer, { connection, up, down }] of this.clients) {
      connection.update(this.nowMs);
      for (const datagram of connection.outgoing.splice(0)) up.send(datagram, this.nowMs);
      for (const datagram of up.receive(this.nowMs)) this.server.receive(peer, datagram, this.nowMs);
      for (const datagram of down.receive(this.nowMs)) connection.receive(datagram, this.nowMs);
    }
  }

  run(until: () => boolean, limitMs = 30_000): void {
    const start = this.nowMs;
    while (!until() && this.nowMs - start < limitMs) this.step();
  }
}

describe.each([
  [
    'udp (challenge, encryption) at 150 ms, 20% loss, duplicates, reordering',
    UDP,
    { latencyMs: 150, jitterMs: 50, lossPercent: 20, duplicatePercent: 20, reorderPercent: 10 },
  ],
  ['websocket (token in the first message)', WS, { latencyMs: 20 }],
] as const)('connections over %s', (_name, capabilities, settings) => {
  it('connect, exchange reliable messages both ways, and disconnect with a reason', () => {
    const world = new World(capabilities, settings);
    const alice = world.connect('alice');
    world.run(() => alice.state === 'connected');
    expect(alice.state).toBe('connected');
    const connected = world.server.events.find((e) => e.type === 'connected');
    expect(connected).toMatchObject({ type: 'connected', session: 'alice', clientId: 'alice' });

    for (let i = 0; i < 50; i++) {
      alice.send(0, Uint8Array.of(i), world.nowMs);
      world.server.send('alice', 0, Uint8Array.of(100 + i), world.nowMs);
    }
    const serverGot = () => world.server.events.filter((e) => e.type === 'message');
    const aliceGot = () => alice.events.filter((e) => e.type === 'message');
    world.run(() => serverGot().length === 50 && aliceGot().length === 50);
    expect(serverGot().map((e) => (e.type === 'message' ? e.bytes[0] : -1))).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    expect(aliceGot().map((e) => (e.type === 'message' ? e.bytes[0] : -1))).toEqual(
      Array.from({ length: 50 }, (_, i) => 100 + i),
    );

    // An unreliable send over a reliable transport cannot be dropped: stats say so.
    alice.send(1, Uint8Array.of(1), world.nowMs);
    expect(alice.stats(world.nowMs)!.degradedSends).toBe(capabilities.reliable ? 1 : 0);

    world.server.disconnect('alice', 'kicked');
    world.run(() => alice.state === 'disconnected');
    expect(alice.disconnectReason).toBe('kicked');
    expect(world.server.sessionCount).toBe(0);
  });

  it('sends a no-delay message at once: over a stream without an update, over UDP with one', () => {
    const world = new World(capabilities, settings);
    const alice = world.connect('alice');
    world.run(() => alice.state === 'connected');
    world.server.outgoing.length = 0;
    const needsUpdate = world.server.send('alice', 1, Uint8Array.of(42), world.nowMs, 'unreliable-no-delay');
    expect(needsUpdate).toBe(!capabilities.reliable);
    expect(world.server.outgoing.length).toBe(capabilities.reliable ? 1 : 0);
    if (needsUpdate) world.server.update(world.nowMs, 'alice');
    expect(world.server.outgoing.length).toBe(1);
    if (!capabilities.reliable) return; // an unreliable message over lossy UDP may not arrive
    const got = () => alice.events.filter((e) => e.type === 'message' && e.bytes[0] === 42);
    world.run(() => got().length === 1);
    expect(got().length).toBe(1);
  });

  it('refuses a second connection of the same client and a client over capacity', () => {
    const world = new World(capabilities, settings, 1);
    const first = world.connect('first');
    world.run(() => first.state === 'connected');
    const twin = world.connect('twin', tokenFor('first', world.nowMs));
    world.run(() => twin.state === 'disconnected');
    expect(twin.disconnectReason).toBe('already-connected');
    const late = world.connect('late');
    world.run(() => late.state === 'disconnected');
    expect(late.disconnectReason).toBe('server-full');
  });

  it('times out a silent client on the server, and the server on a client', () => {
    const world = new World(capabilities, { ...settings, lossPercent: 0 });
    const quiet = world.connect('quiet', tokenFor('quiet', 0, 1_000));
    world.run(() => quiet.state === 'connected');
    quiet.disconnect = () => {}; // stays silent from here on
    (quiet as unknown as { update: () => void }).update = () => {};
    world.run(() => world.server.sessionCount === 0, 5_000);
    expect(world.server.events.at(-1)).toMatchObject({ type: 'disconnected', reason: 'timeout' });
  });

  it('keeps an idle connection alive: pings every 250 ms on datagrams, every 2.5 s on streams', () => {
    const world = new World(capabilities, { latencyMs: 20 });
    const idle = world.connect('idle');
    world.run(() => idle.state === 'connected');
    world.run(() => false, 500); // settle
    const packetsBefore = world.server.stats('idle', world.nowMs).packetsReceived;
    world.run(() => false, 10_000);
    const keepalives = world.server.stats('idle', world.nowMs).packetsReceived - packetsBefore;
    if (capabilities.reliable) {
      // Streams: every 2.5 s, but at most a quarter of the token's 5 s timeout: one per 1.25 s,
      // acknowledging the server's with its held time.
      expect(keepalives).toBeGreaterThanOrEqual(7);
      expect(keepalives).toBeLessThanOrEqual(9);
      for (const stats of [world.server.stats('idle', world.nowMs), idle.stats(world.nowMs)!]) {
        expect(stats.rttMs).toBeGreaterThanOrEqual(40); // 2 × 20 ms
        expect(stats.rttMs).toBeLessThan(70);
      }
    } else {
      // Datagrams: about 40 in 10 s at 250 ms (each side's pings are answered by the other's).
      expect(keepalives).toBeGreaterThanOrEqual(35);
    }
    expect(idle.state).toBe('connected');
  });

  it('sends keepalives every 2.5 s on streams, every 250 ms on datagrams, with the default 10 s timeout', () => {
    const world = new World(capabilities, { latencyMs: 20 });
    const idle = world.connect('default', tokenFor('default', 0, 10_000));
    world.run(() => idle.state === 'connected');
    world.run(() => false, 500);
    const packetsBefore = world.server.stats('default', world.nowMs).packetsReceived;
    world.run(() => false, 10_000);
    const keepalives = world.server.stats('default', world.nowMs).packetsReceived - packetsBefore;
    if (capabilities.reliable) expect([3, 4, 5]).toContain(keepalives);
    else expect(keepalives).toBeGreaterThanOrEqual(35);
    expect(idle.state).toBe('connected');
  });

  it('keeps a 1 s-timeout connection alive while idle: keepalives come at least four times per timeout', () => {
    const world = new World(capabilities, { latencyMs: 20 });
    const idle = world.connect('brief', tokenFor('brief', 0, 1_000));
    world.run(() => idle.state === 'connected');
    world.run(() => false, 3_000);
    expect(idle.state).toBe('connected');
    expect(world.server.sessionCount).toBe(1);
  });

  it('tells the server when a client leaves', () => {
    const world = new World(capabilities, settings);
    const leaver = world.connect('leaver');
    world.run(() => leaver.state === 'connected');
    leaver.disconnect();
    world.run(() => world.server.sessionCount === 0, 5_000);
    expect(world.server.events.at(-1)).toMatchObject({ type: 'disconnected', reason: 'closed-by-client' });
  });
});

describe('Message packets over a stream', () => {
  const SNAPSHOTS = 1;
  const PINGS = 2;
  const streamChannels: ChannelConfig[] = [
    { kind: 'reliable-ordered' },
    { kind: 'unreliable-sequenced' },
    { kind: 'unreliable' },
  ];
  const peers = ['a', 'b', 'c'];
  const connected = () => {
    const world = new World(WS, { latencyMs: 20 }, 8, streamChannels);
    const clients = peers.map((peer) => world.connect(peer));
    world.run(() => clients.every((client) => client.state === 'connected'));
    return { world, clients };
  };
  const messagesOn = (client: ClientConnection, channel: number) =>
    client.events.flatMap((e) => (e.type === 'message' && e.channel === channel ? [[...e.bytes]] : []));

  it('carry no-delay messages whole and in order, one packet for every client, with a header at least every half keepalive', () => {
    const { world, clients } = connected();
    let messagePackets = 0;
    let dataPackets = 0;
    for (let tick = 0; tick < 40; tick++) {
      world.server.outgoing.length = 0;
      const snapshot = Uint8Array.of(tick, 1, 2, 3);
      for (const peer of peers)
        world.server.send(peer, SNAPSHOTS, snapshot, world.nowMs, 'unreliable-no-delay');
      const sent = world.server.outgoing.map((out) => out.datagram);
      const shared = sent.filter((datagram) => datagram[0] === PacketType.Message);
      messagePackets += shared.length;
      dataPackets += sent.length - shared.length;
      expect(new Set(shared).size).toBeLessThanOrEqual(1); // the same array for every client
      for (let i = 0; i < 5; i++) world.step(10); // 50 ms ticks
    }
    world.run(() => false, 200);
    for (const client of clients) {
      expect(messagesOn(client, SNAPSHOTS)).toEqual(Array.from({ length: 40 }, (_, tick) => [tick, 1, 2, 3]));
    }
    // 2 s of 50 ms ticks with a 1.25 s keepalive (a quarter of the tokens' 5 s timeout): a header
    // (acks, held time) to each client on the first tick 625 ms or more after its last one, so at
    // least three; the rest are Message packets.
    expect(dataPackets).toBeGreaterThanOrEqual(peers.length * 3);
    expect(messagePackets).toBeGreaterThanOrEqual(peers.length * 30);
    for (const [i, peer] of peers.entries()) {
      expect(world.server.stats(peer, world.nowMs).rttMs).toBeGreaterThanOrEqual(40); // 2 × 20 ms
      expect(clients[i]!.stats(world.nowMs)!.rttMs).toBeGreaterThanOrEqual(40);
    }
  });

  it('carry what a reused array holds when it is sent, not what it held for the last client', () => {
    const { world, clients } = connected();
    const scratch = new Uint8Array(3);
    for (const [i, peer] of peers.entries()) {
      scratch.fill(i + 1);
      world.server.send(peer, PINGS, scratch, world.nowMs, 'unreliable-no-delay');
    }
    world.run(() => clients.every((client) => messagesOn(client, PINGS).length === 1));
    expect(clients.map((client) => messagesOn(client, PINGS)[0])).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
    ]);
  });
});

describe('one message to many sessions (sendToEach)', () => {
  const SNAPSHOTS = 1;
  const streamChannels: ChannelConfig[] = [{ kind: 'reliable-ordered' }, { kind: 'unreliable-sequenced' }];
  const peers = ['a', 'b', 'c'];
  const connected = (capabilities: TransportCapabilities) => {
    const world = new World(capabilities, { latencyMs: 20 }, 8, streamChannels);
    const clients = peers.map((peer) => world.connect(peer));
    world.run(() => clients.every((client) => client.state === 'connected'));
    return { world, clients };
  };
  const snapshotsOf = (client: ClientConnection) =>
    client.events.flatMap((e) => (e.type === 'message' && e.channel === SNAPSHOTS ? [[...e.bytes]] : []));
  const noRefusal = (peer: string) => {
    throw new Error(`${peer} refused`);
  };

  it('reaches every session as send to each would, over streams and datagrams, skipping those that ended', () => {
    for (const capabilities of [WS, UDP]) {
      const { world, clients } = connected(capabilities);
      const handles = peers.map((peer) => world.server.handle(peer)!);
      expect(handles.map((handle) => handle.peer)).toEqual(peers);
      for (let tick = 0; tick < 20; tick++) {
        const snapshot = Uint8Array.of(tick, 9);
        world.server.sendToEach(handles, SNAPSHOTS, snapshot, world.nowMs, 'unreliable-no-delay', noRefusal);
        if (capabilities.reliable) {
          // Over a stream the copies that leave as Message packets are one array.
          const shared = world.server.outgoing.filter((out) => out.datagram[0] === PacketType.Message);
          expect(new Set(shared.map((out) => out.datagram)).size).toBeLessThanOrEqual(1);
        }
        for (let i = 0; i < 5; i++) world.step(10);
      }
      world.run(() => clients.every((client) => snapshotsOf(client).length === 20), 2_000);
      for (const client of clients) {
        expect(snapshotsOf(client)).toEqual(Array.from({ length: 20 }, (_, tick) => [tick, 9]));
      }
      // A reliable message through the handles, and a session that left: skipped, not an error.
      world.server.disconnect('b', 'kicked');
      expect(handles[1]!.dropped).toBe(true);
      world.server.sendToEach(handles, 0, Uint8Array.of(7), world.nowMs, 'reliable', noRefusal);
      world.run(() => false, 500);
      const reliableOn = (client: ClientConnection) =>
        client.events.filter((e) => e.type === 'message' && e.channel === 0).length;
      expect(clients.map(reliableOn)).toEqual([1, 0, 1]);
      expect(() => world.server.sendTo(handles[1]!, 0, Uint8Array.of(1), world.nowMs)).toThrow(
        /VALUE_INVALID/,
      );
    }
  });

  it('hands a session whose queue is full to `refused`, and the others still get the message', () => {
    const world = new World(WS, { latencyMs: 20 }, 8, streamChannels);
    world.server = new ServerConnections({
      protocolId,
      privateKey,
      aead,
      addresses: [ADDRESS],
      capabilities: WS,
      channels: streamChannels,
      maxClients: 8,
      endpoint: { maxQueuedBytes: 4_000 },
    });
    const clients = peers.map((peer) => world.connect(peer));
    world.run(() => clients.every((client) => client.state === 'connected'));
    const handles = peers.map((peer) => world.server.handle(peer)!);
    // b has 3,900 bytes queued (sent without an update): 200 more overflow its 4,000.
    for (let i = 0; i < 3; i++)
      world.server.send('b', SNAPSHOTS, new Uint8Array(1_300), world.nowMs, 'unreliable');
    const refused: string[] = [];
    world.server.outgoing.length = 0;
    world.server.sendToEach(
      handles,
      SNAPSHOTS,
      new Uint8Array(200).fill(5),
      world.nowMs,
      'unreliable-no-delay',
      (peer, error) => {
        expect(error.code).toBe('SEND_QUEUE_FULL');
        refused.push(peer);
      },
    );
    expect(refused).toEqual(['b']);
    expect(world.server.outgoing.map((out) => out.peer)).toEqual(['a', 'c']);
  });
});

describe('update schedule', () => {
  type Step =
    | { op: 'due'; item: number }
    | { op: 'at'; item: number; inMs: number }
    | { op: 'drop'; item: number }
    | { op: 'run'; advanceMs: number };
  const item = fc.nat({ max: 7 });
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant('due' as const), item }),
    fc.record({ op: fc.constant('at' as const), item, inMs: fc.integer({ min: 1, max: 60 }) }),
    fc.record({ op: fc.constant('drop' as const), item }),
    fc.record({ op: fc.constant('run' as const), advanceMs: fc.integer({ min: 0, max: 25 }) }),
  );

  it('runs marked items at the next run, scheduled ones once, never early and at most a bucket late, and says when it next has work', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const schedule = new UpdateSchedule<Scheduled & { id: number }>();
        const items = Array.from({ length: 8 }, (_, id) => ({
          id,
          dueNow: false,
          nextRunMs: Number.POSITIVE_INFINITY,
          dropped: false,
        }));
        // The model: what each item waits for (a run, a time, nothing).
        const waits: ({ kind: 'run' } | { kind: 'time'; atMs: number } | undefined)[] = items.map(
          () => undefined,
        );
        let nowMs = 1000;
        for (const s of steps) {
          if (s.op === 'due') {
            schedule.markDue(items[s.item]!);
            if (!items[s.item]!.dropped) waits[s.item] = { kind: 'run' };
          } else if (s.op === 'at') {
            schedule.schedule(items[s.item]!, nowMs + s.inMs);
            if (!items[s.item]!.dropped && waits[s.item]?.kind !== 'run')
              waits[s.item] = { kind: 'time', atMs: nowMs + s.inMs };
          } else if (s.op === 'drop') {
            items[s.item]!.dropped = true;
            waits[s.item] = undefined;
          } else {
            nowMs += s.advanceMs;
            const visited: number[] = [];
            schedule.run(nowMs, (visit) => visited.push(visit.id));
            const expected = waits.flatMap((wait, id) => {
              if (wait?.kind === 'run') return [id];
              const dueAtMs =
                wait && Math.ceil(wait.atMs / SCHEDULE_GRANULARITY_MS) * SCHEDULE_GRANULARITY_MS;
              return dueAtMs !== undefined && dueAtMs <= nowMs ? [id] : [];
            });
            expect(visited.sort((a, b) => a - b)).toEqual(expected);
            for (const id of expected) waits[id] = undefined;
          }
          // An edge that sleeps until nextRunAtMs never runs an item late.
          const earliest = Math.min(
            ...waits.map((wait) =>
              wait === undefined
                ? Number.POSITIVE_INFINITY
                : wait.kind === 'run'
                  ? Number.NEGATIVE_INFINITY
                  : Math.ceil(wait.atMs / SCHEDULE_GRANULARITY_MS) * SCHEDULE_GRANULARITY_MS,
            ),
          );
          expect(schedule.nextRunAtMs()).toBeLessThanOrEqual(earliest);
        }
      }),
      { numRuns: 500 },
    );
  });
});
