/**
 * @shardline/client — the game client (browser and Node). It re-exports the isomorphic core so a game
 * shares schemas between client and server, and adds the WebSocket client transport. Node-only
 * transports (UDP, TCP) are in `@shardline/client/node`.
 */
export * from '@shardline/core';
export { type ClientPlatform, clientPlatform, setClientPlatform } from './client-platform.js';
export { GameClient, type GameClientOptions } from './game-client.js';
export * from './services/index.js';
export {
  WEBSOCKET_CLIENT_CAPABILITIES,
  type WebSocketClientOptions,
  WebSocketClientTransport,
  type WebSocketConstructor,
  type WebSocketLike,
} from './transport/websocket.js';
export * from './worlds/index.js';
