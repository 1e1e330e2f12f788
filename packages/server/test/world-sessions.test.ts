/**
 * Sessions in a world instance at ugly network settings: convergence over lossy UDP, input from
 * the owner only, state templates relayed and dropped, a seat kept through a dropped link and given
 * up after its grace period, streams that send no acks, clock pings capped.
 */

import type { JoinedWorld } from '@shardline/client';
import {
  ConditionedClientTransport,
  ConditionedServerTransport,
  defineEntity,
  defineWorld,
  type EntityId,
  type Player,
  serveWorld,
  TimeSync,
  t,
  UdpServerTransport,
  WebSocketServerTransport,
  WORLD_CHANNEL,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  joinWith,
  startWorldServer,
  type TestLink,
  type WorldServerHandle,
  waitFor,
} from './support/world-server.js';

const Ship = defineEntity('Ship', {
  x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
  hp: t.u8(),
  pilot: t.string({ maxBytes: 64 }),
});
const Steer = defineEntity('Steer', { x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }) });
const Pose = defineEntity('Pose', { heading: t.angle({ bits: 10 }), crouched: t.bool() });
/** 50 drifting ships, one more per player (hp 7) steered by its input, and a pose per player. */
const fleet = defineWorld('fleet', {
  entities: [Ship],
  input: Steer,
  state: Pose,
  tickHz: 30,
  maxPlayers: 8,
});

interface Fleet {
  handle: WorldServerHandle;
  left: string[];
  stopMoving(): void;
}

const running: WorldServerHandle[] = [];
const worlds: JoinedWorld<typeof fleet>[] = [];
afterEach(async () => {
  await Promise.all(worlds.splice(0).map((world) => world.leave()));
  for (const handle of running.splice(0)) await handle.stop();
});

/** The fleet served over lossy UDP (20 ms, 10% loss) and WebSocket, with a grace period of `graceMs`. */
async function startFleet(graceMs = 30_000): Promise<Fleet> {
  const left: string[] = [];
  let moving = true;
  const served = serveWorld(
    fleet,
    (world) => {
      const drifting = Array.from({ length: 50 }, (_, i) => world.spawn(Ship, { x: i, hp: 100 }));
      const ships = new Map<Player, EntityId<typeof Ship>>();
      return {
        join: (player) =>
          ships.set(player, world.spawn(Ship, { hp: 7, pilot: player.seat }, { owner: player })),
        leave(player, reason) {
          left.push(`${player.seat} ${reason}`);
          world.despawn(ships.get(player)!);
        },
        input: (player, steer) => world.set(ships.get(player)!, { x: steer.x }),
        tick(_dtMs, tick) {
          if (moving) for (const id of drifting) world.set(id, { x: (id * 7 + tick) % 500 });
        },
      };
    },
    { graceMs },
  );
  const handle = await startWorldServer({
    worlds: [served],
    connectionTimeoutMs: 1_000,
    transports: [
      new ConditionedServerTransport(new UdpServerTransport({ port: 0 }), { latencyMs: 20, lossPercent: 10 }),
      new WebSocketServerTransport({ port: 0 }),
    ],
  });
  running.push(handle);
  return { handle, left, stopMoving: () => (moving = false) };
}

let pilots = 0;

/** A player over UDP whose link can be cut (`link.configure({ lossPercent: 100 })`). */
async function joinFleet(fleetServer: Fleet, options: { rejoinWithinMs?: number } = {}) {
  const clientId = `pilot-${++pilots}`;
  const links: TestLink[] = [];
  let link: ConditionedClientTransport | undefined;
  let settings: { lossPercent?: number } = {};
  const world = await joinWith(
    fleetServer.handle,
    fleet,
    fleetServer.handle.runtime.joinOrCreate('fleet', { clientId }),
    {
      clientId,
      udp: true,
      links,
      ...options,
      wrap: (base) => {
        link = new ConditionedClientTransport(base, settings); // a rejoin's new link: as dead as the last
        return link;
      },
    },
  );
  worlds.push(world);
  const configure = (next: { lossPercent?: number }) => {
    settings = next;
    link!.configure(next);
  };
  return { world, links, cut: () => configure({ lossPercent: 100 }), heal: () => configure({}) };
}

const instanceOf = (fleetServer: Fleet) => fleetServer.handle.runtime.all()[0]!;

function converged(fleetServer: Fleet, world: JoinedWorld<typeof fleet>): boolean {
  const server = instanceOf(fleetServer);
  const states = (ids: Iterable<number>, get: (id: number) => unknown) =>
    JSON.stringify([...ids].sort((a, b) => a - b).map((id) => get(id)));
  const ids = [...world.entities(Ship).ids()];
  return (
    ids.length === 51 &&
    states(ids, (id) => world.entities(Ship).get(id)!.state) === states(ids, (id) => server.get(id))
  );
}

describe('a world instance over UDP with 20 ms latency and 10% loss', () => {
  it('replicates to a client that converges, and applies its input to its own ship', async () => {
    const server = await startFleet();
    const { world } = await joinFleet(server);
    await waitFor(() => world.me(Ship) !== undefined && world.entities(Ship).size === 51);
    const steering = setInterval(() => world.sendInput({ x: 321 }), 30);
    await waitFor(() => Math.abs(world.me(Ship)!.state.x - 321) < 0.01);
    clearInterval(steering);
    server.stopMoving();
    await waitFor(() => converged(server, world), 10_000);
    expect(instanceOf(server).seatMetrics(world.seat)!.lastBaselineAgeTicks).toBeDefined();
    expect(instanceOf(server).stats().rejected).toEqual({});
  }, 20_000);

  it("relays each seat's published state to the others as a proxy, and drops it when the seat is given up", async () => {
    const server = await startFleet(200);
    const alice = await joinFleet(server, { rejoinWithinMs: 0 });
    const bob = await joinFleet(server);
    const publishing = setInterval(() => {
      alice.world.publishState({ heading: 1, crouched: true });
      bob.world.publishState({ heading: -1, crouched: false });
    }, 30);
    const seatA = alice.world.seat;
    const seatB = bob.world.seat;
    await waitFor(
      () => bob.world.proxies!.get(seatA) !== undefined && alice.world.proxies!.get(seatB) !== undefined,
    );
    expect(bob.world.proxies!.get(seatA)!.state.crouched).toBe(true);
    expect(bob.world.proxies!.get(seatA)!.state.heading as number).toBeCloseTo(1, 2);
    expect(alice.world.proxies!.seats).toEqual([seatB]); // never its own
    clearInterval(publishing);
    alice.cut();
    await waitFor(() => bob.world.proxies!.get(seatA) === undefined, 10_000);
    expect(instanceOf(server).stats().rejected).toEqual({});
  }, 20_000);

  it('keeps the seat of a client whose link is dead for 3 s: it rejoins on its own, ship and ownership intact', async () => {
    const server = await startFleet(30_000);
    const subject = await joinFleet(server);
    const watcher = await joinFleet(server);
    const peerLeft: string[] = [];
    watcher.world.onPlayerLeft = (seat, reason) => peerLeft.push(`${seat} ${reason}`);
    await waitFor(() => subject.world.me(Ship) !== undefined);
    const ship = subject.world.me(Ship)!.id;
    const seat = subject.world.seat;
    const events: string[] = [];
    subject.world.onReconnecting = (reason) => events.push(`reconnecting ${reason}`);
    subject.world.onRejoined = (resumed) => events.push(`rejoined ${resumed}`);

    subject.cut(); // the link goes dead both ways
    await waitFor(() => events.includes('reconnecting timeout'));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(instanceOf(server).get(ship)?.hp).toBe(7); // the seat and its ship wait
    subject.heal();
    await waitFor(() => events.includes('rejoined true'), 10_000);
    expect(subject.world.seat).toBe(seat);
    expect(subject.links.length).toBeGreaterThan(1);
    const steering = setInterval(() => subject.world.sendInput({ x: -42 }), 30);
    await waitFor(() => Math.abs((subject.world.me(Ship)?.state.x ?? 0) + 42) < 0.01);
    clearInterval(steering);
    expect(subject.world.me(Ship)!.id).toBe(ship);
    expect(server.left).toEqual([]);
    expect(peerLeft).toEqual([]);
  }, 25_000);

  it('gives the seat up after the grace period: the ship despawns and the other clients are told why', async () => {
    const server = await startFleet(300);
    const leaving = await joinFleet(server, { rejoinWithinMs: 0 });
    const watcher = await joinFleet(server);
    const peerLeft: string[] = [];
    watcher.world.onPlayerLeft = (seat, reason) => peerLeft.push(`${seat} ${reason}`);
    await waitFor(() => watcher.world.entities(Ship).size === 52);
    const seat = leaving.world.seat;
    const ship = leaving.world.me(Ship)!.id;
    const gone: string[] = [];
    leaving.world.onLeave = (reason) => gone.push(reason);
    leaving.cut();
    await waitFor(() => peerLeft.length > 0, 10_000);
    expect(peerLeft).toEqual([`${seat} timeout`]);
    expect(server.left).toEqual([`${seat} timeout`]);
    await waitFor(() => watcher.world.entities(Ship).get(ship) === undefined);
    await waitFor(() => gone.length > 0);
    expect(gone).toEqual(['timeout']); // it gave up rejoining at once (rejoinWithinMs 0)
  }, 20_000);
});

describe('a world instance over WebSocket', () => {
  it('counts each snapshot as acknowledged once sent: the client sends no acks, each delta is against the tick before', async () => {
    const server = await startFleet();
    const { server: game } = server.handle;
    const route = game.onMessage!;
    let acksHeard = 0;
    game.onMessage = (session, channel, bytes) => {
      if (channel === WORLD_CHANNEL.clock && bytes.length === 4) acksHeard++; // the rest there is clock pings
      route(session, channel, bytes);
    };
    const clientId = 'browser';
    const world = await joinWith(
      server.handle,
      fleet,
      server.handle.runtime.joinOrCreate('fleet', { clientId }),
      { clientId },
    );
    worlds.push(world);
    await waitFor(() => world.entities(Ship).size === 51 && world.view.tick > 30);
    const metrics = instanceOf(server).seatMetrics(world.seat)!;
    expect(metrics.fullStates).toBe(1);
    expect(metrics.lastBaselineAgeTicks).toBe(1);
    expect(acksHeard).toBe(0);
    server.stopMoving();
    await waitFor(() => converged(server, world));
  }, 15_000);

  it('answers at most 20 clock pings a second per seat: a flood is ignored, not answered', async () => {
    const server = await startFleet();
    const links: TestLink[] = [];
    const clientId = 'flooder';
    const world = await joinWith(
      server.handle,
      fleet,
      server.handle.runtime.joinOrCreate('fleet', { clientId }),
      {
        clientId,
        links,
      },
    );
    worlds.push(world);
    await waitFor(() => instanceOf(server).clockOf(world.seat) !== undefined);
    const [{ client }] = links as [TestLink];
    const route = client.onMessage!;
    let pongs = 0;
    client.onMessage = (channel, bytes) => {
      if (channel === WORLD_CHANNEL.clock && bytes.length === 17) pongs++;
      route(channel, bytes);
    };
    const floodStartedMs = Date.now();
    for (let i = 0; i < 500; i++)
      client.send(WORLD_CHANNEL.clock, new TimeSync().update(Date.now())!, 'unreliable-no-delay');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const seconds = (Date.now() - floodStartedMs) / 1000;
    expect(pongs).toBeGreaterThan(0); // still answered
    expect(pongs).toBeLessThanOrEqual(Math.ceil(seconds * 20) + 1);
    expect(server.handle.server.sessions).toHaveLength(1); // and still connected
  }, 15_000);
});
