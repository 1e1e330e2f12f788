export {
  JoinedWorld,
  type JoinedWorldOptions,
  type WorldMigration,
  type WorldState,
} from './joined-world.js';
export { ShardlineClient, type ShardlineClientOptions } from './shardline-client.js';
export { type InterpolationOptions, WorldInterpolation } from './world-interpolation.js';
export { connectError, joinError, requestSeat, SEAT_TIMEOUT_MS, type Seated } from './world-link.js';
export { type PredictedWorld, type PredictionOptions, WorldPrediction } from './world-prediction.js';
