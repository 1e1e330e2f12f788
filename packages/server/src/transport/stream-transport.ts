import type { Socket as NetSocket } from 'node:net';
import {
  type LinkCloseReason,
  MAX_FRAME_BYTES,
  type ServerTransport,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';
import type { ListenOptions } from './address.js';
import { type PendingCloseReason, type PendingConnection, StreamAdmission } from './admission.js';

export interface StreamTransportOptions extends ListenOptions {
  /**
   * What connections may cost before they are sessions (timeout, caps, frame size, held bytes). One
   * admission given to several transports shares its caps among them. Default: the transport's own,
   * with DEFAULT_PRE_HANDSHAKE_LIMITS.
   */
  admission?: StreamAdmission;
}

/**
 * What the stream transports (TCP, WebSocket) share: a socket per peer under a generated id, the
 * frame size limit on send, the pre-handshake limits, and closing peers and the listener.
 * Subclasses listen, accept connections (enter, then addPeer), report a closed socket (peerClosed),
 * say how to write to and end a socket, and how to let an admitted peer send full-size frames (lift).
 */
export abstract class StreamServerTransport<Socket> implements ServerTransport {
  abstract readonly capabilities: TransportCapabilities;
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  readonly admission: StreamAdmission;
  /** The listener, once listening. */
  protected server: { close(callback: () => void): unknown } | undefined;
  private readonly sockets = new Map<string, Socket>();
  /** Peers not admitted yet, and their pending places. */
  private readonly pendingPeers = new Map<string, PendingConnection>();
  /** Accepted connections still pending: ended at once when the transport closes. */
  private readonly pendingSockets = new Set<NetSocket>();
  private nextPeer = 1;

  constructor(options: StreamTransportOptions) {
    this.admission = options.admission ?? new StreamAdmission();
  }

  abstract listen(): Promise<string>;
  protected abstract isOpen(socket: Socket): boolean;
  protected abstract write(socket: Socket, datagram: Uint8Array): void;
  /** Ends the socket gracefully. */
  protected abstract end(socket: Socket): void;
  /** The peer was admitted: it may send frames up to MAX_FRAME_BYTES from now on. */
  protected abstract lift(socket: Socket): void;

  /**
   * A connection was accepted: its pending place (`end` closes it when a limit is hit), or undefined
   * if a cap refuses it, in which case it is destroyed at once. It stops pending when it closes.
   */
  protected enter(
    connection: NetSocket,
    end: (reason: PendingCloseReason) => void,
  ): PendingConnection | undefined {
    const pending = this.admission.enter(connection.remoteAddress ?? '', end);
    if (!pending) {
      connection.destroy();
      return undefined;
    }
    this.pendingSockets.add(connection);
    connection.once('close', () => {
      this.pendingSockets.delete(connection);
      this.admission.leave(pending);
    });
    return pending;
  }

  /** Registers an accepted socket, pending until admitted; returns its peer id (`<prefix>:<n>`). */
  protected addPeer(prefix: string, socket: Socket, pending: PendingConnection): string {
    const peer = `${prefix}:${this.nextPeer++}`;
    this.sockets.set(peer, socket);
    this.pendingPeers.set(peer, pending);
    return peer;
  }

  /** The socket closed on its own: reports it once (not after disconnect). */
  protected peerClosed(peer: string, reason: LinkCloseReason): void {
    this.pendingPeers.delete(peer);
    if (this.sockets.delete(peer)) this.onPeerClosed?.(peer, reason);
  }

  /** The server accepted the peer's connect request: no pre-handshake limit applies to it any more. */
  admitted(peer: string): void {
    const pending = this.pendingPeers.get(peer);
    const socket = this.sockets.get(peer);
    if (!pending || !socket) return;
    this.pendingPeers.delete(peer);
    this.admission.leave(pending);
    this.lift(socket);
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
    this.pendingPeers.delete(peer);
    this.end(socket);
    this.onPeerClosed?.(peer, 'closed-locally');
  }

  close(): Promise<void> {
    for (const peer of [...this.sockets.keys()]) this.disconnect(peer);
    for (const connection of this.pendingSockets) connection.destroy();
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
