/**
 * Fills in what the client takes from Node when not given it (see ClientPlatform): the `ws`
 * WebSocket and the UDP transport. Imported for its effect by the package's Node entry, so
 * `new ShardlineClient(url)` works in Node as it is.
 */
import WebSocket from 'ws';
import { setClientPlatform } from '../client-platform.js';
import type { WebSocketConstructor } from '../transport/websocket.js';
import { UdpClientTransport } from './udp.js';

setClientPlatform({
  WebSocket: WebSocket as unknown as WebSocketConstructor,
  createUdpTransport: () => new UdpClientTransport(),
});
