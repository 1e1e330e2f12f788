import {
  type IssueConnectTicket,
  isShardlineError,
  type LobbyEvent,
  LobbyService,
  ShardlineError,
} from '@shardline/server';
import { describe, expect, it } from 'vitest';

const ann = { id: 'u-ann', username: 'ann' };
const bob = { id: 'u-bob', username: 'bob' };
const cat = { id: 'u-cat', username: 'cat' };
const dan = { id: 'u-dan', username: 'dan' };

/** The world kinds the fake runtime serves, and how many players each seats. */
const SEATS: Record<string, number> = { arena: 16, duel: 2 };

/**
 * A lobby service with a fake clock, a friends list, and every pushed event recorded per user;
 * tokens for `failTicketsFor` cannot be issued.
 */
function lobbies(friendships: [string, string][] = [], failTicketsFor?: string) {
  const heard = new Map<string, LobbyEvent[]>();
  let nowMs = 1_000;
  const issueTicket: IssueConnectTicket = (player, world) => {
    if (player.userId === failTicketsFor) throw new ShardlineError('WORLD_FULL', 'no seat');
    return ticketFor(player, world);
  };
  const ticketFor: IssueConnectTicket = (player, world) => ({
    token: `token-for-${player.userId}-in-${player.lobbyId}`,
    expiresAtMs: nowMs + 60_000,
    serverAddresses: ['ws://127.0.0.1:1'],
    ...(world ? { world: { id: world, kind: 'arena' } } : {}),
  });
  /** Worlds the lobbies started: kind, lobby, members, kept until; and those ended again. */
  const started: { kind: string; lobbyId: string; members: readonly string[]; keepUntilMs: number }[] = [];
  const ended: string[] = [];
  const friends = (a: string, b: string) =>
    friendships.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const service = new LobbyService({
    issueTicket,
    friends: {
      areFriends: async (a, b) => friends(a, b),
      friendIdsOf: async (a) => friendships.flatMap(([x, y]) => (x === a ? [y] : y === a ? [x] : [])),
    },
    notify: (userIds, event) => {
      for (const id of userIds) heard.set(id, [...(heard.get(id) ?? []), event]);
    },
    worlds: {
      maxPlayersOf: (kind) => SEATS[kind],
      start: async (kind, lobbyId, members, keepUntilMs) => {
        started.push({ kind, lobbyId, members, keepUntilMs });
        return { worldId: `${kind}-${started.length}` };
      },
      ticket: async ({ worldId }, player) => issueTicket(player, worldId),
      end: async ({ worldId }) => void ended.push(worldId),
    },
    nowMs: () => nowMs,
  });
  return {
    service,
    started,
    ended,
    heard: (userId: string) => heard.get(userId) ?? [],
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

async function codeOf(promise: unknown): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (isShardlineError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('lobbies that start worlds', () => {
  it('start a private instance of the named kind for the members; every ticket names it', async () => {
    const { service, started, heard } = lobbies();
    expect(await codeOf(() => service.create(ann, { world: 'chess' }))).toBe('WORLD_KIND_UNKNOWN');
    const lobby = service.create(ann, { maxPlayers: 2, world: 'arena' });
    expect(lobby.world).toBe('arena');
    await service.join(bob, lobby.id);
    const owners = await service.start(ann.id, lobby.id);
    // Kept while the started lobby hands out tickets (5 min by default), however late members connect.
    expect(started).toEqual([
      { kind: 'arena', lobbyId: lobby.id, members: [ann.id, bob.id], keepUntilMs: 1_000 + 5 * 60_000 },
    ]);
    expect(owners.world).toEqual({ id: 'arena-1', kind: 'arena' });
    const pushed = heard(bob.id).find((event) => event.type === 'lobby.started');
    expect(pushed).toMatchObject({ connect: { world: { id: 'arena-1' } } });
    expect(service.viewOf(lobby.id).worldId).toBe('arena-1');
    // A ticket fetched again names the same instance; no second world is started.
    expect((await service.ticket(bob.id, lobby.id)).world).toEqual({ id: 'arena-1', kind: 'arena' });
    expect(started).toHaveLength(1);
  });

  it("hold no more players than the kind's instances seat", async () => {
    const { service } = lobbies();
    // A duel seats 2: a lobby for one defaults to 2 places and may not ask for more.
    const duel = service.create(ann, { world: 'duel' });
    expect(duel.maxPlayers).toBe(2);
    expect(await codeOf(() => service.update(ann.id, duel.id, { maxPlayers: 3 }))).toBe('LOBBY_INVALID');
    expect(await codeOf(() => service.create(bob, { world: 'duel', maxPlayers: 3 }))).toBe('LOBBY_INVALID');
    const arena = service.create(bob, { world: 'arena', maxPlayers: 8 });
    expect(await codeOf(() => service.update(bob.id, arena.id, { world: 'duel' }))).toBe('LOBBY_INVALID');
    expect(service.update(bob.id, arena.id, { world: 'duel', maxPlayers: 2 }).world).toBe('duel');
  });

  it('start all or nothing: a token that cannot be issued leaves the lobby open and ends its world', async () => {
    const { service, started, ended, heard } = lobbies([], bob.id);
    const lobby = service.create(ann, { world: 'arena' });
    await service.join(bob, lobby.id);
    expect(await codeOf(() => service.start(ann.id, lobby.id))).toBe('WORLD_FULL');
    expect(started).toHaveLength(1);
    expect(ended).toEqual(['arena-1']);
    const view = service.viewOf(lobby.id);
    expect(view.state).toBe('open');
    expect(view.worldId).toBeUndefined();
    expect(service.lobbyOf(ann.id)).toBe(lobby.id);
    expect(service.lobbyOf(bob.id)).toBe(lobby.id);
    expect(heard(ann.id).some((event) => event.type === 'lobby.started')).toBe(false);
  });

  it('take no joins or changes while a start waits for its world; a member who leaves meanwhile is left out', async () => {
    let placeWorld: () => void = () => {};
    const placed = new Promise<void>((resolve) => {
      placeWorld = resolve;
    });
    const heard: { userId: string; event: LobbyEvent }[] = [];
    const service = new LobbyService({
      issueTicket: () => {
        throw new Error('a lobby with a world gets its tokens from the placement');
      },
      friends: { areFriends: async () => false, friendIdsOf: async () => [] },
      notify: (userIds, event) => heard.push(...userIds.map((userId) => ({ userId, event }))),
      worlds: {
        maxPlayersOf: () => 4,
        start: async () => {
          await placed;
          return { worldId: 'w-1', shard: 'east' };
        },
        ticket: async ({ worldId }, player) => ({
          token: `t-${player.userId}`,
          expiresAtMs: 0,
          serverAddresses: [],
          world: { id: worldId, kind: 'arena' },
        }),
        end: async () => {},
      },
    });
    const lobby = service.create(ann, { world: 'arena' });
    await service.join(bob, lobby.id);
    await service.join(cat, lobby.id);
    const starting = service.start(ann.id, lobby.id);
    expect(await codeOf(service.join(dan, lobby.id))).toBe('LOBBY_STARTED');
    expect(await codeOf(() => service.update(ann.id, lobby.id, { maxPlayers: 3 }))).toBe('LOBBY_STARTED');
    expect(await codeOf(() => service.kick(ann.id, lobby.id, bob.id))).toBe('LOBBY_STARTED');
    expect(await codeOf(() => service.start(ann.id, lobby.id))).toBe('LOBBY_STARTED');
    service.leave(cat.id, lobby.id);
    placeWorld();
    expect((await starting).world).toEqual({ id: 'w-1', kind: 'arena' });
    expect(service.viewOf(lobby.id)).toMatchObject({ state: 'started', worldId: 'w-1' });
    const startedFor = heard
      .filter(({ event }) => event.type === 'lobby.started')
      .map(({ userId }) => userId);
    expect(startedFor).toEqual([ann.id, bob.id]);
    expect((await service.ticket(bob.id, lobby.id)).token).toBe(`t-${bob.id}`);
  });

  it('name no world unless asked: a plain lobby hands out tokens naming none', async () => {
    const { service, started } = lobbies();
    const lobby = service.create(ann, {});
    expect((await service.start(ann.id, lobby.id)).world).toBeUndefined();
    expect(started).toEqual([]);
  });
});

describe('lobbies', () => {
  it('creates, joins and pushes every change to the members', async () => {
    const { service, heard } = lobbies();
    const lobby = service.create(ann, { maxPlayers: 3, attributes: { map: 'docks', skill: 1200 } });
    expect(lobby).toMatchObject({ ownerId: ann.id, openSlots: 2, state: 'open', access: 'public' });
    expect(lobby.joinCode).toMatch(/^[A-Z2-9]{8}$/);
    const joined = await service.join(bob, lobby.id);
    expect(joined.members.map((m) => m.username)).toEqual(['ann', 'bob']);
    service.update(ann.id, lobby.id, { attributes: { map: 'mill' } });
    const annHeard = heard(ann.id).map(
      (event) => event.type === 'lobby.updated' && event.lobby.attributes.map,
    );
    expect(annHeard).toEqual(['docks', 'mill']);
    expect(heard(bob.id)).toHaveLength(2);
  });

  it('finds open lobbies by free places, equal attributes and ranges, nearest skill first', async () => {
    const { service } = lobbies();
    const near = service.create(ann, { maxPlayers: 4, attributes: { mode: 'duel', skill: 1500 } });
    const far = service.create(bob, { maxPlayers: 4, attributes: { mode: 'duel', skill: 1900 } });
    service.create(cat, { maxPlayers: 4, attributes: { mode: 'ctf', skill: 1500 } });
    const full = service.create(dan, { maxPlayers: 1, attributes: { mode: 'duel', skill: 1500 } });
    const found = await service.find('u-eve', {
      equals: { mode: 'duel' },
      near: { key: 'skill', value: 1450 },
    });
    expect(found.map((lobby) => lobby.id)).toEqual([near.id, far.id]); // `full` has no free place
    expect(found[0]!.joinCode).toBeUndefined(); // strangers do not see join codes
    const ranged = await service.find('u-eve', { ranges: { skill: { min: 1600 } } });
    expect(ranged.map((lobby) => lobby.id)).toEqual([far.id]);
    expect(await service.find('u-eve', { openSlots: 0, equals: { mode: 'duel' }, limit: 10 })).toHaveLength(
      3,
    );
    expect(full.openSlots).toBe(0);
    expect(await codeOf(service.find('u-eve', { limit: 500 }))).toBe('LOBBY_INVALID');
  });

  it('keeps private lobbies behind their code and friends-only lobbies among friends', async () => {
    const { service } = lobbies([[ann.id, bob.id]]);
    const secret = service.create(ann, { access: 'private' });
    expect(await service.find(cat.id)).toEqual([]);
    expect(await codeOf(service.join(cat, secret.id))).toBe('LOBBY_FORBIDDEN');
    expect(await codeOf(service.join(cat, secret.id, 'WRONGCOD'))).toBe('LOBBY_FORBIDDEN');
    expect(await codeOf(service.get(cat.id, secret.id))).toBe('LOBBY_NOT_FOUND');
    expect((await service.join(cat, secret.id, secret.joinCode)).members).toHaveLength(2);

    const circle = service.create(dan, { access: 'friends' });
    expect(await codeOf(service.join(bob, circle.id))).toBe('LOBBY_FORBIDDEN'); // bob is ann's friend, not dan's
    const friendly = lobbies([[ann.id, bob.id]]).service;
    const annsCircle = friendly.create(ann, { access: 'friends' });
    expect((await friendly.find(bob.id)).map((lobby) => lobby.id)).toEqual([annsCircle.id]);
    expect(await friendly.find(cat.id)).toEqual([]);
    expect((await friendly.join(bob, annsCircle.id)).members).toHaveLength(2);
  });

  it('refuses a full lobby, a second lobby, and a kicked member coming back', async () => {
    const { service, heard } = lobbies();
    const lobby = service.create(ann, { maxPlayers: 2 });
    await service.join(bob, lobby.id);
    expect(await codeOf(service.join(cat, lobby.id))).toBe('LOBBY_FULL');
    expect(await codeOf(() => service.create(bob, {}))).toBe('LOBBY_ALREADY_MEMBER');
    expect(await codeOf(() => service.kick(bob.id, lobby.id, ann.id))).toBe('LOBBY_NOT_OWNER');
    service.kick(ann.id, lobby.id, bob.id);
    expect(heard(bob.id).at(-1)).toEqual({ type: 'lobby.kicked', lobbyId: lobby.id });
    expect(await codeOf(service.join(bob, lobby.id))).toBe('LOBBY_FORBIDDEN');
    expect(await codeOf(() => service.update(ann.id, lobby.id, { maxPlayers: 0 }))).toBe('LOBBY_INVALID');
    expect(await codeOf(() => service.update(ann.id, lobby.id, { attributes: { 'bad key': 1 } }))).toBe(
      'LOBBY_INVALID',
    );
    expect(service.viewOf(lobby.id).attributes).toEqual({}); // refused changes changed nothing
  });

  it('hands the lobby to the longest-standing member when the owner leaves, and closes it when empty', async () => {
    const { service, advance } = lobbies();
    const lobby = service.create(ann, { maxPlayers: 4 });
    advance(10);
    await service.join(bob, lobby.id);
    advance(10);
    await service.join(cat, lobby.id);
    service.leave(ann.id, lobby.id);
    expect(service.viewOf(lobby.id).ownerId).toBe(bob.id);
    service.update(bob.id, lobby.id, { ownerId: cat.id });
    expect(service.viewOf(lobby.id).ownerId).toBe(cat.id);
    service.leave(bob.id, lobby.id);
    service.userGone(cat.id);
    expect(await codeOf(() => service.viewOf(lobby.id))).toBe('LOBBY_NOT_FOUND');
    expect(service.lobbyOf(cat.id)).toBeUndefined();
  });

  it('starts: every member gets their own connect token, and is free to play again', async () => {
    const { service, heard, advance } = lobbies();
    const lobby = service.create(ann, { maxPlayers: 4 });
    await service.join(bob, lobby.id);
    expect(await codeOf(() => service.start(bob.id, lobby.id))).toBe('LOBBY_NOT_OWNER');
    const annTicket = await service.start(ann.id, lobby.id);
    expect(annTicket.token).toBe(`token-for-${ann.id}-in-${lobby.id}`);
    expect(heard(bob.id).at(-1)).toMatchObject({
      type: 'lobby.started',
      connect: { token: `token-for-${bob.id}-in-${lobby.id}` },
    });
    expect((await service.ticket(bob.id, lobby.id)).token).toBe(`token-for-${bob.id}-in-${lobby.id}`);
    expect(await codeOf(() => service.ticket(cat.id, lobby.id))).toBe('LOBBY_NOT_MEMBER');
    expect(await codeOf(service.join(cat, lobby.id))).toBe('LOBBY_STARTED');
    expect(service.create(bob, {}).ownerId).toBe(bob.id); // members are free again
    advance(5 * 60_000);
    service.sweep();
    expect(await codeOf(() => service.ticket(ann.id, lobby.id))).toBe('LOBBY_NOT_FOUND');
  });
});
