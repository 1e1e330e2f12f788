import {
  type LinkCloseReason,
  MAX_FRAME_BYTES,
  type ServerTransport,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';

/**
 * What the stream transports (TCP, WebSocket) share: a socket per peer under a generated id, the
 * frame size limit on send, and closing peers and the listener. Subclasses listen, accept sockets
 * (addPeer), report a closed socket (peerClosed), and say how to write to and end a socket.
 */
export abstract class StreamServerTransport<Socket> implements ServerTransport {
  abstract readonly capabilities: TransportCapabilities;
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  /** The listener, once listening. */
  protected server: { close(callback: () => void): unknown } | undefined;
  private readonly sockets = new Map<string, Socket>();
  private nextPeer = 1;

  abstract listen(): Promise<string>;
  protected abstract isOpen(socket: Socket): boolean;
  protected abstract write(socket: Socket, datagram: Uint8Array): void;
  /** Ends the socket gracefully. */
  protected abstract end(socket: Socket): void;

  /** Registers an accepted socket; returns its peer id (`<prefix>:<n>`). */
  protected addPeer(prefix: string, socket: Socket): string {
    const peer = `${prefix}:${this.nextPeer++}`;
    this.sockets.set(peer, socket);
    return peer;
  }

  /** The socket closed on its own: reports it once (not after disconnect). */
  protected peerClosed(peer: string, reason: LinkCloseReason): void {
    if (this.sockets.delete(peer)) this.onPeerClosed?.(peer, reason);
  }

  send(peer: string, datagram: Uint8Array): boolean {
    if (datagram.length > MAX_FRAME_BYTES) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `datagram of ${datagram.length} bytes exceeds the frame maximum`,
      );
    }
    const socket = this.sockets.get(peer);
    if (!socket || !this.isOpen(socket)) return false;
    this.write(socket, datagram);
    return true;
  }

  disconnect(peer: string): void {
    const socket = this.sockets.get(peer);
    if (!socket) return;
    this.sockets.delete(peer);
    this.end(socket);
    this.onPeerClosed?.(peer, 'closed-locally');
  }

  close(): Promise<void> {
    for (const peer of [...this.sockets.keys()]) this.disconnect(peer);
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
