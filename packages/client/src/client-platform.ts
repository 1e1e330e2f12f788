import type { ClientTransport } from '@shardline/core';
import type { WebSocketConstructor } from './transport/websocket.js';

/**
 * What the client takes from its platform when not given it: browsers have a WebSocket and need
 * nothing else; in Node, `@shardline/client` (its `node` export condition) fills this in with `ws`
 * and the UDP transport, so `new ShardlineClient(url)` works there as it is.
 */
export interface ClientPlatform {
  /** The WebSocket class for game links and the push stream. */
  WebSocket?: WebSocketConstructor;
  /** A UDP transport (Node only). */
  createUdpTransport?: () => ClientTransport;
}

const globalWebSocket = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;

export const clientPlatform: ClientPlatform = globalWebSocket ? { WebSocket: globalWebSocket } : {};

/** Fills in what the platform provides (the Node entry calls this once). */
export function setClientPlatform(platform: ClientPlatform): void {
  Object.assign(clientPlatform, platform);
}
