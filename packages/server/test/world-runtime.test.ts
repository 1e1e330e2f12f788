import * as nodeCrypto from 'node:crypto';
import { GameClient, requestSeat, WebSocketClientTransport } from '@shardline/client';
import { defineRpcs, defineWorld, event, isShardlineError, rpc, t } from '@shardline/core';
import { GameServer, serveWorld, WORLD_CHANNELS, WorldRuntime } from '@shardline/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { duel, duelRpcs, duelServer, Ship, Stick } from './support/duel-game.js';
import {
  aead,
  joinWith,
  startWorldServer,
  type TestLink,
  type WorldServerHandle,
  waitFor,
} from './support/world-server.js';

const running: WorldServerHandle[] = [];
afterEach(async () => {
  for (const handle of running.splice(0)) await handle.stop();
});

async function start(options: Parameters<typeof startWorldServer>[0] = { worlds: [duelServer] }) {
  const handle = await startWorldServer(options);
  running.push(handle);
  return handle;
}

describe('world runtime: instances on demand', () => {
  it('fills instances in order: join-or-create seats players in the oldest instance with room', async () => {
    const { runtime } = await start();
    const seats = ['a', 'b', 'c', 'd', 'e'].map(
      (clientId) => runtime.joinOrCreate('duel', { clientId }).world.id,
    );
    expect(seats[0]).toBe(seats[1]);
    expect(seats[2]).toBe(seats[3]);
    expect(new Set(seats).size).toBe(3);
    expect(runtime.list('duel').map((world) => world.id)).toEqual([...new Set(seats)]);
    // The same client asking again keeps its place (no second reservation).
    expect(runtime.joinOrCreate('duel', { clientId: 'a' }).world.id).toBe(seats[0]);
    expect(runtime.get(seats[0]!).occupancy).toBe(2);
  });

  it('frees a reserved seat that is not used in time', async () => {
    const { runtime } = await start({ worlds: [duelServer], reservationMs: 150 });
    const first = runtime.joinOrCreate('duel', { clientId: 'a' }).world.id;
    runtime.joinOrCreate('duel', { clientId: 'b' });
    expect(runtime.joinOrCreate('duel', { clientId: 'c' }).world.id).not.toBe(first);
    await waitFor(() => runtime.get(first).occupancy === 0);
    expect(runtime.joinOrCreate('duel', { clientId: 'd' }).world.id).toBe(first);
  });

  it('disposes an instance that stays empty past its delay, and keeps persistent ones', async () => {
    const disposed: string[] = [];
    const { runtime } = await start({
      worlds: [duelServer],
      reservationMs: 50,
      disposeAfterMs: 100,
      onInstance: (event, instance) => event === 'disposed' && disposed.push(instance.id),
    });
    const match = runtime.joinOrCreate('duel', { clientId: 'a' }).world.id;
    runtime.create('duel', { id: 'forest', persistent: true });
    await waitFor(() => disposed.includes(match));
    expect(() => runtime.get(match)).toThrow(/WORLD_NOT_FOUND/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runtime.get('forest').stats()).toMatchObject({ id: 'forest', persistent: true, players: 0 });
  });

  it("keeps a lobby's empty instance until the time it was created to wait for", async () => {
    const disposed: string[] = [];
    const { runtime } = await start({
      worlds: [duelServer],
      disposeAfterMs: 50,
      onInstance: (event, instance) => event === 'disposed' && disposed.push(instance.id),
    });
    const createdAtMs = Date.now();
    const lobbyWorld = runtime.create('duel', { members: ['a', 'b'], keepUntilMs: createdAtMs + 400 });
    const plain = runtime.create('duel', { members: ['a', 'b'] });
    await waitFor(() => disposed.includes(plain.id));
    expect(disposed).not.toContain(lobbyWorld.id);
    await waitFor(() => disposed.includes(lobbyWorld.id));
    // Kept its whole time, then disposed within the usual delay.
    expect(Date.now() - createdAtMs).toBeGreaterThanOrEqual(400 + 50);
  });

  it("makes a persistent kind's overflow instance on demand, and disposes it when empty", async () => {
    const hub = defineWorld('hub', { entities: [Ship], maxPlayers: 1, persistent: true });
    const disposed: string[] = [];
    const { runtime } = await start({
      worlds: [serveWorld(hub, () => ({}))],
      reservationMs: 50,
      disposeAfterMs: 50,
      onInstance: (event, instance) => event === 'disposed' && disposed.push(instance.id),
    });
    expect(runtime.create('hub', { id: 'plaza' }).persistent).toBe(true); // the server's own
    expect(runtime.joinOrCreate('hub', { clientId: 'a' }).world.id).toBe('plaza');
    const overflow = runtime.joinOrCreate('hub', { clientId: 'b' }).world.id;
    expect(runtime.get(overflow).persistent).toBe(false);
    await waitFor(() => disposed.includes(overflow));
    expect(runtime.get('plaza').persistent).toBe(true);
  });

  it('refuses unknown kinds, unknown ids, full and restricted worlds with stable codes', async () => {
    const { runtime } = await start();
    expect(() => runtime.joinOrCreate('chess', { clientId: 'a' })).toThrow(/WORLD_KIND_UNKNOWN/);
    expect(() => runtime.get('nope')).toThrow(/WORLD_NOT_FOUND/);
    const lobby = runtime.create('duel', { visibility: 'restricted' });
    expect(() => runtime.ticket(lobby, { clientId: 'stranger' })).toThrow(/WORLD_FULL/);
    const full = runtime.create('duel');
    runtime.ticket(full, { clientId: 'a' });
    runtime.ticket(full, { clientId: 'b' });
    expect(() => runtime.ticket(full, { clientId: 'c' })).toThrow(/WORLD_FULL/);
    expect(() => runtime.create('duel', { options: { blob: 'x'.repeat(3000) } })).toThrow(
      /WORLD_OPTIONS_INVALID/,
    );
    expect(runtime.list()).toHaveLength(1); // the public one; restricted worlds are not listed
  });
});

describe('world runtime: its timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A runtime (not listening: only its timer runs) counting its wake-ups and each instance's ticks. */
  function counted(updateMs?: number) {
    const server = new GameServer({
      protocolId: 1,
      privateKey: nodeCrypto.randomBytes(32),
      aead,
      transports: [],
      channels: WORLD_CHANNELS,
    });
    const runtime = new WorldRuntime({ server, worlds: [duelServer], ...(updateMs ? { updateMs } : {}) });
    const update = runtime.update.bind(runtime);
    let wakes = 0;
    runtime.update = (nowMs) => {
      wakes++;
      update(nowMs);
    };
    const late: number[] = [];
    runtime.observeTicks((instance) => late.push(Date.now() - (instance.nextTickAtMs - duel.tickMs)));
    return { runtime, wakes: () => wakes, late };
  }

  it('wakes once per tick for a world, and not at all between ticks', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { runtime, wakes, late } = counted();
    runtime.start();
    const world = runtime.create('duel', { persistent: true });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(world.tick).toBe(20); // 20 Hz
    expect(wakes()).toBeLessThanOrEqual(21);
    expect(Math.max(...late)).toBeLessThanOrEqual(1); // at its tick, to the ms
    runtime.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(wakes()).toBeLessThanOrEqual(21);
  });

  it('updates worlds whose ticks fall due close together in one wake-up, at most updateMs late', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { runtime, wakes, late } = counted(5);
    runtime.start();
    const worlds = [];
    for (let i = 0; i < 25; i++) {
      worlds.push(runtime.create('duel', { persistent: true }));
      await vi.advanceTimersByTimeAsync(2); // each created 2 ms after the last: ticks 2 ms apart
    }
    const wakesBefore = wakes();
    await vi.advanceTimersByTimeAsync(1_000);
    // 25 worlds × 20 ticks a second, 2 ms apart: about a wake-up per 5 ms, not one per tick.
    expect(wakes() - wakesBefore).toBeLessThanOrEqual(1_000 / 5 + 1);
    expect(wakes() - wakesBefore).toBeGreaterThan(100);
    for (const world of worlds) expect(world.tick).toBeGreaterThanOrEqual(20);
    expect(Math.max(...late)).toBeLessThanOrEqual(5 + 1);
    runtime.stop();
  });
});

describe('world runtime: a client in a world', () => {
  it.each([
    ['WebSocket', false],
    ['UDP', true],
  ])(
    'over %s: sees its own ship, moves it by input, calls an RPC and hears the event',
    async (_name, udp) => {
      const handle = await start();
      const ticket = handle.runtime.joinOrCreate('duel', { clientId: 'alice' });
      const world = await joinWith(handle, duel, ticket, { clientId: 'alice', udp });
      expect(world.seat).toBe('s1');
      await waitFor(() => world.me(Ship) !== undefined);
      expect(world.me(Ship)!.state).toEqual({ x: 0, hp: 100 });
      const booms: string[] = [];
      world.on(duelRpcs.definitions.boom, ({ by }) => booms.push(by));
      expect(await world.rpc.echo({ n: 7 })).toEqual({ n: 7, seat: 's1' });
      await waitFor(() => booms.length === 1);
      for (let i = 0; i < 5; i++) world.sendInput({ dx: 1 });
      await waitFor(() => Math.abs(world.me(Ship)!.state.x - 5) < 0.01); // quantized to ~0.006
      const instance = handle.runtime.get(ticket.world.id);
      expect(instance.stats()).toMatchObject({ players: 1, connected: 1, kind: 'duel' });
      await world.leave();
      await waitFor(() => instance.players.size === 0);
      expect(world.state).toBe('left');
    },
  );

  it('tells each player of the others and of who left, and shows their ships', async () => {
    const handle = await start();
    const a = await joinWith(handle, duel, handle.runtime.joinOrCreate('duel', { clientId: 'a' }), {
      clientId: 'a',
    });
    const b = await joinWith(handle, duel, handle.runtime.joinOrCreate('duel', { clientId: 'b' }), {
      clientId: 'b',
    });
    await waitFor(() => a.entities(Ship).size === 2 && b.entities(Ship).size === 2);
    expect(a.mine(Ship)).toHaveLength(1);
    expect(a.ownedIds.has(b.me(Ship)!.id)).toBe(false);
    const left: string[] = [];
    a.onPlayerLeft = (seat, reason) => left.push(`${seat} ${reason}`);
    await b.leave();
    await waitFor(() => left.length === 1 && a.entities(Ship).size === 1);
    expect(left).toEqual(['s2 closed-by-client']);
  });

  it('refuses a client built from another declaration, naming what differs', async () => {
    const handle = await start();
    const otherRpcs = defineRpcs({ echo: rpc({ params: { n: t.u8() } }) });
    const impostor = defineWorld('duel', {
      entities: [Ship],
      rpc: otherRpcs,
      input: Stick,
      tickHz: 20,
      sendHz: 10,
    });
    const ticket = handle.runtime.joinOrCreate('duel', { clientId: 'mallory' });
    const error = await joinWith(handle, impostor, ticket, { clientId: 'mallory' }).catch((e: unknown) => e);
    expect(isShardlineError(error, 'PROTOCOL_MISMATCH')).toBe(true);
    expect(String(error)).toMatch(/differs from this client's in: RPC catalog$/);
    expect(handle.runtime.get(ticket.world.id).players.size).toBe(0);
  });

  it('refuses a token for a world that is gone, and one a full world cannot seat', async () => {
    const handle = await start({ worlds: [duelServer], disposeAfterMs: 50, reservationMs: 5_000 });
    const instance = handle.runtime.create('duel');
    const late = handle.runtime.ticket(instance, { clientId: 'late' });
    handle.runtime.dispose(instance);
    const gone = await joinWith(handle, duel, late, { clientId: 'late' }).catch((e: unknown) => e);
    expect(isShardlineError(gone, 'WORLD_NOT_FOUND')).toBe(true);

    const small = handle.runtime.create('duel');
    const tickets = ['x', 'y'].map((clientId) => handle.runtime.ticket(small, { clientId }));
    // A token issued with the world's seats taken by others (as a dev token could be) is refused at connect.
    const third = {
      ...tickets[0]!,
      token: handle.server.issueToken({ clientId: 'z', world: small.id, expiresInMs: 5_000 }),
    };
    const full = await joinWith(handle, duel, third, { clientId: 'z' }).catch((e: unknown) => e);
    expect(isShardlineError(full, 'WORLD_FULL')).toBe(true);
  });

  it('takes its seat back by itself after its link drops, ship and ownership intact', async () => {
    const handle = await start();
    const links: TestLink[] = [];
    const ticket = handle.runtime.joinOrCreate('duel', { clientId: 'bob' });
    const world = await joinWith(handle, duel, ticket, { clientId: 'bob', links });
    await waitFor(() => world.me(Ship) !== undefined);
    const shipId = world.me(Ship)!.id;
    const events: string[] = [];
    world.onReconnecting = (reason) => events.push(`reconnecting ${reason}`);
    world.onRejoined = () => events.push('rejoined');
    // The socket dies without a Disconnect packet: the server sees link-lost and keeps the seat.
    (links[0]!.transport as unknown as { socket: { terminate?: () => void; close(): void } }).socket.close();
    await waitFor(() => events.includes('rejoined'));
    expect(events[0]).toMatch(/^reconnecting link-lost$/);
    expect(world.seat).toBe('s1');
    expect(links).toHaveLength(2);
    await waitFor(() => world.me(Ship)?.id === shipId);
    for (let i = 0; i < 3; i++) world.sendInput({ dx: -1 });
    await waitFor(() => Math.abs(world.me(Ship)!.state.x + 3) < 0.01);
    expect(handle.runtime.get(ticket.world.id).players.size).toBe(1);
  });

  it('gives up every seat when disposed, one waiting for its dropped client included, and tells nobody who else left', async () => {
    const handle = await start();
    const ticket = (clientId: string) => handle.runtime.joinOrCreate('duel', { clientId });
    const a = await joinWith(handle, duel, ticket('a'), { clientId: 'a' });
    const links: TestLink[] = [];
    const b = await joinWith(handle, duel, ticket('b'), { clientId: 'b', links });
    b.onReconnecting = () => b.leave(); // b stays away: its seat waits for it
    const instance = handle.runtime.get(a.id);
    (links[0]!.transport as unknown as { socket: { close(): void } }).socket.close();
    await waitFor(() => instance.stats().connected === 1);
    expect(instance.players.size).toBe(2);
    const heardByA: string[] = [];
    a.onPlayerLeft = (seat, reason) => heardByA.push(`left ${seat} ${reason}`);
    a.onLeave = (reason) => heardByA.push(`ended ${reason}`);
    handle.runtime.dispose(instance);
    expect(instance.players.size).toBe(0);
    await waitFor(() => heardByA.length > 0);
    expect(heardByA).toEqual(['ended closed-by-server']);
  });

  it("delivers what the game's join sends to the listeners set up right after the join resolves", async () => {
    const greetings = defineRpcs({
      hello: event({ params: { to: t.string({ maxBytes: 16 }) } }),
      cheer: rpc({ params: { n: t.u8() }, direction: 'to-all' }),
    });
    const lobby = defineWorld('hall', { entities: [Ship], rpc: greetings });
    const served = serveWorld(lobby, (world) => ({
      join(player) {
        world.broadcast(greetings.definitions.hello, { to: player.seat });
        world.callAll(greetings.definitions.cheer, { n: 7 });
        const id = world.spawn(Ship, {}, { owner: player });
        world.patch(id, { hp: 3 });
      },
    }));
    const handle = await start({ worlds: [served] });
    const world = await joinWith(handle, lobby, handle.runtime.joinOrCreate('hall', { clientId: 'p' }), {
      clientId: 'p',
    });
    const heard: string[] = [];
    world.on(greetings.definitions.hello, ({ to }) => heard.push(`hello ${to}`));
    world.handle(greetings.definitions.cheer, ({ n }) => void heard.push(`cheer ${n}`));
    await waitFor(() => heard.length === 2 && world.me(Ship) !== undefined);
    expect(heard).toEqual(['hello s1', 'cheer 7']);
    expect(world.me(Ship)!.state.hp).toBe(3);
  });

  it("opens a waiting seat only to its own client: another's stolen reconnect token gets a seat of its own", async () => {
    const handle = await start();
    const instance = handle.runtime.create('duel');
    const connect = async (clientId: string) => {
      const ticket = handle.runtime.ticket(instance, { clientId });
      const client = new GameClient({
        transport: new WebSocketClientTransport(),
        token: ticket.token,
        channels: WORLD_CHANNELS,
      });
      await client.connect(handle.addresses.ws);
      return client;
    };
    const alice = await connect('alice');
    const first = await requestSeat(alice, duel, undefined, () => {});
    (alice as unknown as { options: { transport: { close(): void } } }).options.transport.close();
    await waitFor(() => instance.stats().connected === 0);
    const mallory = await connect('mallory');
    const stolen = await requestSeat(mallory, duel, first.token, () => {});
    expect(stolen).toMatchObject({ resumed: false });
    expect(stolen.seat).not.toBe(first.seat);
    const back = await requestSeat(await connect('alice'), duel, first.token, () => {});
    expect(back).toMatchObject({ seat: first.seat, resumed: true });
  });

  it('reports a handler that throws and keeps the world running for everyone', async () => {
    const errors: string[] = [];
    const brittle = serveWorld(defineWorld('brittle', { entities: [Ship], tickHz: 20 }), (world) => ({
      join: () => {
        world.spawn(Ship, { hp: 1 });
        throw new Error('join bug');
      },
      tick: () => {
        if (world.tick === 3) throw new Error('tick bug');
      },
    }));
    const handle = await start({
      worlds: [brittle],
      onHandlerError: (error, where) => errors.push(`${where}: ${(error as Error).message}`),
    });
    const kind = handle.runtime.kind('brittle');
    const world = await joinWith(handle, kind, handle.runtime.joinOrCreate('brittle', { clientId: 'p' }), {
      clientId: 'p',
    });
    await waitFor(() => world.entities(Ship).size === 1 && errors.length === 2);
    expect(errors).toEqual(['brittle join: join bug', 'brittle tick: tick bug']);
  });
});
