import {
  isShardlineError,
  type LobbyEvent,
  LobbyService,
  Matchmaker,
  type MatchmakerOptions,
  ShardlineError,
} from '@shardline/server';
import { describe, expect, it } from 'vitest';

/** A matchmaker over a lobby service, both on a fake clock; pushed events recorded per user. */
function queue(options: MatchmakerOptions = {}) {
  let nowMs = 0;
  /** While set, starting a world fails with it. */
  let worldFailure: Error | undefined;
  const heard = new Map<string, LobbyEvent[]>();
  const lobbies = new LobbyService({
    issueTicket: (player) => ({
      token: `t-${player.userId}`,
      expiresAtMs: nowMs + 60_000,
      serverAddresses: [],
    }),
    worlds: {
      maxPlayersOf: () => 8,
      start: async (kind, lobbyId) => {
        if (worldFailure) throw worldFailure;
        return { worldId: `${kind}#${lobbyId}` };
      },
      ticket: async ({ worldId }, player) => ({
        token: `t-${player.userId}`,
        expiresAtMs: nowMs + 60_000,
        serverAddresses: [],
        world: { id: worldId, kind: worldId.split('#')[0]! },
      }),
      end: async () => {},
    },
    friends: { areFriends: async () => false, friendIdsOf: async () => [] },
    notify: (ids, event) => {
      for (const id of ids) heard.set(id, [...(heard.get(id) ?? []), event]);
    },
    nowMs: () => nowMs,
  });
  const matchmaker = new Matchmaker(lobbies, { nowMs: () => nowMs, ...options });
  const player = (name: string, skill: number, region = 'eu', mode?: string) =>
    matchmaker.enqueue({ id: `u-${name}`, username: name }, { skill, region, ...(mode ? { mode } : {}) });
  return {
    lobbies,
    matchmaker,
    player,
    heard: (id: string) => heard.get(id) ?? [],
    advance: (ms: number) => {
      nowMs += ms;
    },
    failWorldStarts: (failure: Error | undefined) => {
      worldFailure = failure;
    },
  };
}

/** The stable code `act` throws, 'other' for any other error, undefined if it returns. */
function code(act: () => unknown): string | undefined {
  try {
    act();
  } catch (error) {
    return isShardlineError(error) ? error.code : 'other';
  }
  return undefined;
}

const names = (lobby: { members: { username: string }[] }) => lobby.members.map((m) => m.username).sort();

describe('the matchmaker', () => {
  it('pairs the closest skills first, and leaves a far one waiting', async () => {
    const { matchmaker, player } = queue({ matchSize: 2, initialSkillWindow: 100 });
    player('ann', 1000);
    player('bob', 1500);
    player('cat', 1040);
    const [match, ...rest] = await matchmaker.tick();
    expect(rest).toEqual([]);
    expect(names(match!)).toEqual(['ann', 'cat']);
    expect(matchmaker.queued).toBe(1);
    expect(matchmaker.ticketOf('u-bob')).toMatchObject({ skill: 1500, region: 'eu' });
  });

  it('widens the skill window with waiting time until a match is possible', async () => {
    const { matchmaker, player, advance } = queue({
      matchSize: 2,
      initialSkillWindow: 100,
      widenPerSecond: 50,
    });
    player('ann', 1000);
    player('bob', 1300); // 300 apart: both must accept it, so 4 s of widening (100 + 50 × 4)
    expect(await matchmaker.tick()).toEqual([]);
    advance(3_900);
    expect(await matchmaker.tick()).toEqual([]);
    advance(100);
    expect(await matchmaker.tick()).toHaveLength(1);
  });

  it('keeps regions apart until both have waited past anyRegionAfterMs', async () => {
    const { matchmaker, player, advance } = queue({ matchSize: 2, anyRegionAfterMs: 10_000 });
    player('ann', 1000, 'eu');
    advance(5_000);
    player('bob', 1000, 'us');
    advance(5_000);
    expect(await matchmaker.tick()).toEqual([]); // ann has waited 10 s, bob only 5 s
    advance(5_000);
    expect(names((await matchmaker.tick())[0]!)).toEqual(['ann', 'bob']);
  });

  it('never mixes modes, and fills matches of the configured size', async () => {
    const { matchmaker, player, advance } = queue({ matchSize: 3 });
    player('ann', 1000, 'eu', 'duel');
    player('bob', 1000, 'eu', 'ctf');
    player('cat', 1000, 'eu', 'duel');
    advance(60_000);
    expect(await matchmaker.tick()).toEqual([]);
    player('dan', 1010, 'eu', 'duel');
    const [match] = await matchmaker.tick();
    expect(names(match!)).toEqual(['ann', 'cat', 'dan']);
    expect(match!.attributes).toMatchObject({ mode: 'duel', region: 'eu', skillMin: 1000, skillMax: 1010 });
  });

  it('makes a private lobby, owned by the longest waiter, started with a token for everyone', async () => {
    const { matchmaker, player, heard, lobbies } = queue({ matchSize: 2 });
    player('ann', 1000);
    player('bob', 1000);
    const [match] = await matchmaker.tick();
    expect(match).toMatchObject({ access: 'private', ownerId: 'u-ann', state: 'started' });
    for (const id of ['u-ann', 'u-bob']) {
      expect(heard(id).at(-1)).toMatchObject({
        type: 'lobby.started',
        lobbyId: match!.id,
        connect: { token: `t-${id}` },
      });
    }
    expect(lobbies.lobbyOf('u-ann')).toBeUndefined(); // free to queue again
    expect(player('ann', 1000).skill).toBe(1000);
  });

  it('holds a lobby open instead when autoStart is off', async () => {
    const { matchmaker, player, lobbies } = queue({ matchSize: 2, autoStart: false });
    player('ann', 1000);
    player('bob', 1000);
    const [match] = await matchmaker.tick();
    expect(match!.state).toBe('open');
    expect(lobbies.lobbyOf('u-bob')).toBe(match!.id);
  });

  it('refuses bad tickets, a second ticket, and a lobby member; cancels', () => {
    const { matchmaker, player, lobbies } = queue();
    expect(code(() => player('ann', Number.NaN))).toBe('MATCHMAKING_INVALID');
    expect(code(() => player('ann', -1))).toBe('MATCHMAKING_INVALID');
    expect(code(() => player('ann', 1000, 'eu west'))).toBe('MATCHMAKING_INVALID');
    player('ann', 1000);
    expect(code(() => player('ann', 1000))).toBe('MATCHMAKING_ALREADY_QUEUED');
    expect(code(() => lobbies.create({ id: 'u-ann', username: 'ann' }, {}))).toBe('LOBBY_ALREADY_MEMBER');
    lobbies.create({ id: 'u-bob', username: 'bob' }, {});
    expect(code(() => player('bob', 1000))).toBe('MATCHMAKING_ALREADY_QUEUED');
    matchmaker.cancel('u-ann');
    expect(code(() => matchmaker.cancel('u-ann'))).toBe('MATCHMAKING_NOT_QUEUED');
    expect(matchmaker.queued).toBe(0);
  });
});

describe('matches that play in worlds', () => {
  it("start a private world of the mode's kind, or the default kind", async () => {
    const { matchmaker, player, heard } = queue({ world: 'arena', worldsByMode: { duel: 'duel-arena' } });
    player('ann', 1000);
    player('bob', 1000);
    player('cat', 1000, 'eu', 'duel');
    player('dan', 1000, 'eu', 'duel');
    const made = await matchmaker.tick();
    expect(made.map((lobby) => lobby.world).sort()).toEqual(['arena', 'duel-arena']);
    const ticketOf = (id: string) => {
      const event = heard(id).find((e) => e.type === 'lobby.started');
      return event?.type === 'lobby.started' ? event.connect : undefined;
    };
    expect(ticketOf('u-ann')?.world?.kind).toBe('arena');
    expect(ticketOf('u-cat')?.world?.kind).toBe('duel-arena');
    expect(ticketOf('u-cat')?.world?.id).toBe(ticketOf('u-dan')?.world?.id);
  });

  it('queue the players again, in no lobby, when their world cannot start', async () => {
    const { matchmaker, player, lobbies, failWorldStarts } = queue({ world: 'arena' });
    player('ann', 1000);
    player('bob', 1000);
    failWorldStarts(new ShardlineError('WORLD_FULL', 'this process hosts 10000 worlds already'));
    expect(
      await matchmaker.tick().then(
        () => undefined,
        (error) => error.code,
      ),
    ).toBe('WORLD_FULL');
    expect(matchmaker.queued).toBe(2);
    expect(lobbies.lobbyOf('u-ann')).toBeUndefined();
    expect(lobbies.lobbyOf('u-bob')).toBeUndefined();
    expect(lobbies.counts()).toEqual({ open: 0, started: 0 });
    failWorldStarts(undefined);
    const [match] = await matchmaker.tick();
    expect(match?.state).toBe('started');
    expect(matchmaker.queued).toBe(0);
  });

  it('play a mode named like an object property in the default kind', async () => {
    const { matchmaker, player } = queue({ world: 'arena', worldsByMode: { duel: 'duel-arena' } });
    player('ann', 1000, 'eu', 'constructor');
    player('bob', 1000, 'eu', 'constructor');
    expect((await matchmaker.tick()).map((lobby) => lobby.world)).toEqual(['arena']);
  });
});
