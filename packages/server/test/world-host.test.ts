import * as nodeCrypto from 'node:crypto';
import {
  ClientWorld,
  GameClient,
  WebSocketClientTransport,
  type WebSocketConstructor,
  WorldClient,
} from '@shardline/client';
import { UdpClientTransport } from '@shardline/client/node';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  ConditionedClientTransport,
  ConditionedServerTransport,
  defineEntity,
  GameServer,
  InputSender,
  type ServerTransport,
  ServerWorld,
  TimeSync,
  t,
  UdpServerTransport,
  WebSocketServerTransport,
  WorldHost,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const aead = aeadFromNodeCrypto(nodeCrypto);
const CONTROL = 0;
const SNAPSHOTS = 1;
const ACKS = 2;
const INPUT = 3;
const channels: ChannelConfig[] = [
  { kind: 'reliable-ordered' },
  { kind: 'unreliable-sequenced' },
  { kind: 'unreliable' },
  { kind: 'unreliable' },
  { kind: 'unreliable' },
];
const Ship = defineEntity('Ship', {
  x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
  hp: t.u8(),
  pilot: t.string({ maxBytes: 64 }),
});
const Steer = defineEntity('Steer', { x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }) });
const STATES = 4;
const Pose = defineEntity('Pose', { heading: t.angle({ bits: 10 }), crouched: t.bool() });

async function waitFor(condition: () => boolean, timeoutMs = 8_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A world of 50 drifting ships plus one per seat (hp 7, `pilot` = its seat), over lossy UDP by default. */
async function startWorld(
  graceMs = 30_000,
  transport: ServerTransport = new ConditionedServerTransport(new UdpServerTransport(), {
    latencyMs: 20,
    lossPercent: 10,
  }),
) {
  const game = new GameServer({
    protocolId: 7,
    privateKey: new Uint8Array(32).fill(3),
    aead,
    transports: [transport],
    channels,
  });
  const world = new ServerWorld({ schemas: [Ship], tickHz: 30, input: Steer }, Date.now());
  const host = new WorldHost({
    server: game,
    world,
    controlChannel: CONTROL,
    snapshotChannel: SNAPSHOTS,
    ackChannel: ACKS,
    inputChannel: INPUT,
    states: { channel: STATES, template: Pose },
    graceMs,
  });
  const [address] = await game.start();
  host.start();
  cleanups.push(
    () => game.stop(),
    () => host.stop(),
  );
  const drifting = Array.from({ length: 50 }, (_, i) => world.spawn(Ship, Ship.create({ x: i, hp: 100 })));
  const shipOf = new Map<string, number>();
  host.onJoin = (seat) =>
    shipOf.set(seat, world.spawn(Ship, Ship.create({ hp: 7, pilot: seat }), { owner: seat }));
  const left: string[] = [];
  host.onLeave = (seat, reason) => {
    left.push(`${seat} ${reason}`);
    world.despawn(shipOf.get(seat)!);
    shipOf.delete(seat);
  };
  world.onInput = (_seat, entity, input) => world.set(entity, { x: input.x as number });
  const rejected: string[] = [];
  host.onRejected = (_seat, error) => rejected.push(error.code);
  let moving = true;
  world.onTick = (tick) => {
    if (moving) for (const id of drifting) world.set(id, { x: (id * 7 + tick) % 500 });
  };
  return {
    game,
    world,
    host,
    address: address!,
    drifting,
    shipOf,
    left,
    rejected,
    stopMoving: () => (moving = false),
  };
}

type Started = Awaited<ReturnType<typeof startWorld>>;
let pilots = 0;

/** A client over UDP whose link can be cut (100% loss), with a 1 s inactivity timeout. */
async function join(
  started: Started,
  clientWorld = new ClientWorld({ schemas: [Ship] }),
  reconnectToken?: Uint8Array,
) {
  const transport = new ConditionedClientTransport(new UdpClientTransport(), {});
  const client = new GameClient({
    transport,
    token: started.game.issueToken({ clientId: `pilot-${++pilots}`, expiresInMs: 10_000, timeoutMs: 1_000 }),
    channels,
    aead,
  });
  const worldClient = new WorldClient({
    client,
    world: clientWorld,
    controlChannel: CONTROL,
    snapshotChannel: SNAPSHOTS,
    ackChannel: ACKS,
    states: { channel: STATES, template: Pose },
    ...(reconnectToken ? { reconnectToken } : {}),
  });
  const disconnects: string[] = [];
  client.onDisconnect = (reason) => disconnects.push(reason);
  await worldClient.connect(started.address);
  cleanups.push(() => client.disconnect());
  await waitFor(() => worldClient.seat !== undefined);
  return { client, transport, worldClient, clientWorld, disconnects };
}

/** A client and another watching it; `peerLeft` collects the watcher's "seat reason" notices. */
async function joinWatched(started: Started) {
  const subject = await join(started);
  const watcher = await join(started);
  const peerLeft: string[] = [];
  watcher.worldClient.onPeerLeft = (gone, reason) => peerLeft.push(`${gone} ${reason}`);
  return { subject, seat: subject.worldClient.seat!, watcher, peerLeft };
}

function myShip(clientWorld: ClientWorld, seat: string): number | undefined {
  const ships = clientWorld.replicas(Ship);
  return [...ships.ids()].find((id) => ships.get(id)!.state.pilot === seat);
}

function converged(world: ServerWorld, clientWorld: ClientWorld): boolean {
  return (
    clientWorld.tick >= world.tick - 1 &&
    [...clientWorld.snapshot.snapshots[0]!.codes].join() === [...world.snapshot.snapshots[0]!.codes].join()
  );
}

describe('a world hosted over UDP with 20 ms latency and 10% loss', () => {
  it('replicates to a client that converges, and takes its input for its own ship only', async () => {
    const started = await startWorld();
    const { client, worldClient, clientWorld } = await join(started);
    await waitFor(
      () => myShip(clientWorld, worldClient.seat!) !== undefined && clientWorld.replicas(Ship).size === 51,
    );
    const mine = myShip(clientWorld, worldClient.seat!)!;
    const steer = new InputSender(Steer);
    const steering = setInterval(() => {
      client.send(INPUT, steer.encode(mine, { x: 321 }), 'unreliable');
      client.send(INPUT, steer.encode(started.drifting[0]!, { x: 999 }), 'unreliable');
    }, 30);
    cleanups.push(() => clearInterval(steering));
    const shipsSeen = clientWorld.replicas(Ship);
    await waitFor(
      () => Math.abs((shipsSeen.get(mine)?.state.x ?? 0) - 321) < 0.01 && started.rejected.length > 0,
    );
    expect(new Set(started.rejected)).toEqual(new Set(['NOT_OWNER']));
    started.stopMoving();
    await waitFor(() => converged(started.world, clientWorld));
    expect(started.world.metrics().clients[worldClient.seat!]!.lastBaselineAgeTicks).toBeDefined();
  }, 15_000);

  it("relays each seat's published state template to the others as a proxy, and drops it when the seat is given up", async () => {
    const started = await startWorld(200);
    const alice = await join(started);
    const bob = await join(started);
    const publishing = setInterval(() => {
      alice.worldClient.publishState({ heading: 1, crouched: true }, Date.now());
      bob.worldClient.publishState({ heading: -1, crouched: false }, Date.now());
    }, 30);
    cleanups.push(() => clearInterval(publishing));
    const seatA = alice.worldClient.seat!;
    const seatB = bob.worldClient.seat!;
    await waitFor(
      () =>
        bob.worldClient.proxies!.get(seatA) !== undefined &&
        alice.worldClient.proxies!.get(seatB) !== undefined,
    );
    expect(bob.worldClient.proxies!.get(seatA)!.state.crouched).toBe(true);
    expect(bob.worldClient.proxies!.get(seatA)!.state.heading as number).toBeCloseTo(1, 2);
    expect(alice.worldClient.proxies!.get(seatB)!.state.crouched).toBe(false);
    expect(alice.worldClient.proxies!.seats).toEqual([seatB]); // never its own
    // Stamps are u32 milliseconds (wrapping): compare modulo 2^32.
    expect(((Date.now() >>> 0) - bob.worldClient.proxies!.get(seatA)!.timeMs) >>> 0).toBeLessThan(2_000);
    clearInterval(publishing);
    alice.transport.configure({ lossPercent: 100 });
    await waitFor(() => bob.worldClient.proxies!.get(seatA) === undefined);
    expect(started.rejected).toEqual([]);
  }, 15_000);

  it('keeps the seat of a client dropped for 5 s: it rejoins with its ship, ownership and world intact', async () => {
    const started = await startWorld(30_000);
    const { subject: first, seat, peerLeft } = await joinWatched(started);
    await waitFor(() => myShip(first.clientWorld, seat) !== undefined);
    const ship = myShip(first.clientWorld, seat)!;
    const token = first.worldClient.reconnectToken!;

    first.transport.configure({ lossPercent: 100 }); // the link goes dead both ways
    await waitFor(() => first.disconnects.includes('timeout'));
    await new Promise((resolve) => setTimeout(resolve, 5_000 - 1_000)); // 5 s since the link died
    expect(started.world.get(ship)?.hp).toBe(7); // the seat and its ship wait

    const again = await join(started, first.clientWorld, token);
    expect(again.worldClient.seat).toBe(seat);
    expect(again.worldClient.reconnectToken).not.toEqual(token);
    started.stopMoving();
    await waitFor(() => converged(started.world, again.clientWorld));
    expect(again.clientWorld.replicas(Ship).get(ship)?.state.pilot).toBe(seat);
    const steer = new InputSender(Steer);
    const steering = setInterval(
      () => again.client.send(INPUT, steer.encode(ship, { x: -42 }), 'unreliable'),
      30,
    );
    cleanups.push(() => clearInterval(steering));
    await waitFor(() => Math.abs((again.clientWorld.replicas(Ship).get(ship)?.state.x ?? 0) + 42) < 0.01);
    expect(started.rejected).toEqual([]);
    expect(started.left).toEqual([]);
    expect(peerLeft).toEqual([]);

    // A used token opens nothing: presenting it again gets a new seat.
    const stranger = await join(started, undefined, token);
    expect(stranger.worldClient.seat).not.toBe(seat);
  }, 20_000);

  it('gives the seat up after the grace period: the ship despawns and the other clients are told why', async () => {
    const started = await startWorld(300);
    const { subject: leaving, seat, watcher, peerLeft } = await joinWatched(started);
    await waitFor(() => myShip(watcher.clientWorld, seat) !== undefined);
    const ship = myShip(watcher.clientWorld, seat)!;
    leaving.transport.configure({ lossPercent: 100 });
    await waitFor(() => peerLeft.length > 0);
    expect(peerLeft).toEqual([`${seat} timeout`]);
    expect(started.left).toEqual([`${seat} timeout`]);
    await waitFor(() => watcher.clientWorld.replicas(Ship).get(ship) === undefined);
    const late = await join(started, undefined, leaving.worldClient.reconnectToken);
    expect(late.worldClient.seat).not.toBe(seat);
  }, 15_000);
});

describe('a world hosted over WebSocket', () => {
  it('counts each snapshot as acknowledged once sent: the client sends no acks, each delta is against the tick before', async () => {
    const started = await startWorld(30_000, new WebSocketServerTransport());
    const hostReceives = started.game.onMessage!;
    const channelsHeard = new Set<number>();
    let acksHeard = 0;
    started.game.onMessage = (session, channel, bytes) => {
      channelsHeard.add(channel);
      if (channel === ACKS && bytes.length === 4) acksHeard++; // what else comes there is clock pings
      hostReceives(session, channel, bytes);
    };
    const client = new GameClient({
      transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
      token: started.game.issueToken({ clientId: 'browser', expiresInMs: 10_000, timeoutMs: 5_000 }),
      channels,
    });
    const clientWorld = new ClientWorld({ schemas: [Ship] });
    const worldClient = new WorldClient({
      client,
      world: clientWorld,
      controlChannel: CONTROL,
      snapshotChannel: SNAPSHOTS,
      ackChannel: ACKS,
    });
    await worldClient.connect(started.address);
    cleanups.push(() => client.disconnect());
    await waitFor(() => clientWorld.replicas(Ship).size === 51 && clientWorld.tick > 30);
    const seat = worldClient.seat!;
    const metrics = started.world.metrics().clients[seat]!;
    expect(metrics.fullStates).toBe(1);
    expect(metrics.lastBaselineAgeTicks).toBe(1);
    expect(acksHeard).toBe(0);
    expect([...channelsHeard].sort()).toEqual([CONTROL, ACKS].sort());
    started.stopMoving();
    await waitFor(() => converged(started.world, clientWorld));
  }, 15_000);

  it('answers at most 20 clock pings a second per seat: a flood is ignored, not answered', async () => {
    const started = await startWorld(30_000, new WebSocketServerTransport());
    const client = new GameClient({
      transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
      token: started.game.issueToken({ clientId: 'flooder', expiresInMs: 10_000, timeoutMs: 5_000 }),
      channels,
    });
    const worldClient = new WorldClient({
      client,
      world: new ClientWorld({ schemas: [Ship] }),
      controlChannel: CONTROL,
      snapshotChannel: SNAPSHOTS,
      ackChannel: ACKS,
    });
    await worldClient.connect(started.address);
    cleanups.push(() => client.disconnect());
    await waitFor(() => worldClient.seat !== undefined);
    const seat = worldClient.seat!;
    await waitFor(() => started.host.clockOf(seat) !== undefined);
    const worldReceives = client.onMessage!;
    let pongs = 0;
    client.onMessage = (channel, bytes) => {
      if (channel === ACKS && bytes.length === 17) pongs++;
      worldReceives(channel, bytes);
    };
    const floodStartedMs = Date.now();
    for (let i = 0; i < 500; i++)
      client.send(ACKS, new TimeSync().update(Date.now())!, 'unreliable-no-delay');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const seconds = (Date.now() - floodStartedMs) / 1000;
    expect(pongs).toBeGreaterThan(0); // still answered
    expect(pongs).toBeLessThanOrEqual(Math.ceil(seconds * 20) + 1);
    expect(started.game.sessions).toHaveLength(1); // and still connected
  }, 15_000);
});
