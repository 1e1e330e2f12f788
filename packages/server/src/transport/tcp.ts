import { createServer, type Socket } from 'node:net';
import {
  encodeFrame,
  FrameDecoder,
  type LinkCloseReason,
  MAX_FRAME_BYTES,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';
import { formatAddress } from './address.js';
import { StreamServerTransport, type StreamTransportOptions } from './stream-transport.js';

export const TCP_CAPABILITIES: TransportCapabilities = {
  kind: 'tcp',
  reliable: true,
  ordered: true,
  maxDatagramBytes: MAX_FRAME_BYTES,
};

interface TcpLink {
  socket: Socket;
  decoder: FrameDecoder;
}

/**
 * TCP over node:net: each datagram is a frame with a u32 length prefix. Nagle is off. Until admitted
 * a peer's frames may be at most `maxPendingFrameBytes`; a connection the pre-handshake limits end
 * is destroyed (no FIN handshake).
 */
export class TcpServerTransport extends StreamServerTransport<TcpLink> {
  readonly capabilities = TCP_CAPABILITIES;

  constructor(private readonly options: StreamTransportOptions = {}) {
    super(options);
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
    let reason: LinkCloseReason = 'closed-by-peer';
    const pending = this.enter(socket, (why) => {
      reason = why === 'frame-too-large' ? 'protocol-error' : 'closed-locally';
      socket.destroy();
    });
    if (!pending) return;
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(this.admission.limits.maxPendingFrameBytes);
    const peer = this.addPeer('tcp', { socket, decoder }, pending);
    socket.on('data', (chunk) => {
      try {
        for (const frame of decoder.push(chunk)) this.onDatagram?.(peer, frame);
      } catch (error) {
        if (!(error instanceof ShardlineError)) throw error;
        if (pending.pending) {
          this.admission.fail(pending, 'frame-too-large');
        } else {
          reason = 'protocol-error';
          socket.destroy();
        }
        return;
      }
      this.admission.hold(pending, decoder.bufferedBytes);
    });
    socket.on('error', () => {
      reason = 'error';
    });
    socket.on('close', () => {
      this.peerClosed(peer, reason);
    });
  }

  protected isOpen(link: TcpLink): boolean {
    return !link.socket.destroyed;
  }

  protected write(link: TcpLink, datagram: Uint8Array): void {
    link.socket.write(encodeFrame(datagram));
  }

  protected end(link: TcpLink): void {
    link.socket.end();
  }

  protected lift(link: TcpLink): void {
    link.decoder.maxFrameBytes = MAX_FRAME_BYTES;
  }
}
