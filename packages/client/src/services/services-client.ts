import type { ConnectTicket } from '@shardline/core';
import { clientPlatform } from '../client-platform.js';
import type { WebSocketConstructor } from '../transport/websocket.js';
import { bytesFromBase64 } from './bytes.js';
import { FriendsClient, LobbiesClient, MatchmakingClient } from './lobbies-client.js';
import type { FetchLike } from './platform.js';
import { PushStream } from './push-stream.js';
import { AchievementsClient, LeaderboardsClient, SavesClient } from './records-client.js';
import { ServiceHttp } from './service-http.js';
import { SessionManager, type SessionStorage } from './session-manager.js';
import { WorldsClient } from './worlds-client.js';

export interface ServicesClientOptions {
  /** The server's HTTP address, e.g. `http://127.0.0.1:8080` (no trailing slash). */
  baseUrl: string;
  /** Where the refresh token is kept between runs (`localStorage` in a browser). */
  storage?: SessionStorage;
  /** `fetch` (the global one by default). */
  fetch?: FetchLike;
  /** The WebSocket class for the push stream: the platform's by default (the browser's; `ws` in Node). */
  WebSocket?: WebSocketConstructor;
}

/**
 * A game client's way into the online services: `session` signs in and reports the user; the
 * area clients call the API as that user; `events` is the push stream. Every refusal is a
 * ShardlineError with the server's stable code.
 */
export class ServicesClient {
  readonly session: SessionManager;
  readonly friends: FriendsClient;
  readonly lobbies: LobbiesClient;
  readonly matchmaking: MatchmakingClient;
  readonly leaderboards: LeaderboardsClient;
  readonly achievements: AchievementsClient;
  readonly saves: SavesClient;
  readonly worlds: WorldsClient;
  readonly events: PushStream;

  constructor(options: ServicesClientOptions) {
    const baseUrl = options.baseUrl.replace(/\/$/, '');
    const http = new ServiceHttp(baseUrl, options.fetch);
    this.session = new SessionManager(http, options.storage);
    this.friends = new FriendsClient(http);
    this.lobbies = new LobbiesClient(http);
    this.matchmaking = new MatchmakingClient(http);
    this.leaderboards = new LeaderboardsClient(http);
    this.achievements = new AchievementsClient(http);
    this.saves = new SavesClient(http);
    this.worlds = new WorldsClient(http);
    const WebSocketClass = options.WebSocket ?? clientPlatform.WebSocket;
    this.events = new PushStream(baseUrl, this.session, WebSocketClass!);
  }
}

/** A connect ticket's token as the bytes GameClient takes. */
export function ticketToken(ticket: ConnectTicket): Uint8Array {
  return bytesFromBase64(ticket.token);
}
