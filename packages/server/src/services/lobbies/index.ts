export { lobbyRoutes } from './http-routes.js';
export { LOBBY_LIMITS } from './lobby.js';
export {
  DEFAULT_PRESENCE_EXPIRY_MS,
  LOBBY_SWEEP_MS,
  LobbyCoordinator,
  type LobbyCoordinatorOptions,
  MATCHMAKER_TICK_MS,
} from './lobby-coordinator.js';
export type { LobbyDesk, LobbyFigures, PresenceDesk } from './lobby-desk.js';
export { MAX_FIND_RESULTS } from './lobby-filter.js';
export {
  type FriendsLookup,
  type LobbyEvent,
  LobbyService,
  type LobbyServiceOptions,
  type LobbyUser,
} from './lobby-service.js';
export { Matchmaker, type MatchmakerOptions, QUEUE_LIMITS } from './matchmaker.js';
export type { PlacedWorld, WorldPlacement } from './world-placement.js';
