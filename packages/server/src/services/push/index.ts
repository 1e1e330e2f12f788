export { STREAM_CLOSE, USER_STREAM_PATH, UserStreams, type UserStreamsOptions } from './user-streams.js';
