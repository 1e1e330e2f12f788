import { createServer, type Socket } from 'node:net';
import {
  encodeFrame,
  FrameDecoder,
  type LinkCloseReason,
  MAX_FRAME_BYTES,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';
import { formatAddress, type ListenOptions } from './address.js';
import { StreamServerTransport } from './stream-transport.js';

export const TCP_CAPABILITIES: TransportCapabilities = {
  kind: 'tcp',
  reliable: true,
  ordered: true,
  maxDatagramBytes: MAX_FRAME_BYTES,
};

/** TCP over node:net: each datagram is a frame with a u32 length prefix. Nagle is off. */
export class TcpServerTransport extends StreamServerTransport<Socket> {
  readonly capabilities = TCP_CAPABILITIES;

  constructor(private readonly options: ListenOptions = {}) {
    super();
  }

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
    const peer = this.addPeer('tcp', socket);
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
      this.peerClosed(peer, reason);
    });
  }

  protected isOpen(socket: Socket): boolean {
    return !socket.destroyed;
  }

  protected write(socket: Socket, datagram: Uint8Array): void {
    socket.write(encodeFrame(datagram));
  }

  protected end(socket: Socket): void {
    socket.end();
  }
}
