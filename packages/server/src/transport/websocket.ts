import { type LinkCloseReason, MAX_FRAME_BYTES, type TransportCapabilities } from '@shardline/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { formatAddress, type ListenOptions } from './address.js';
import { StreamServerTransport } from './stream-transport.js';

/** WebSocket close code for a peer that broke the protocol (RFC 6455: 1002). */
const CLOSE_PROTOCOL_ERROR = 1002;

export const WEBSOCKET_CAPABILITIES: TransportCapabilities = {
  kind: 'websocket',
  reliable: true,
  ordered: true,
  maxDatagramBytes: MAX_FRAME_BYTES,
};

/** WebSocket over `ws`: one binary message per datagram; text messages are a protocol error. */
export class WebSocketServerTransport extends StreamServerTransport<WebSocket> {
  readonly capabilities = WEBSOCKET_CAPABILITIES;

  constructor(private readonly options: ListenOptions & { path?: string } = {}) {
    super();
  }

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
    const peer = this.addPeer('ws', socket);
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
      this.peerClosed(peer, reason);
    });
  }

  protected isOpen(socket: WebSocket): boolean {
    return socket.readyState === socket.OPEN;
  }

  protected write(socket: WebSocket, datagram: Uint8Array): void {
    socket.send(datagram, { binary: true });
  }

  protected end(socket: WebSocket): void {
    socket.close(1000);
  }
}
