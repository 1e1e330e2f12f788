export { lobbyRoutes } from './http-routes.js';
export { LOBBY_LIMITS } from './lobby.js';
export { MAX_FIND_RESULTS } from './lobby-filter.js';
export {
  type FriendsLookup,
  type LobbyEvent,
  LobbyService,
  type LobbyServiceOptions,
  type LobbyUser,
  type LobbyWorlds,
} from './lobby-service.js';
export { Matchmaker, type MatchmakerOptions, QUEUE_LIMITS } from './matchmaker.js';
