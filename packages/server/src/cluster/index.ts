export {
  type Directories,
  type Directory,
  type DirectoryEntry,
  type DirectoryOptions,
  MAX_DIRECTORY_KEY_LENGTH,
  MAX_DIRECTORY_VALUE_BYTES,
} from './directory.js';
export { InProcessDirectories } from './in-process-directory.js';
export { NatsDirectories } from './nats-directory.js';
