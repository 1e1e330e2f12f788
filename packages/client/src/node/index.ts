/** @shardline/client/node — client transports that need Node (UDP, TCP). Browsers use WebSocket. */
export { TCP_CLIENT_CAPABILITIES, TcpClientTransport } from './tcp.js';
export { UDP_CLIENT_CAPABILITIES, UdpClientTransport } from './udp.js';
