export { ClusterLobbyDesk, type ClusterLobbyDeskOptions } from './cluster-desk.js';
export {
  ClusterPlacement,
  type ClusterPlacementOptions,
  type LiveShards,
  type PlacementStatus,
  SHARD_WORLDS_TIMEOUT_MS,
} from './cluster-placement.js';
export { MAX_PUSH_USERS, PushFanout, type PushFanoutOptions, type PushMessage } from './push-fanout.js';
export { DESK_REQUEST_TIMEOUT_MS, NO_COORDINATOR_WAIT_MS, RemoteLobbyDesk } from './remote-desk.js';
export {
  type CoordinatorRole,
  lobbiesSubject,
  pushChannel,
  type ServicesCluster,
  servicesClusterOf,
  shardWorldsSubject,
} from './services-cluster.js';
export { MAX_KEEP_AHEAD_MS, ShardWorlds, type ShardWorldsOptions } from './shard-worlds.js';
