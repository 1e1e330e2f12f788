import type {
  ConnectTicket,
  FriendsList,
  LobbyFilter,
  LobbySettings,
  LobbyView,
  QueueTicket,
} from '@shardline/core';
import type { ServiceHttp } from './service-http.js';

const path = (id: string) => `/lobbies/${encodeURIComponent(id)}`;

/** Lobbies: members hear changes on the push stream (`lobby.updated`, `lobby.kicked`, `lobby.started`). */
export class LobbiesClient {
  constructor(private readonly http: ServiceHttp) {}

  create(settings: LobbySettings = {}): Promise<LobbyView> {
    return this.http.authed('POST', '/lobbies', settings);
  }

  async find(filter: LobbyFilter = {}): Promise<LobbyView[]> {
    return (await this.http.authed<{ lobbies: LobbyView[] }>('POST', '/lobbies/search', filter)).lobbies;
  }

  get(lobbyId: string): Promise<LobbyView> {
    return this.http.authed('GET', path(lobbyId));
  }

  join(lobbyId: string, joinCode?: string): Promise<LobbyView> {
    return this.http.authed('POST', `${path(lobbyId)}/join`, joinCode === undefined ? {} : { joinCode });
  }

  leave(lobbyId: string): Promise<void> {
    return this.http.authed('POST', `${path(lobbyId)}/leave`);
  }

  kick(lobbyId: string, userId: string): Promise<void> {
    return this.http.authed('POST', `${path(lobbyId)}/kick`, { userId });
  }

  /** The owner changes settings or hands ownership on (`ownerId`). */
  update(lobbyId: string, changes: LobbySettings & { ownerId?: string }): Promise<LobbyView> {
    return this.http.authed('PATCH', path(lobbyId), changes);
  }

  /** The owner starts the game; returns the owner's connect token (members get theirs pushed). */
  start(lobbyId: string): Promise<ConnectTicket> {
    return this.http.authed('POST', `${path(lobbyId)}/start`);
  }

  /** A fresh connect token for a member of a started lobby. */
  ticket(lobbyId: string): Promise<ConnectTicket> {
    return this.http.authed('POST', `${path(lobbyId)}/ticket`);
  }
}

/** The matchmaking queue: a match arrives on the push stream as `lobby.started`. */
export class MatchmakingClient {
  constructor(private readonly http: ServiceHttp) {}

  queue(request: { skill: number; region: string; mode?: string }): Promise<QueueTicket> {
    return this.http.authed('POST', '/matchmaking/ticket', request);
  }

  async status(): Promise<QueueTicket | undefined> {
    return (await this.http.authed<{ ticket?: QueueTicket }>('GET', '/matchmaking/ticket')).ticket;
  }

  cancel(): Promise<void> {
    return this.http.authed('DELETE', '/matchmaking/ticket');
  }
}

/** Friends: requests by name, accepted by the other side. */
export class FriendsClient {
  constructor(private readonly http: ServiceHttp) {}

  list(): Promise<FriendsList> {
    return this.http.authed('GET', '/friends');
  }

  request(username: string): Promise<{ userId: string; username: string; state: 'requested' | 'friends' }> {
    return this.http.authed('POST', '/friends/requests', { username });
  }

  accept(fromUserId: string): Promise<void> {
    return this.http.authed('POST', `/friends/requests/${encodeURIComponent(fromUserId)}/accept`);
  }

  /** Declines an incoming request or withdraws an outgoing one. */
  dropRequest(otherUserId: string): Promise<void> {
    return this.http.authed('DELETE', `/friends/requests/${encodeURIComponent(otherUserId)}`);
  }

  remove(friendId: string): Promise<void> {
    return this.http.authed('DELETE', `/friends/${encodeURIComponent(friendId)}`);
  }
}
