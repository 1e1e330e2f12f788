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
