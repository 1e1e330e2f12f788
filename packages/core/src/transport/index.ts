export { ConditionedClientTransport, ConditionedServerTransport } from './conditioned.js';
export { encodeFrame, FRAME_HEADER_BYTES, FrameDecoder, MAX_FRAME_BYTES } from './framing.js';
export { MemoryClientTransport, MemoryNetwork, MemoryServerTransport } from './memory.js';
export type {
  ClientTransport,
  LinkCloseReason,
  ServerTransport,
  TransportCapabilities,
  TransportKind,
} from './types.js';
