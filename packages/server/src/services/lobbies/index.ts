export { lobbyRoutes } from './http-routes.js';
export {
  type AttributeValue,
  LOBBY_LIMITS,
  type LobbyAccess,
  type LobbyMember,
  type LobbySettings,
  type LobbyView,
} from './lobby.js';
export { type LobbyFilter, MAX_FIND_RESULTS } from './lobby-filter.js';
export {
  type FriendsLookup,
  type LobbyEvent,
  LobbyService,
  type LobbyServiceOptions,
  type LobbyUser,
} from './lobby-service.js';
export { Matchmaker, type MatchmakerOptions, type QueueRequest, type QueueTicket } from './matchmaker.js';
