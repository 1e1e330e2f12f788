export { chacha20Poly1305 } from './chacha20-poly1305.js';
export {
  ClientConnection,
  type ClientConnectionOptions,
  type ClientEvent,
  type ClientState,
} from './client-connection.js';
export { type Aead, counterNonce, KEY_BYTES, NONCE_BYTES, randomBytes, TAG_BYTES } from './crypto.js';
export { type ClientHandshakeState, HANDSHAKE_RESEND_MS, HandshakeClient } from './handshake-client.js';
export {
  CHALLENGE_TIMEOUT_MS,
  type HandshakeDrop,
  type HandshakeResult,
  HandshakeServer,
  type HandshakeServerOptions,
  MAX_REMEMBERED_TOKENS,
  SEALED_CHALLENGE_BYTES,
} from './handshake-server.js';
export { aeadFromNodeCrypto, type NodeCryptoModule } from './node-crypto.js';
export {
  describePacket,
  formatPacketLogLine,
  type PacketLog,
  type PacketLogEntry,
  parsePacketLogLine,
} from './packet-log.js';
export {
  MESSAGE_OVERHEAD_BYTES,
  PacketType,
  REQUEST_BYTES,
  readDenied,
  writeDenied,
  writeMessagePacket,
} from './packets.js';
export {
  PacketProtection,
  PROTECTION_OVERHEAD_BYTES,
  REPLAY_WINDOW,
  ReplayWindow,
  type Unprotected,
} from './protection.js';
export { DISCONNECT_REASONS, type DisconnectReason, reasonCode, reasonFromCode } from './reasons.js';
export {
  type ConnectionHandle,
  DISCONNECT_REDUNDANCY,
  type Outgoing,
  ServerConnections,
  type ServerConnectionsOptions,
  type ServerEvent,
  type TunableEndpointOptions,
} from './server-connections.js';
export {
  type ConnectToken,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  issueConnectToken,
  MAX_ADDRESS_BYTES,
  MAX_CLIENT_ID_BYTES,
  MAX_SERVER_ADDRESSES,
  MAX_USER_DATA_BYTES,
  MAX_WORLD_BYTES,
  openPrivateToken,
  type PrivateToken,
  readConnectToken,
  SEALED_PRIVATE_BYTES,
  TOKEN_MAGIC,
  type TokenGrant,
  type TokenKeys,
} from './token.js';
export { SCHEDULE_GRANULARITY_MS, type Scheduled, UpdateSchedule } from './update-schedule.js';
