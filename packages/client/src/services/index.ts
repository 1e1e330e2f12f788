export { FriendsClient, LobbiesClient, MatchmakingClient } from './lobbies-client.js';
export type { FetchLike, FetchResponse } from './platform.js';
export { PushStream } from './push-stream.js';
export { AchievementsClient, LeaderboardsClient, SavesClient } from './records-client.js';
export { type AccessTokenSource, ServiceHttp } from './service-http.js';
export { ServicesClient, type ServicesClientOptions, ticketToken } from './services-client.js';
export { SessionManager, type SessionStorage } from './session-manager.js';
export type { Save } from './types.js';
export { WorldsClient } from './worlds-client.js';
