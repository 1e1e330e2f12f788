export { connectTicketOf } from './connect-ticket.js';
export { worldRoutes } from './http-routes.js';
export { Player } from './player.js';
export type { Admission, PlayerHomes, PortalArrival } from './player-homes.js';
export { MAX_PINGS_PER_SECOND, type SeatClock } from './seat-clocks.js';
export { MAX_INPUT_MESSAGES_PER_TICK } from './seat-inputs.js';
export {
  type HostedWorld,
  type PlayerArrival,
  type PlayerCall,
  type PortalState,
  type ServeWorldOptions,
  serveWorld,
  type WorldContext,
  type WorldEventListeners,
  type WorldHandlers,
  type WorldRpcHandlers,
  type WorldServer,
} from './serve-world.js';
export {
  HELLO_TIMEOUT_MS,
  MAX_METADATA_BYTES,
  WorldInstance,
  type WorldVisibility,
} from './world-instance.js';
export {
  type CreateWorldOptions,
  DEFAULT_DISPOSE_AFTER_MS,
  DEFAULT_RESERVATION_MS,
  MAX_INSTANCES,
  MAX_WORLD_OPTIONS_BYTES,
  type TicketHolder,
  WorldRuntime,
  type WorldRuntimeOptions,
  type WorldTicket,
} from './world-runtime.js';
export type { RestoredWorld, SavedEntity, SavedWorld } from './world-save.js';
export type { WorldStats } from './world-stats.js';
