/**
 * The online services' wire shapes: what the HTTP API (`/v1`, OpenAPI at `/docs`) and the push
 * stream carry, shared by the server that answers them and the client that reads them. Times are ms
 * since the Unix epoch; binary data travels as base64.
 */
import type { WorldFingerprints } from './worlds/fingerprints.js';

export interface ServiceUser {
  id: string;
  username: string;
  /** A device's guest account (no password). */
  guest: boolean;
}

/** A connect token for the game server, as the services hand it out (valid for about a minute). */
export interface ConnectTicket {
  /** The connect token, base64: decode it for the game client's `token`. */
  token: string;
  expiresAtMs: number;
  /** Where it may connect (`udp://…`, `ws://…`). */
  serverAddresses: string[];
  /** The world instance the token names (a world join, or a lobby's start); absent for a token naming none. */
  world?: WorldRef;
}

/** A world instance: its id and kind. */
export interface WorldRef {
  id: string;
  kind: string;
}

/**
 * Asking for a seat (`POST /v1/worlds/join`, `/v1/worlds/create`, `/v1/worlds/{id}/join`): the
 * client's fingerprints of the kind it was built with (a difference is PROTOCOL_MISMATCH, naming
 * the parts), and for join-or-create and create the options a new instance is made with.
 */
export interface WorldSeatRequest {
  kind: string;
  fingerprints: WorldFingerprints;
  options?: Record<string, unknown>;
  /** create only: unlisted (joinable by id) rather than public. */
  private?: boolean;
  /** The server's join password, when it has one (else WORLD_PASSWORD_INVALID). */
  password?: string;
}

/** A public world instance as `GET /v1/worlds?kind=` lists it. */
export interface WorldSummary {
  id: string;
  kind: string;
  /** Seats taken (including those waiting for a dropped player). */
  players: number;
  maxPlayers: number;
  /** Locked: no more players through join-or-create. */
  locked: boolean;
  /** The game's public facts about it. */
  metadata: Record<string, unknown>;
  createdAtMs: number;
}

/** What signing in (register, login, device, refresh) answers. */
export interface SignedIn {
  user: ServiceUser;
  sessionId: string;
  /** For `Authorization: Bearer`; short-lived. */
  accessToken: string;
  accessExpiresAtMs: number;
  /** Trade it for new tokens before it expires; each works once. */
  refreshToken: string;
  refreshExpiresAtMs: number;
  /** When the server runs a game: a connect token for it. */
  connect?: ConnectTicket;
}

export interface FriendEntry {
  userId: string;
  username: string;
  sinceMs: number;
}

/** Everything about one user's friends, each list oldest first. */
export interface FriendsList {
  friends: FriendEntry[];
  /** Requests others sent this user. */
  incoming: FriendEntry[];
  /** Requests this user sent. */
  outgoing: FriendEntry[];
}

/** Who may join: anyone who finds it, only holders of its join code, or the owner's friends. */
export type LobbyAccess = 'public' | 'private' | 'friends';
/** Values a lobby attribute may hold (a map name, a mode, a skill, …). */
export type AttributeValue = string | number;

export interface LobbyMember {
  userId: string;
  username: string;
  joinedAtMs: number;
}

/** A lobby as members see it (others see it without `joinCode`). */
export interface LobbyView {
  id: string;
  ownerId: string;
  access: LobbyAccess;
  maxPlayers: number;
  attributes: Record<string, AttributeValue>;
  members: LobbyMember[];
  openSlots: number;
  state: 'open' | 'started';
  createdAtMs: number;
  /** Members only: what a private lobby's invitees join with. */
  joinCode?: string;
  /** The world kind its start creates a private instance of, if it names one. */
  world?: string;
  /** Once started: the instance its members' connect tokens name. */
  worldId?: string;
}

/** What a lobby's owner may set when creating or changing it. */
export interface LobbySettings {
  maxPlayers?: number;
  access?: LobbyAccess;
  attributes?: Record<string, AttributeValue>;
  /** A world kind the server hosts: the start creates a private instance of it for the members. */
  world?: string;
}

/** How to search for lobbies. Every condition must hold; results come nearest first. */
export interface LobbyFilter {
  /** At least this many free places (default 1). */
  openSlots?: number;
  /** At most this many results (default 10, at most 50). */
  limit?: number;
  /** Attributes that must be exactly these values. */
  equals?: Record<string, AttributeValue>;
  /** Numeric attributes that must lie within these bounds (inclusive). */
  ranges?: Record<string, { min?: number; max?: number }>;
  /** Sort by how close a numeric attribute is to `value` (lobbies without it come last). */
  near?: { key: string; value: number };
}

/** What a player queues with. */
export interface QueueRequest {
  /** A rating (e.g. Elo or MMR), 0–100000. */
  skill: number;
  /** Where they play from (`eu`, `us-east`, …): 1–32 characters. */
  region: string;
  /** The game mode; players only meet others of the same mode. Default `default`. */
  mode?: string;
}

/** A waiting player, as they can read it back. */
export interface QueueTicket {
  userId: string;
  skill: number;
  region: string;
  mode: string;
  queuedAtMs: number;
  /** The skill difference this ticket accepts right now. */
  skillWindow: number;
}

export type LeaderboardOrder = 'desc' | 'asc';
/** What a submit does: keep the better score, keep the latest, or add to it. */
export type LeaderboardOperator = 'best' | 'latest' | 'increment';

/** A board, defined by the game in code (never by clients). */
export interface LeaderboardDefinition {
  /** 1–64 characters of `[A-Za-z0-9_.-]`. */
  id: string;
  order: LeaderboardOrder;
  operator: LeaderboardOperator;
  /** Only the game server writes it: clients' submits are refused (SERVICE_WRITE_FORBIDDEN). */
  authoritative?: boolean;
}

export interface LeaderboardEntry {
  /** 1 for the first place; no two entries of a board share a rank. */
  rank: number;
  userId: string;
  username: string;
  score: number;
  subscore: number;
  metadata: Record<string, unknown> | null;
  /** When the entry last changed. */
  updatedAtMs: number;
}

/** One achievement as a user sees it. */
export interface AchievementState {
  id: string;
  /** True while the title and description are withheld: a hidden achievement not yet unlocked. */
  hidden: boolean;
  title?: string;
  description?: string;
  unlocked: boolean;
  /** null while locked. */
  unlockedAtMs: number | null;
  /** 0 for achievements without a target. */
  progress: number;
  target: number | null;
}

/** A cloud save slot without its data. */
export interface SaveMeta {
  slot: string;
  title: string;
  description: string;
  /** Bytes of data. */
  size: number;
  /** SHA-256 of the data, lower-case hex. */
  checksum: string;
  /** 1 on the slot's first write, +1 on every write after (a deleted slot starts again at 1). */
  version: number;
  updatedAtMs: number;
}

/** What a signed-in user's push stream (`/v1/stream`) delivers. */
export type PushEvent =
  | { type: 'lobby.updated'; lobby: LobbyView }
  | { type: 'lobby.kicked'; lobbyId: string }
  | { type: 'lobby.started'; lobbyId: string; connect: ConnectTicket }
  | { type: 'achievement.unlocked'; achievementId: string; title: string; unlockedAtMs: number };
