export {
  MAX_PRESENCE_BATCH,
  PRESENCE_BEAT_MS,
  PresenceReporter,
  type PresenceReporterOptions,
} from './presence-reporter.js';
export { PRESENCE_LIMITS, PresenceTally } from './presence-tally.js';
export { STREAM_CLOSE, USER_STREAM_PATH, UserStreams, type UserStreamsOptions } from './user-streams.js';
