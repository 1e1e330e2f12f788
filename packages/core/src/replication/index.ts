export { chooseView, type ViewChoice, type ViewRequest } from './client-view.js';
export { ClientWorld, type ClientWorldOptions, type ReceiveResult } from './client-world.js';
export { type AcceptedInput, InputAuthority, InputSender, readInput, writeInput } from './input.js';
export { InterestGrid, type Viewpoint } from './interest-grid.js';
export {
  decodeSeatMessage,
  encodeSeatMessage,
  MAX_OWNS_PER_MESSAGE,
  MAX_PORTAL_BYTES,
  MAX_REDIRECT_ADDRESS_BYTES,
  MAX_REDIRECT_ADDRESSES,
  MAX_REDIRECT_TOKEN_BYTES,
  MAX_SEAT_BYTES,
  type RedirectMessage,
  type SeatMessage,
} from './seat-messages.js';
export { RECONNECT_TOKEN_BYTES, Seats, type SeatsOptions } from './seats.js';
export {
  type ClientMetrics,
  type OutgoingSnapshot,
  ServerWorld,
  type ServerWorldOptions,
  type WorldMetrics,
} from './server-world.js';
export {
  decodePublish,
  encodePublish,
  type PublishedState,
  StateProxies,
  type StateProxy,
  StatePublisher,
  StateRelay,
} from './state-template.js';
export {
  answerPing,
  type ClockReport,
  MAX_VIEW_DELAY_MS,
  monotonicNowMs,
  readPing,
  TimeSync,
} from './time-sync.js';
export { type AnyEntitySchema, type EntityId, WorldSchema } from './world-schema.js';
export {
  emptyWorldSnapshot,
  NO_BASELINE,
  readWorldSnapshotBody,
  readWorldSnapshotHeader,
  type WorldSnapshot,
  writeWorldSnapshot,
} from './world-snapshot.js';
