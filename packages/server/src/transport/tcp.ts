import { createServer, type Server, type Socket } from 'node:net';
import {
  encodeFrame,
  FrameDecoder,
  type LinkCloseReason,
  MAX_FRAME_BYTES,
  type ServerTransport,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';
import { formatAddress, type ListenOptions } from './address.js';

export const TCP_CAPABILITIES: TransportCapabilities = {
  kind: 'tcp',
  reliable: true,
  ordered: true,
  maxDatagramBytes: MAX_FRAME_BYTES,
};

/** TCP over node:net: each datagram is a frame with a u32 length prefix. Nagle is off. */
export class TcpServerTransport implements ServerTransport {
  readonly capabilities = TCP_CAPABILITIES;
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  private server: Server | undefined;
  private readonly sockets = new Map<string, Socket>();
  private nextPeer = 1;

  constructor(private readonly options: ListenOptions = {}) {}

  listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => {
        server.off('error', reject);
        const address = server.address();
        resolve(formatAddress('tcp', host, typeof address === 'object' && address ? address.port : 0));
      });
    });
  }

  private accept(socket: Socket): void {
    const peer = `tcp:${this.nextPeer++}`;
    this.sockets.set(peer, socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(MAX_FRAME_BYTES);
    let reason: LinkCloseReason = 'closed-by-peer';
    socket.on('data', (chunk) => {
      try {
        for (const frame of decoder.push(chunk)) this.onDatagram?.(peer, frame);
      } catch (error) {
        if (!(error instanceof ShardlineError)) throw error;
        reason = 'protocol-error';
        socket.destroy();
      }
    });
    socket.on('error', () => {
      reason = 'error';
    });
    socket.on('close', () => {
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
    if (!socket || socket.destroyed) return false;
    socket.write(encodeFrame(datagram));
    return true;
  }

  disconnect(peer: string): void {
    const socket = this.sockets.get(peer);
    if (!socket) return;
    this.sockets.delete(peer);
    socket.end();
    this.onPeerClosed?.(peer, 'closed-locally');
  }

  close(): Promise<void> {
    for (const peer of [...this.sockets.keys()]) this.disconnect(peer);
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
