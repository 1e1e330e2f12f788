import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type LinkCloseReason, MAX_FRAME_BYTES, type TransportCapabilities } from '@shardline/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { formatAddress, type ListenOptions } from './address.js';
import { StreamServerTransport } from './stream-transport.js';
import { binaryFrame } from './websocket-frame.js';

/** WebSocket close code for a peer that broke the protocol (RFC 6455: 1002). */
const CLOSE_PROTOCOL_ERROR = 1002;

export const WEBSOCKET_CAPABILITIES: TransportCapabilities = {
  kind: 'websocket',
  reliable: true,
  ordered: true,
  maxDatagramBytes: MAX_FRAME_BYTES,
};

/**
 * A peer's link: `ws` reads it (and answers pings, closes); datagrams are written to its stream as
 * whole frames (`binaryFrame`), one write each, which costs less than `ws`'s send (a header buffer and
 * the payload, corked, in a vectored write).
 */
interface WebSocketLink {
  socket: WebSocket;
  /** The connection under `socket` (the upgrade request's). */
  stream: Duplex;
}

/**
 * WebSocket over `ws`: one binary message per datagram; text messages are a protocol error. No
 * extensions are negotiated (no permessage-deflate), so frames written directly are plain ones.
 */
export class WebSocketServerTransport extends StreamServerTransport<WebSocketLink> {
  readonly capabilities = WEBSOCKET_CAPABILITIES;
  /** The datagram framed last, and its frame: one datagram sent to many peers is framed once. */
  private framedDatagram: Uint8Array | undefined;
  private frame: Buffer | undefined;

  constructor(private readonly options: ListenOptions & { path?: string } = {}) {
    super();
  }

  listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    const server = new WebSocketServer({
      host,
      port: this.options.port ?? 0,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      ...(this.options.path ? { path: this.options.path } : {}),
    });
    this.server = server;
    server.on('connection', (socket, request) => this.accept(socket, request));
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

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const peer = this.addPeer('ws', { socket, stream: request.socket });
    let reason: LinkCloseReason = 'closed-by-peer';
    socket.on('message', (data, isBinary) => {
      if (!isBinary) {
        reason = 'protocol-error';
        socket.close(CLOSE_PROTOCOL_ERROR, 'binary messages only');
        return;
      }
      // A Buffer (binaryType 'nodebuffer') that ws hands over for good: viewed, not copied.
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
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

  /** Open: no close frame sent or received yet, so a data frame may still follow. */
  protected isOpen(link: WebSocketLink): boolean {
    return link.socket.readyState === link.socket.OPEN && link.stream.writable;
  }

  protected write(link: WebSocketLink, datagram: Uint8Array): void {
    if (datagram !== this.framedDatagram) {
      this.framedDatagram = datagram;
      this.frame = binaryFrame(datagram);
    }
    link.stream.write(this.frame);
  }

  protected end(link: WebSocketLink): void {
    link.socket.close(1000);
  }
}
