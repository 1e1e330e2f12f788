export { ClientWorld, type ClientWorldOptions, type ReceiveResult } from './client-world.js';
export { type OutgoingSnapshot, ServerWorld, type ServerWorldOptions } from './server-world.js';
export { type AnyEntitySchema, WorldSchema } from './world-schema.js';
export {
  emptyWorldSnapshot,
  NO_BASELINE,
  readWorldSnapshotBody,
  readWorldSnapshotHeader,
  type WorldSnapshot,
  writeWorldSnapshot,
} from './world-snapshot.js';
