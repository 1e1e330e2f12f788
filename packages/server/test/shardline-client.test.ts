import { type JoinedWorld, ShardlineClient } from '@shardline/client';
import { type AnyWorldKind, defineRpcs, defineWorld, isShardlineError, rpc, t } from '@shardline/core';
import { type RunningShardline, serveWorld } from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { duel, duelServer, Ship, Stick } from './support/duel-game.js';
import { startTestShardline } from './support/json-http.js';
import { waitFor } from './support/world-server.js';

let running: RunningShardline | undefined;
const joined: JoinedWorld<AnyWorldKind>[] = [];
afterEach(async () => {
  await Promise.all(joined.splice(0).map((world) => world.leave()));
  await running?.stop();
  running = undefined;
});

async function start(config = {}) {
  running = await startTestShardline(config, { worlds: [duelServer] });
  return running;
}

/** The error a promise rejects with. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('ShardlineClient: a world in two lines', () => {
  it.each(['websocket', 'udp'] as const)(
    'joins over %s as a guest and plays: own ship, input, RPC',
    async (transport) => {
      const server = await start();
      const client = new ShardlineClient(server.addresses.http, { transport });
      const world = await client.join(duel);
      joined.push(world);
      expect(client.services.session.user?.guest).toBe(true);
      await waitFor(() => world.me(Ship) !== undefined);
      world.sendInput({ dx: 1 });
      world.sendInput({ dx: 1 });
      await waitFor(() => Math.abs(world.me(Ship)!.state.x - 2) < 0.01);
      expect(await world.rpc.echo({ n: 42 })).toEqual({ n: 42, seat: world.seat });
      const session = server.server.info(server.server.sessions[0]!)!;
      expect(session.world).toBe(world.id);
      expect(session.capabilities.kind).toBe(transport === 'udp' ? 'udp' : 'websocket');
    },
  );

  it('creates private worlds, joins them by id, lists the public ones, and fills quick play in order', async () => {
    const server = await start();
    const a = new ShardlineClient(server.addresses.http);
    const b = new ShardlineClient(server.addresses.http);
    const c = new ShardlineClient(server.addresses.http);
    const secret = await a.create(duel, { map: 'docks' }, { private: true });
    joined.push(secret);
    const friend = await b.joinById(duel, secret.id);
    joined.push(friend);
    expect(friend.id).toBe(secret.id);
    expect(server.worlds.get(secret.id).options).toEqual({ map: 'docks' });
    expect(await c.list(duel)).toEqual([]); // private: not listed
    const first = await c.join(duel);
    joined.push(first);
    const listed = await a.list('duel');
    expect(listed).toEqual([expect.objectContaining({ id: first.id, players: 1, maxPlayers: 2 })]);
    const full = await failure(c.joinById(duel, secret.id));
    expect(isShardlineError(full, 'WORLD_FULL')).toBe(true);
    // The listing answers the oldest first, at most `limit` (1–100) of them.
    const later = await new ShardlineClient(server.addresses.http).create(duel);
    joined.push(later);
    const listing = async (query: string) => fetch(`${server.addresses.http}/v1/worlds${query}`);
    expect((await (await listing('?kind=duel')).json()).worlds).toHaveLength(2);
    const oldest = (await (await listing('?kind=duel&limit=1')).json()) as { worlds: { id: string }[] };
    expect(oldest.worlds.map((world) => world.id)).toEqual([first.id]);
    const tooMany = await listing('?limit=101');
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).code).toBe('REQUEST_INVALID');
  });

  it('creates a world of a persistent kind for a player that ends when empty', async () => {
    const hub = defineWorld('hub', { entities: [Ship], persistent: true });
    running = await startTestShardline({}, { worlds: [duelServer, serveWorld(hub, () => ({}))] });
    const world = await new ShardlineClient(running.addresses.http).create(hub);
    joined.push(world);
    expect(running.worlds.get(world.id).persistent).toBe(false);
  });

  it('refuses with stable codes: unknown kind, unknown id, another declaration', async () => {
    const server = await start();
    const client = new ShardlineClient(server.addresses.http);
    const chess = defineWorld('chess', { entities: [Ship] });
    const unknownKind = await failure(client.join(chess));
    expect(isShardlineError(unknownKind, 'WORLD_KIND_UNKNOWN')).toBe(true);
    expect((unknownKind as Error).message).toBe('WORLD_KIND_UNKNOWN: no world kind "chess" here'); // the code once
    expect(isShardlineError(await failure(client.joinById(duel, 'no-such-world')), 'WORLD_NOT_FOUND')).toBe(
      true,
    );
    const older = defineWorld('duel', {
      entities: [Ship],
      rpc: defineRpcs({ echo: rpc({ params: { n: t.u8() } }) }),
      input: Stick,
      tickHz: 30,
    });
    const mismatch = await failure(client.join(older));
    expect(isShardlineError(mismatch, 'PROTOCOL_MISMATCH')).toBe(true);
    expect(String(mismatch)).toMatch(/RPC catalog, tick and send rates/);
    expect(server.worlds.all()).toEqual([]); // nothing was created for it
  });

  it('joins the private world a lobby start made, with the ticket the push stream brought', async () => {
    const server = await start();
    const owner = new ShardlineClient(server.addresses.http);
    const guest = new ShardlineClient(server.addresses.http);
    await Promise.all([owner.signIn(), guest.signIn()]);
    await guest.services.events.open();
    const started = new Promise<Parameters<ShardlineClient['joinTicket']>[1]>((resolve) =>
      guest.services.events.on('lobby.started', ({ connect }) => resolve(connect)),
    );
    const lobby = await owner.services.lobbies.create({ maxPlayers: 2, world: 'duel' });
    await guest.services.lobbies.join(lobby.id);
    const ownerTicket = await owner.services.lobbies.start(lobby.id);
    const [ownersWorld, guestsWorld] = await Promise.all([
      owner.joinTicket(duel, ownerTicket),
      guest.joinTicket(duel, await started),
    ]);
    joined.push(ownersWorld, guestsWorld);
    expect(guestsWorld.id).toBe(ownersWorld.id);
    await waitFor(() => ownersWorld.entities(Ship).size === 2);
    const stranger = new ShardlineClient(server.addresses.http);
    expect(isShardlineError(await failure(stranger.joinById(duel, ownersWorld.id)), 'WORLD_FULL')).toBe(true);
    guest.services.events.close();
  });

  it('takes its seat back with a fresh ticket after its link drops, and gives up when the world is gone', async () => {
    const server = await start();
    const client = new ShardlineClient(server.addresses.http);
    const world = await client.join(duel);
    joined.push(world);
    await waitFor(() => world.me(Ship) !== undefined);
    const seat = world.seat;
    const ship = world.me(Ship)!.id;
    const events: string[] = [];
    world.onReconnecting = (reason) => events.push(`reconnecting ${reason}`);
    world.onRejoined = () => events.push('rejoined');
    world.onLeave = (reason) => events.push(`left ${reason}`);
    // The server drops the link without a word (as a network would): the client rejoins on its own.
    const [session] = server.server.sessions;
    (
      server.server as unknown as {
        sessionLinks: Map<string, { transport: { disconnect(peer: string): void } }>;
      }
    ).sessionLinks
      .get(session!)!
      .transport.disconnect(session!);
    await waitFor(() => events.includes('rejoined'));
    expect(events[0]).toBe('reconnecting link-lost');
    expect(world.seat).toBe(seat);
    // The resumed seat is told what it owns again: the same ship, and only it.
    await waitFor(() => world.ownedIds.size > 0);
    expect([...world.ownedIds]).toEqual([ship]);
    expect(await world.rpc.echo({ n: 1 })).toEqual({ n: 1, seat });
    // The server ends the world: leaving for good, with the reason.
    server.worlds.dispose(server.worlds.get(world.id));
    await waitFor(() => events.includes('left closed-by-server'));
    expect(world.state).toBe('left');
  });
});
