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
import type { PlacedWorld, WorldPlacement } from './world-placement.js';

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

export interface LobbyServiceOptions {
  /** Tokens naming no world, for the members of a lobby that names none. */
  issueTicket: IssueConnectTicket;
  /** Where lobbies' worlds are started and their tokens issued (without it, lobbies may name no world). */
  worlds?: WorldPlacement;
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
      starting: false,
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
    checkNotStarted(lobby);
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
    if (lobby.state === 'started' || lobby.starting || lobby.members.length >= lobby.maxPlayers) {
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
    if (lobby.starting) throw new ShardlineError('LOBBY_STARTED', 'that lobby is starting');
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
    checkNotStarted(lobby);
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
   * The owner starts the game: its world is placed (if it names a kind), then every member gets a
   * connect token (pushed as `lobby.started`; the owner's is also returned). Members are then free
   * to join or queue again. All or nothing: if the world cannot be started or a token issued, the
   * world is ended and the lobby stays open. While the start waits, the lobby takes no joins or
   * changes (LOBBY_STARTED); members who leave meanwhile are left out of it, and the owner gets
   * LOBBY_NOT_MEMBER if they left.
   */
  async start(ownerId: string, lobbyId: string): Promise<ConnectTicket> {
    const lobby = this.ownedLobby(ownerId, lobbyId);
    checkNotStarted(lobby);
    lobby.starting = true;
    try {
      const startedAtMs = this.nowMs();
      const { placed, tickets } = await this.placeAndTicket(lobby, startedAtMs);
      lobby.state = 'started';
      lobby.startedAtMs = startedAtMs;
      if (placed !== undefined) {
        lobby.placed = placed;
        lobby.worldId = placed.worldId;
      }
      for (const member of lobby.members) this.memberOf.delete(member.userId);
      this.changed(lobby);
      for (const member of lobby.members) {
        this.options.notify([member.userId], {
          type: 'lobby.started',
          lobbyId: lobby.id,
          connect: tickets.get(member.userId)!,
        });
      }
      const own = lobby.members.some((member) => member.userId === ownerId) && tickets.get(ownerId);
      if (!own) throw new ShardlineError('LOBBY_NOT_MEMBER', 'you left the lobby while it started');
      return own;
    } finally {
      lobby.starting = false;
    }
  }

  /** A fresh connect token for a member of a started lobby (LOBBY_NOT_MEMBER, LOBBY_INVALID if not started). */
  async ticket(userId: string, lobbyId: string): Promise<ConnectTicket> {
    const lobby = this.lobby(lobbyId);
    const member = lobby.members.find((m) => m.userId === userId);
    if (!member) throw new ShardlineError('LOBBY_NOT_MEMBER', 'you are not in that lobby');
    if (lobby.state !== 'started') throw new ShardlineError('LOBBY_INVALID', 'that lobby has not started');
    return this.ticketFor(member, lobby.id, lobby.placed);
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

  /**
   * Places the lobby's world (if it names a kind) and issues a token for each member, by user id.
   * If anything fails, or every member left meanwhile (LOBBY_NOT_FOUND), the world is ended again.
   */
  private async placeAndTicket(
    lobby: Lobby,
    startedAtMs: number,
  ): Promise<{ placed: PlacedWorld | undefined; tickets: Map<string, ConnectTicket> }> {
    const worlds = this.options.worlds;
    const members = [...lobby.members];
    const placed =
      lobby.world === undefined
        ? undefined
        : await worlds!.start(
            lobby.world,
            lobby.id,
            members.map((member) => member.userId),
            startedAtMs + this.startedTtlMs,
          );
    try {
      const issued = await Promise.all(members.map((member) => this.ticketFor(member, lobby.id, placed)));
      if (this.lobbies.get(lobby.id) !== lobby) throw notFound();
      return { placed, tickets: new Map(members.map((member, index) => [member.userId, issued[index]!])) };
    } catch (error) {
      // An end that fails too leaves the world to go once empty past its keepUntilMs.
      if (placed !== undefined) await worlds!.end(placed).catch(() => {});
      throw error;
    }
  }

  private async ticketFor(
    member: LobbyMember,
    lobbyId: string,
    placed: PlacedWorld | undefined,
  ): Promise<ConnectTicket> {
    const player = { userId: member.userId, username: member.username, lobbyId };
    return placed === undefined
      ? this.options.issueTicket(player)
      : this.options.worlds!.ticket(placed, player);
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

/** LOBBY_STARTED for a lobby that has started, or whose start is under way. */
function checkNotStarted(lobby: Lobby): void {
  if (lobby.state === 'started') throw new ShardlineError('LOBBY_STARTED', 'that lobby has started');
  if (lobby.starting) throw new ShardlineError('LOBBY_STARTED', 'that lobby is starting');
}
