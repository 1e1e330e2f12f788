import { randomUUID } from 'node:crypto';
import {
  type ConnectTicket,
  type LobbyFilter,
  type LobbyMember,
  type LobbySettings,
  type LobbyView,
  ShardlineError,
} from '@shardline/core';
import type { IssueConnectTicket } from '../connect-tickets.js';
import { checkAttributes, checkMaxPlayers, LOBBY_LIMITS } from './lobby.js';
import { matchesFilter, nearness, normaliseFilter } from './lobby-filter.js';
import { forbidden, type Lobby, newJoinCode, notFound, view } from './lobby-record.js';

/** What lobby members hear (over their push stream). */
export type LobbyEvent =
  | { type: 'lobby.updated'; lobby: LobbyView }
  | { type: 'lobby.kicked'; lobbyId: string }
  | { type: 'lobby.started'; lobbyId: string; connect: ConnectTicket };

/** A lobby's maxPlayers when its creator names none (fewer if its world kind seats fewer). */
const DEFAULT_MAX_PLAYERS = 8;
/** How long a started lobby stays readable by default, ms. */
const DEFAULT_STARTED_TTL_MS = 5 * 60_000;

/** The friends the lobbies ask about (friends-only lobbies). */
export interface FriendsLookup {
  areFriends(userId: string, otherId: string): Promise<boolean>;
  friendIdsOf(userId: string): Promise<string[]>;
}

/** The world kinds a lobby may name, and starting an instance for a lobby (see WorldRuntime). */
export interface LobbyWorlds {
  /** How many players an instance of `kind` seats; undefined if the server hosts no such kind. */
  maxPlayersOf(kind: string): number | undefined;
  /**
   * Starts a private instance of `kind` that only the lobby's members may join, kept even while
   * empty until `keepUntilMs` (ms since the epoch: while the started lobby hands out tickets);
   * returns its id.
   */
  start(kind: string, lobbyId: string, memberIds: readonly string[], keepUntilMs: number): string;
  /** Ends an instance `start` made (a start that could not hand out its tickets). */
  end(worldId: string): void;
}

export interface LobbyServiceOptions {
  issueTicket: IssueConnectTicket;
  /** The worlds lobbies start (without it, lobbies may name no world). */
  worlds?: LobbyWorlds;
  friends: FriendsLookup;
  /** Delivers an event to some users (their push streams). */
  notify(userIds: readonly string[], event: LobbyEvent): void;
  /** How long a started lobby stays readable (for members fetching their tickets), ms. Default 5 min. */
  startedLobbyTtlMs?: number;
  nowMs?: () => number;
}

export interface LobbyUser {
  id: string;
  username: string;
}

/**
 * Lobbies, in the memory of the process that serves them: a lobby lives as long as its members are
 * around (they are presence, not records; see decision 0017). A user is in at most one open lobby.
 * Every change is pushed to the lobby's members as `lobby.updated`; when the owner leaves, the
 * longest-standing member becomes owner; the owner's start hands every member a connect token.
 */
export class LobbyService {
  private readonly lobbies = new Map<string, Lobby>();
  /** User id → the open lobby they are in. */
  private readonly memberOf = new Map<string, string>();
  private readonly nowMs: () => number;
  /** Whether a user waits in the matchmaking queue (they may not also join a lobby); set by the matchmaker. */
  isQueued: (userId: string) => boolean = () => false;

  constructor(private readonly options: LobbyServiceOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** LOBBY_ALREADY_MEMBER, LOBBY_INVALID, or the new lobby with `user` as owner and only member. */
  create(user: LobbyUser, settings: LobbySettings): LobbyView {
    this.checkFree(user.id);
    const maxPlayers = checkMaxPlayers(
      settings.maxPlayers ?? Math.min(DEFAULT_MAX_PLAYERS, this.worldSeats(settings.world)),
      1,
    );
    this.checkWorld(settings.world, maxPlayers);
    const nowMs = this.nowMs();
    const lobby: Lobby = {
      id: randomUUID(),
      ownerId: user.id,
      access: settings.access ?? 'public',
      maxPlayers,
      attributes: checkAttributes(settings.attributes ?? {}),
      members: [{ userId: user.id, username: user.username, joinedAtMs: nowMs }],
      state: 'open',
      createdAtMs: nowMs,
      startedAtMs: undefined,
      joinCode: newJoinCode(),
      kicked: new Set(),
      ...(settings.world !== undefined ? { world: settings.world } : {}),
    };
    this.lobbies.set(lobby.id, lobby);
    this.memberOf.set(user.id, lobby.id);
    return view(lobby, true);
  }

  /** Open lobbies `userId` could join that pass `filter`, nearest first (see LobbyFilter). */
  async find(userId: string, filter: LobbyFilter = {}): Promise<LobbyView[]> {
    const checked = normaliseFilter(filter);
    const friends = new Set(await this.options.friends.friendIdsOf(userId));
    const visible = [...this.lobbies.values()].filter(
      (lobby) =>
        lobby.state === 'open' &&
        !lobby.kicked.has(userId) &&
        (lobby.access === 'public' || (lobby.access === 'friends' && friends.has(lobby.ownerId))) &&
        matchesFilter(lobby, checked),
    );
    visible.sort((a, b) => nearness(a, checked) - nearness(b, checked) || a.createdAtMs - b.createdAtMs);
    return visible.slice(0, checked.limit).map((lobby) =>
      view(
        lobby,
        lobby.members.some((m) => m.userId === userId),
      ),
    );
  }

  /** A lobby as `userId` may see it: LOBBY_NOT_FOUND unless they are a member or it is open to them. */
  async get(userId: string, lobbyId: string): Promise<LobbyView> {
    const lobby = this.lobby(lobbyId);
    const member = lobby.members.some((m) => m.userId === userId);
    if (!member && (lobby.access === 'private' || (await this.refused(lobby, userId)))) throw notFound();
    return view(lobby, member);
  }

  /**
   * Joins a lobby: LOBBY_ALREADY_MEMBER (in another), LOBBY_STARTED, LOBBY_FULL, LOBBY_FORBIDDEN (a
   * private lobby without its code, a stranger at a friends-only one, or someone kicked out).
   */
  async join(user: LobbyUser, lobbyId: string, joinCode?: string): Promise<LobbyView> {
    const lobby = this.lobby(lobbyId);
    if (this.memberOf.get(user.id) === lobby.id) return view(lobby, true);
    this.checkFree(user.id);
    if (lobby.state === 'started') throw new ShardlineError('LOBBY_STARTED', 'that lobby has started');
    if (lobby.kicked.has(user.id)) throw forbidden('you were removed from that lobby');
    if (lobby.access === 'private' && joinCode !== lobby.joinCode)
      throw forbidden('that lobby needs its join code');
    if (await this.refused(lobby, user.id)) throw forbidden("that lobby is for its owner's friends");
    // Checked after the await: another join may have taken the last slot meanwhile.
    if (lobby.members.length >= lobby.maxPlayers)
      throw new ShardlineError('LOBBY_FULL', 'that lobby is full');
    this.checkFree(user.id);
    lobby.members.push({ userId: user.id, username: user.username, joinedAtMs: this.nowMs() });
    this.memberOf.set(user.id, lobby.id);
    this.changed(lobby);
    return view(lobby, true);
  }

  /**
   * Adds a member without the access checks (the matchmaker filling the lobby it made): for a user
   * who is in no lobby, into an open lobby with room.
   */
  adopt(lobbyId: string, user: LobbyUser): void {
    const lobby = this.lobby(lobbyId);
    this.checkFree(user.id);
    if (lobby.state === 'started' || lobby.members.length >= lobby.maxPlayers) {
      throw new ShardlineError('LOBBY_FULL', 'that lobby has no room');
    }
    lobby.members.push({ userId: user.id, username: user.username, joinedAtMs: this.nowMs() });
    this.memberOf.set(user.id, lobby.id);
    this.changed(lobby);
  }

  /** A lobby as its members see it (LOBBY_NOT_FOUND): for the server's own code. */
  viewOf(lobbyId: string): LobbyView {
    return view(this.lobby(lobbyId), true);
  }

  /** Leaves a lobby (LOBBY_NOT_MEMBER); an owner leaving hands the lobby on; the last one out closes it. */
  leave(userId: string, lobbyId: string): void {
    const lobby = this.memberLobby(userId, lobbyId);
    this.remove(lobby, userId);
  }

  /** The owner removes a member, who may not come back (LOBBY_NOT_OWNER, LOBBY_NOT_MEMBER). */
  kick(ownerId: string, lobbyId: string, userId: string): void {
    const lobby = this.ownedLobby(ownerId, lobbyId);
    if (userId === ownerId) throw new ShardlineError('LOBBY_INVALID', 'the owner leaves rather than kicks');
    if (!lobby.members.some((m) => m.userId === userId)) {
      throw new ShardlineError('LOBBY_NOT_MEMBER', 'that user is not in the lobby');
    }
    lobby.kicked.add(userId);
    this.remove(lobby, userId);
    this.options.notify([userId], { type: 'lobby.kicked', lobbyId: lobby.id });
  }

  /** The owner changes settings, or hands ownership to another member (`ownerId`). */
  update(ownerId: string, lobbyId: string, changes: LobbySettings & { ownerId?: string }): LobbyView {
    const lobby = this.ownedLobby(ownerId, lobbyId);
    if (lobby.state === 'started') throw new ShardlineError('LOBBY_STARTED', 'that lobby has started');
    const maxPlayers =
      changes.maxPlayers === undefined
        ? lobby.maxPlayers
        : checkMaxPlayers(changes.maxPlayers, lobby.members.length);
    const attributes =
      changes.attributes === undefined
        ? lobby.attributes
        : checkAttributes({ ...lobby.attributes, ...changes.attributes });
    if (changes.ownerId !== undefined && !lobby.members.some((m) => m.userId === changes.ownerId)) {
      throw new ShardlineError('LOBBY_NOT_MEMBER', 'the new owner must be a member');
    }
    this.checkWorld(changes.world ?? lobby.world, maxPlayers);
    Object.assign(lobby, { maxPlayers, attributes, access: changes.access ?? lobby.access });
    if (changes.world !== undefined) lobby.world = changes.world;
    if (changes.ownerId !== undefined) lobby.ownerId = changes.ownerId;
    this.changed(lobby);
    return view(lobby, true);
  }

  /**
   * The owner starts the game: every member gets a connect token (pushed as `lobby.started`; the
   * owner's is also returned). Members are then free to join or queue again. All or nothing: if the
   * world cannot be started or a token issued, the lobby stays open and unchanged.
   */
  start(ownerId: string, lobbyId: string): ConnectTicket {
    const lobby = this.ownedLobby(ownerId, lobbyId);
    if (lobby.state === 'started') throw new ShardlineError('LOBBY_STARTED', 'that lobby has started');
    const startedAtMs = this.nowMs();
    const worlds = this.options.worlds;
    const worldId =
      lobby.world === undefined
        ? undefined
        : worlds!.start(
            lobby.world,
            lobby.id,
            lobby.members.map((member) => member.userId),
            startedAtMs + this.startedTtlMs,
          );
    let tickets: ConnectTicket[];
    try {
      tickets = lobby.members.map((member) => this.ticketFor(member, lobby.id, worldId));
    } catch (error) {
      if (worldId !== undefined) worlds!.end(worldId);
      throw error;
    }
    lobby.state = 'started';
    lobby.startedAtMs = startedAtMs;
    if (worldId !== undefined) lobby.worldId = worldId;
    for (const member of lobby.members) this.memberOf.delete(member.userId);
    this.changed(lobby);
    lobby.members.forEach((member, index) => {
      this.options.notify([member.userId], {
        type: 'lobby.started',
        lobbyId: lobby.id,
        connect: tickets[index]!,
      });
    });
    return tickets[lobby.members.findIndex((member) => member.userId === ownerId)]!;
  }

  /** A fresh connect token for a member of a started lobby (LOBBY_NOT_MEMBER, LOBBY_INVALID if not started). */
  ticket(userId: string, lobbyId: string): ConnectTicket {
    const lobby = this.lobby(lobbyId);
    const member = lobby.members.find((m) => m.userId === userId);
    if (!member) throw new ShardlineError('LOBBY_NOT_MEMBER', 'you are not in that lobby');
    if (lobby.state !== 'started') throw new ShardlineError('LOBBY_INVALID', 'that lobby has not started');
    return this.ticketFor(member, lobby.id, lobby.worldId);
  }

  /** The open lobby a user is in, if any. */
  lobbyOf(userId: string): string | undefined {
    return this.memberOf.get(userId);
  }

  /** A user went away (their push stream closed for good): they leave their open lobby. */
  userGone(userId: string): void {
    const lobbyId = this.memberOf.get(userId);
    if (lobbyId) this.remove(this.lobby(lobbyId), userId);
  }

  /** Forgets started lobbies older than the TTL; the runtime calls it now and then. */
  sweep(): void {
    const cutoff = this.nowMs() - this.startedTtlMs;
    for (const [id, lobby] of this.lobbies) {
      if (lobby.startedAtMs !== undefined && lobby.startedAtMs <= cutoff) this.lobbies.delete(id);
    }
  }

  /** How many lobbies are open and started (for the dashboard and metrics). */
  counts(): { open: number; started: number } {
    let started = 0;
    for (const lobby of this.lobbies.values()) if (lobby.state === 'started') started++;
    return { open: this.lobbies.size - started, started };
  }

  private get startedTtlMs(): number {
    return this.options.startedLobbyTtlMs ?? DEFAULT_STARTED_TTL_MS;
  }

  private ticketFor(member: LobbyMember, lobbyId: string, worldId: string | undefined): ConnectTicket {
    return this.options.issueTicket({ userId: member.userId, username: member.username, lobbyId }, worldId);
  }

  /** The seats of the world kind a lobby names (no kind named: no limit beyond the lobby's own). */
  private worldSeats(world: string | undefined): number {
    return (
      (world === undefined ? undefined : this.options.worlds?.maxPlayersOf(world)) ?? LOBBY_LIMITS.maxPlayers
    );
  }

  /**
   * WORLD_KIND_UNKNOWN for a world kind the server does not host; LOBBY_INVALID for a lobby larger
   * than that kind's instances seat (its start could not seat everyone).
   */
  private checkWorld(world: string | undefined, maxPlayers: number): void {
    if (world === undefined) return;
    const seats = this.options.worlds?.maxPlayersOf(world);
    if (seats === undefined) {
      throw new ShardlineError('WORLD_KIND_UNKNOWN', `no world kind ${JSON.stringify(world)} here`);
    }
    if (maxPlayers > seats) {
      throw new ShardlineError(
        'LOBBY_INVALID',
        `a lobby for world kind ${world} holds at most ${seats} players (maxPlayers is ${maxPlayers})`,
      );
    }
  }

  private remove(lobby: Lobby, userId: string): void {
    lobby.members = lobby.members.filter((m) => m.userId !== userId);
    if (this.memberOf.get(userId) === lobby.id) this.memberOf.delete(userId);
    if (lobby.members.length === 0) {
      this.lobbies.delete(lobby.id);
      return;
    }
    if (lobby.ownerId === userId) lobby.ownerId = lobby.members[0]!.userId; // the longest-standing member
    this.changed(lobby);
  }

  private changed(lobby: Lobby): void {
    this.options.notify(
      lobby.members.map((m) => m.userId),
      { type: 'lobby.updated', lobby: view(lobby, true) },
    );
  }

  private async refused(lobby: Lobby, userId: string): Promise<boolean> {
    return lobby.access === 'friends' && !(await this.options.friends.areFriends(lobby.ownerId, userId));
  }

  private checkFree(userId: string): void {
    if (this.memberOf.has(userId)) {
      throw new ShardlineError('LOBBY_ALREADY_MEMBER', 'you are already in a lobby: leave it first');
    }
    if (this.isQueued(userId)) {
      throw new ShardlineError(
        'LOBBY_ALREADY_MEMBER',
        'you are waiting in the matchmaking queue: cancel first',
      );
    }
  }

  private lobby(lobbyId: string): Lobby {
    const lobby = this.lobbies.get(lobbyId);
    if (!lobby) throw notFound();
    return lobby;
  }

  private memberLobby(userId: string, lobbyId: string): Lobby {
    const lobby = this.lobby(lobbyId);
    if (!lobby.members.some((m) => m.userId === userId)) {
      throw new ShardlineError('LOBBY_NOT_MEMBER', 'you are not in that lobby');
    }
    return lobby;
  }

  private ownedLobby(userId: string, lobbyId: string): Lobby {
    const lobby = this.memberLobby(userId, lobbyId);
    if (lobby.ownerId !== userId) throw new ShardlineError('LOBBY_NOT_OWNER', 'only the owner may do that');
    return lobby;
  }
}
