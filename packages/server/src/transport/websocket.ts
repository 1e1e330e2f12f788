import { createServer, type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type LinkCloseReason, MAX_FRAME_BYTES, type TransportCapabilities } from '@shardline/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { formatAddress } from './address.js';
import type { PendingCloseReason, PendingConnection } from './admission.js';
import { StreamServerTransport, type StreamTransportOptions } from './stream-transport.js';
import { binaryFrame } from './websocket-frame.js';
import { checkReceiverFields, receiverOf } from './ws-receiver.js';

/** WebSocket close code for a peer that broke the protocol (RFC 6455: 1002). */
const CLOSE_PROTOCOL_ERROR = 1002;
/** WebSocket close code for a message over the size limit (RFC 6455: 1009). */
const CLOSE_TOO_BIG = 1009;
/** WebSocket close code for a peer closed by the pre-handshake limits (RFC 6455: 1008, policy violation). */
const CLOSE_POLICY = 1008;

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
  /** Reports the bytes `ws` holds of unfinished frames, after each chunk, while pending. */
  hold: () => void;
}

/** A connection accepted and not admitted yet. */
interface Entered {
  pending: PendingConnection;
  /** Set once upgraded: closes the WebSocket for a pre-handshake limit. */
  closeUpgraded?: (reason: PendingCloseReason) => void;
}

/**
 * WebSocket over `ws`: one binary message per datagram; text messages are a protocol error. No
 * extensions are negotiated (no permessage-deflate), so frames written directly are plain ones.
 * Pre-handshake limits apply from the TCP accept: a connection over a cap is destroyed before its
 * upgrade request is read; one that times out or goes over the held-bytes budget is destroyed if not
 * upgraded yet, else sent close 1008 and ended; a message over `maxPendingFrameBytes` before
 * admission gets close 1009 (from `ws`, at its frame header, before its payload is buffered).
 */
export class WebSocketServerTransport extends StreamServerTransport<WebSocketLink> {
  readonly capabilities = WEBSOCKET_CAPABILITIES;
  /** The datagram framed last, and its frame: one datagram sent to many peers is framed once. */
  private framedDatagram: Uint8Array | undefined;
  private frame: Buffer | undefined;
  private readonly entered = new WeakMap<Socket, Entered>();

  constructor(private readonly options: StreamTransportOptions & { path?: string } = {}) {
    super(options);
  }

  listen(): Promise<string> {
    checkReceiverFields();
    const host = this.options.host ?? '127.0.0.1';
    const http = createServer((_request, response) => {
      response.writeHead(426, { 'Content-Type': 'text/plain' });
      response.end(STATUS_CODES[426]);
    });
    const server = new WebSocketServer({
      server: http,
      // Every connection starts pending; `lift` raises its own limit to MAX_FRAME_BYTES.
      maxPayload: this.admission.limits.maxPendingFrameBytes,
      perMessageDeflate: false,
      // One message per connection per event-loop turn (ws defers the next to setImmediate, and stops
      // reading a socket whose chunk is not done): a flooding peer's read cannot hold the loop while
      // the other peers, and the server's timers, wait.
      allowSynchronousEvents: false,
      ...(this.options.path ? { path: this.options.path } : {}),
    });
    http.on('connection', (connection: Socket) => this.enterConnection(connection));
    server.on('connection', (socket, request) => this.accept(socket, request));
    this.server = {
      close: (done) => {
        server.close();
        http.close(() => done());
      },
    };
    return new Promise((resolve, reject) => {
      server.once('error', reject); // ws re-emits the HTTP server's
      http.listen(this.options.port ?? 0, host, () => {
        server.off('error', reject);
        const address = http.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        resolve(`${formatAddress('ws', host, port)}${this.options.path ?? '/'}`);
      });
    });
  }

  private enterConnection(connection: Socket): void {
    const entered: Partial<Entered> = {};
    const pending = this.enter(connection, (reason) => {
      if (entered.closeUpgraded) entered.closeUpgraded(reason);
      else connection.destroy();
    });
    if (!pending) return;
    entered.pending = pending;
    this.entered.set(connection, entered as Entered);
  }

  private accept(socket: WebSocket, request: IncomingMessage): void {
    const stream = request.socket as Socket;
    const entered = this.entered.get(stream);
    if (!entered) {
      socket.terminate(); // closed while upgrading
      return;
    }
    this.entered.delete(stream);
    const { pending } = entered;
    const receiver = receiverOf(socket);
    const hold = () => this.admission.hold(pending, receiver._bufferedBytes);
    const peer = this.addPeer('ws', { socket, stream, hold }, pending);
    let reason: LinkCloseReason = 'closed-by-peer';
    entered.closeUpgraded = (why) => {
      reason = why === 'frame-too-large' ? 'protocol-error' : 'closed-locally';
      socket.close(CLOSE_POLICY, why === 'timeout' ? 'connect timeout' : why);
      stream.destroySoon();
    };
    stream.on('data', hold); // after ws's own listener: it sees what ws holds once ws has read the chunk
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
    socket.on('error', (error: Error & { code?: string }) => {
      reason = 'error';
      // ws has sent close 1009 and stopped reading; a pending peer is not waited for.
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.admission.fail(pending, 'frame-too-large');
    });
    socket.on('close', (code) => {
      if (code === CLOSE_PROTOCOL_ERROR || code === CLOSE_TOO_BIG) reason = 'protocol-error';
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

  protected lift(link: WebSocketLink): void {
    receiverOf(link.socket)._maxPayload = MAX_FRAME_BYTES;
    link.stream.off('data', link.hold);
  }
}
