export { type ChannelConfig, type ChannelKind, isReliable } from './channel.js';
export { type Compressor, compressorFromNodeZlib, type NodeZlibModule } from './compression.js';
export {
  type EndpointOptions,
  type EndpointState,
  type ReceivedMessage,
  ReliableEndpoint,
  type SendType,
} from './endpoint.js';
export * from './limits.js';
export { EntryKind, type PacketEntry, type PacketHeader, readPacket } from './packet.js';
export { nextSequence, SequenceSet, sequenceDelta, sequenceNewer } from './sequence.js';
export type { EndpointStats } from './stats.js';
