import type {
  ConnectTicket,
  LobbyFilter,
  LobbySettings,
  LobbyView,
  QueueRequest,
  QueueTicket,
} from '@shardline/core';
import type { LobbyUser } from './lobby-service.js';

/**
 * What the push streams of one process tell the lobbies' coordinator: which users that process
 * holds (they have a stream there, or closed their last one less than the gone time ago). A user
 * held by no process is gone: they leave their lobby and the queue (decision 0017's 30 s rule, kept
 * across processes: decision 0029). `process` names the reporting process (1–64 letters, digits,
 * `_`, `-`).
 */
export interface PresenceDesk {
  /** `process` holds these users now. */
  held(process: string, userIds: readonly string[]): Promise<void>;
  /** `process` no longer holds these users. */
  released(process: string, userIds: readonly string[]): Promise<void>;
  /**
   * One part of the whole list of users `process` holds: the parts of one `round` add up, and the
   * part with `done` makes them its list (users it held before and not in it are released).
   */
  resync(process: string, round: number, userIds: readonly string[], done: boolean): Promise<void>;
  /**
   * `process` is alive. False when the coordinator has no whole list from it (it is new, or the
   * coordinator changed): the process then resyncs.
   */
  beat(process: string): Promise<boolean>;
}

/**
 * Lobbies and the matchmaking queue as the HTTP API uses them, whichever process holds them: the
 * coordinator's own LobbyService and Matchmaker, or (in a cluster, elsewhere) requests to it. Every
 * failure is the ShardlineError the lobby service or matchmaker gave (LOBBY_*, MATCHMAKING_*,
 * WORLD_*), or SERVICE_UNAVAILABLE when the coordinator cannot be reached.
 */
export interface LobbyDesk extends PresenceDesk {
  create(user: LobbyUser, settings: LobbySettings): Promise<LobbyView>;
  find(userId: string, filter: LobbyFilter): Promise<LobbyView[]>;
  get(userId: string, lobbyId: string): Promise<LobbyView>;
  join(user: LobbyUser, lobbyId: string, joinCode?: string): Promise<LobbyView>;
  leave(userId: string, lobbyId: string): Promise<void>;
  kick(ownerId: string, lobbyId: string, userId: string): Promise<void>;
  update(ownerId: string, lobbyId: string, changes: LobbySettings & { ownerId?: string }): Promise<LobbyView>;
  start(ownerId: string, lobbyId: string): Promise<ConnectTicket>;
  ticket(userId: string, lobbyId: string): Promise<ConnectTicket>;
  enqueue(user: LobbyUser, request: QueueRequest): Promise<QueueTicket>;
  cancel(userId: string): Promise<void>;
  /** The user's waiting ticket, or undefined. */
  queueTicket(userId: string): Promise<QueueTicket | undefined>;
}

/** Lobbies and queue figures as this process knows them (the coordinator's; zeros elsewhere). */
export interface LobbyFigures {
  lobbiesOpen: number;
  lobbiesStarted: number;
  queued: number;
}
