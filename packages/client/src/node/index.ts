/**
 * @shardline/client/node — client transports that need Node (UDP, TCP). Browsers use WebSocket.
 * Importing it (or `@shardline/client` in Node) fills in Node's defaults: see ./platform.ts.
 */
import './platform.js';

export { TCP_CLIENT_CAPABILITIES, TcpClientTransport } from './tcp.js';
export { UDP_CLIENT_CAPABILITIES, UdpClientTransport } from './udp.js';
