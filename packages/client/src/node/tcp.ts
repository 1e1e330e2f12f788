import { connect, type Socket } from 'node:net';
import {
  type ClientTransport,
  encodeFrame,
  FrameDecoder,
  type LinkCloseReason,
  MAX_FRAME_BYTES,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';
import { parseHostPort } from './address.js';

export const TCP_CLIENT_CAPABILITIES: TransportCapabilities = {
  kind: 'tcp',
  reliable: true,
  ordered: true,
  maxDatagramBytes: MAX_FRAME_BYTES,
};

/** TCP client over node:net with length-prefixed frames; Nagle off. */
export class TcpClientTransport implements ClientTransport {
  readonly capabilities = TCP_CLIENT_CAPABILITIES;
  onDatagram: ((datagram: Uint8Array) => void) | undefined;
  onClosed: ((reason: LinkCloseReason) => void) | undefined;
  private socket: Socket | undefined;

  connect(address: string): Promise<void> {
    const { host, port } = parseHostPort(address, 'tcp');
    const decoder = new FrameDecoder(MAX_FRAME_BYTES);
    let reason: LinkCloseReason = 'closed-by-peer';
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true }, () => {
        socket.off('error', reject);
        resolve();
      });
      this.socket = socket;
      socket.once('error', reject);
      socket.on('error', () => {
        reason = 'error';
      });
      socket.on('data', (chunk) => {
        try {
          for (const frame of decoder.push(chunk)) this.onDatagram?.(frame);
        } catch (error) {
          if (!(error instanceof ShardlineError)) throw error;
          reason = 'protocol-error';
          socket.destroy();
        }
      });
      socket.on('close', () => {
        if (this.socket !== socket) return;
        this.socket = undefined;
        this.onClosed?.(reason);
      });
    });
  }

  send(datagram: Uint8Array): boolean {
    if (datagram.length > MAX_FRAME_BYTES) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `datagram of ${datagram.length} bytes exceeds the frame maximum`,
      );
    }
    if (!this.socket || this.socket.destroyed) return false;
    this.socket.write(encodeFrame(datagram));
    return true;
  }

  close(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    socket.end();
    this.onClosed?.('closed-locally');
  }
}
