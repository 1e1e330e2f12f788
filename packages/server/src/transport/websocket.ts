import {
  type LinkCloseReason,
  MAX_FRAME_BYTES,
  type ServerTransport,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { formatAddress, type ListenOptions } from './address.js';

/** WebSocket close code for a peer that broke the protocol (RFC 6455: 1002). */
const CLOSE_PROTOCOL_ERROR = 1002;

export const WEBSOCKET_CAPABILITIES: TransportCapabilities = {
  kind: 'websocket',
  reliable: true,
  ordered: true,
  maxDatagramBytes: MAX_FRAME_BYTES,
};

/** WebSocket over `ws`: one binary message per datagram; text messages are a protocol error. */
export class WebSocketServerTransport implements ServerTransport {
  readonly capabilities = WEBSOCKET_CAPABILITIES;
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  private server: WebSocketServer | undefined;
  private readonly sockets = new Map<string, WebSocket>();
  private nextPeer = 1;

  constructor(private readonly options: ListenOptions & { path?: string } = {}) {}

  listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    const server = new WebSocketServer({
      host,
      port: this.options.port ?? 0,
      maxPayload: MAX_FRAME_BYTES,
      ...(this.options.path ? { path: this.options.path } : {}),
    });
    this.server = server;
    server.on('connection', (socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        resolve(`${formatAddress('ws', host, port)}${this.options.path ?? '/'}`);
      });
    });
  }

  private accept(socket: WebSocket): void {
    const peer = `ws:${this.nextPeer++}`;
    this.sockets.set(peer, socket);
    let reason: LinkCloseReason = 'closed-by-peer';
    socket.on('message', (data, isBinary) => {
      if (!isBinary) {
        reason = 'protocol-error';
        socket.close(CLOSE_PROTOCOL_ERROR, 'binary messages only');
        return;
      }
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      this.onDatagram?.(peer, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
    socket.on('error', () => {
      reason = 'error';
    });
    socket.on('close', (code) => {
      if (code === CLOSE_PROTOCOL_ERROR || code === 1009) reason = 'protocol-error';
      if (this.sockets.delete(peer)) this.onPeerClosed?.(peer, reason);
    });
  }

  send(peer: string, datagram: Uint8Array): boolean {
    if (datagram.length > MAX_FRAME_BYTES) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `datagram of ${datagram.length} bytes exceeds the frame maximum`,
      );
    }
    const socket = this.sockets.get(peer);
    if (!socket || socket.readyState !== socket.OPEN) return false;
    socket.send(datagram, { binary: true });
    return true;
  }

  disconnect(peer: string): void {
    const socket = this.sockets.get(peer);
    if (!socket) return;
    this.sockets.delete(peer);
    socket.close(1000);
    this.onPeerClosed?.(peer, 'closed-locally');
  }

  close(): Promise<void> {
    for (const peer of [...this.sockets.keys()]) this.disconnect(peer);
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
