export { type Claim, PlayerClaims } from './player-claims.js';
export { isConflict, type LocationAt, PlayerDirectory, userIdOfKey } from './player-directory.js';
export {
  decodeLocation,
  encodeLocation,
  MAX_USER_ID_BYTES,
  type PlayerIn,
  type PlayerLeaving,
  type PlayerLocation,
  type PortalEnd,
  playerKey,
} from './player-location.js';
export {
  decodePlayerRecord,
  encodePlayerRecord,
  MAX_PLAYER_ENTITIES,
  type PlayerRecord,
} from './player-record.js';
export {
  DEFAULT_PORTAL_COOLDOWN_MS,
  DEFAULT_TRANSFER_TIMEOUT_MS,
  endKey,
  type PortalDeclarations,
  PortalPairs,
} from './portal-pairs.js';
export { PLAYERS_SWEEP_MS, ShardPlayers, type ShardPlayersOptions } from './shard-players.js';
export { ANSWERS_KEPT_MS, TRANSFER_REQUEST_RATE, TransferDesk } from './transfer-desk.js';
export { transfersSubject } from './transfer-wire.js';
