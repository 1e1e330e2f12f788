export {
  WORLD_CHANNEL,
  WORLD_CHANNELS,
  WORLD_CHANNELS_FINGERPRINT,
  WORLD_RPC_CHANNELS,
} from './channels.js';
export {
  type AnyWorldKind,
  defineWorld,
  type EntitiesOf,
  type InputOf,
  MAX_TICK_HZ,
  MAX_WORLD_PLAYERS,
  type RpcsOf,
  type StateOf,
  WorldKind,
  type WorldKindOptions,
} from './define-world.js';
export {
  ABSENT_FINGERPRINT,
  describeDifferences,
  FINGERPRINT_PARTS,
  type WorldFingerprints,
  worldFingerprints,
  worldKindFingerprint,
} from './fingerprints.js';
export { StarterBody, starterWorld } from './starter.js';
