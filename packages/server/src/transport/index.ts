export { formatAddress, type ListenOptions, parseAddress } from './address.js';
export {
  DEFAULT_PRE_HANDSHAKE_LIMITS,
  type PendingCloseReason,
  type PendingRefusal,
  type PreHandshakeLimits,
  StreamAdmission,
} from './admission.js';
export type { StreamTransportOptions } from './stream-transport.js';
export { TCP_CAPABILITIES, TcpServerTransport } from './tcp.js';
export {
  UDP_CAPABILITIES,
  UDP_SOCKET_BUFFER_BYTES,
  type UdpListenOptions,
  UdpServerTransport,
} from './udp.js';
export { WEBSOCKET_CAPABILITIES, WebSocketServerTransport } from './websocket.js';
