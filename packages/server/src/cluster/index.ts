export {
  type AnyClusterEventDeclaration,
  type ClusterEventCatalog,
  type ClusterEventOptions,
  type ClusterEventParams,
  clusterEvent,
  defineClusterEvents,
} from './cluster-event-catalog.js';
export {
  type ClusterEventInfo,
  ClusterEvents,
  DEFAULT_REPORT_DEADLINE_MS,
  MAX_WORLD_SETTINGS_BYTES,
  type RecentClusterEvent,
} from './cluster-events.js';
export {
  type Directories,
  type Directory,
  type DirectoryEntry,
  type DirectoryOptions,
  MAX_DIRECTORY_KEY_LENGTH,
  MAX_DIRECTORY_VALUE_BYTES,
} from './directory.js';
export {
  type ClusterEngine,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_SUBJECT_LENGTH,
  type RequestHandler,
} from './engine.js';
export {
  type AppendResult,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type EventHandler,
  type EventLog,
  type EventLogOptions,
  type LoggedEvent,
  MAX_EVENT_ID_LENGTH,
  MAX_EVENT_PAYLOAD_BYTES,
} from './event-log.js';
export { InProcessDirectories } from './in-process-directory.js';
export { InProcessCluster } from './in-process-engine.js';
export { Lease } from './lease.js';
export { NatsBus } from './nats-bus.js';
export { NatsDirectories } from './nats-directory.js';
export { ERROR_HEADER, NatsEngine, type NatsEngineOptions } from './nats-engine.js';
export { streamOfLog } from './nats-event-log.js';
export * from './portals/index.js';
export * from './services/index.js';
export {
  type ClusterGame,
  type ClusterSettings,
  defineCluster,
  Shard,
  type ShardOf,
  type ShardOptions,
} from './shard.js';
export * from './shard-index/index.js';
export {
  DEFAULT_LEASE_MS,
  type MembershipEvent,
  ShardMembership,
  type ShardSeen,
} from './shard-membership.js';
export {
  DEFAULT_SHARD_RPC_RATE,
  DEFAULT_SHARD_RPC_TIMEOUT_MS,
  type ShardCallContext,
  ShardRpc,
  type ShardTarget,
} from './shard-rpc.js';
export { MAX_SHARD_NAME_LENGTH, type ShardRole, type ShardStatus, type WorldStatus } from './shard-status.js';
