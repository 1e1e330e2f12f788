/**
 * What the services API answers, as the client reads it (the server's JSON; times are ms since the
 * Unix epoch). See /docs on a running server for the full OpenAPI document.
 */

export interface ServiceUser {
  id: string;
  username: string;
  guest: boolean;
}

/** A connect token for the game server: pass `ticketToken(ticket)` to GameClient's `token`. */
export interface ConnectTicket {
  /** base64 */
  token: string;
  expiresAtMs: number;
  serverAddresses: string[];
}

export interface SignedIn {
  user: ServiceUser;
  sessionId: string;
  accessToken: string;
  accessExpiresAtMs: number;
  refreshToken: string;
  refreshExpiresAtMs: number;
  /** Present when the server runs a game: connect right away with it. */
  connect?: ConnectTicket;
}

export type LobbyAccess = 'public' | 'private' | 'friends';
export type AttributeValue = string | number;

export interface LobbyView {
  id: string;
  ownerId: string;
  access: LobbyAccess;
  maxPlayers: number;
  attributes: Record<string, AttributeValue>;
  members: { userId: string; username: string; joinedAtMs: number }[];
  openSlots: number;
  state: 'open' | 'started';
  createdAtMs: number;
  /** Only members see it. */
  joinCode?: string;
}

export interface LobbySettings {
  maxPlayers?: number;
  access?: LobbyAccess;
  attributes?: Record<string, AttributeValue>;
}

export interface LobbyFilter {
  openSlots?: number;
  limit?: number;
  equals?: Record<string, AttributeValue>;
  ranges?: Record<string, { min?: number; max?: number }>;
  near?: { key: string; value: number };
}

export interface QueueTicket {
  userId: string;
  skill: number;
  region: string;
  mode: string;
  queuedAtMs: number;
  skillWindow: number;
}

export interface FriendEntry {
  userId: string;
  username: string;
  sinceMs: number;
}

export interface FriendsList {
  friends: FriendEntry[];
  incoming: FriendEntry[];
  outgoing: FriendEntry[];
}

/** What the push stream delivers. */
export type PushEvent =
  | { type: 'lobby.updated'; lobby: LobbyView }
  | { type: 'lobby.kicked'; lobbyId: string }
  | { type: 'lobby.started'; lobbyId: string; connect: ConnectTicket }
  | { type: 'achievement.unlocked'; achievementId: string; title: string; unlockedAtMs: number };

export interface LeaderboardDefinition {
  id: string;
  order: 'asc' | 'desc';
  operator: 'best' | 'latest' | 'increment';
  authoritative?: boolean;
}

export interface LeaderboardEntry {
  /** 1 for the first place; ties are broken (subscore, then who reached it first), so ranks are unique. */
  rank: number;
  userId: string;
  username: string;
  score: number;
  subscore: number;
  metadata: Record<string, unknown> | null;
  updatedAtMs: number;
}

export interface AchievementState {
  id: string;
  /** True while a hidden achievement's title and description are withheld. */
  hidden: boolean;
  title?: string;
  description?: string;
  unlocked: boolean;
  unlockedAtMs: number | null;
  progress: number;
  target: number | null;
}

export interface SaveMeta {
  slot: string;
  title: string;
  description: string;
  size: number;
  /** SHA-256 of the data, hex. */
  checksum: string;
  version: number;
  updatedAtMs: number;
}

export interface Save extends SaveMeta {
  data: Uint8Array;
}
