import { createSocket, type Socket } from 'node:dgram';
import {
  type ClientTransport,
  DEFAULT_MTU_BYTES,
  type LinkCloseReason,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';
import { parseHostPort } from './address.js';

export const UDP_CLIENT_CAPABILITIES: TransportCapabilities = {
  kind: 'udp',
  reliable: false,
  ordered: false,
  maxDatagramBytes: DEFAULT_MTU_BYTES,
};

/** UDP client over node:dgram, its socket connected to the server so only the server's datagrams arrive. */
export class UdpClientTransport implements ClientTransport {
  readonly capabilities = UDP_CLIENT_CAPABILITIES;
  onDatagram: ((datagram: Uint8Array) => void) | undefined;
  onClosed: ((reason: LinkCloseReason) => void) | undefined;
  private socket: Socket | undefined;
  /** Sends not yet handed to the network: closing waits for them, so a last Disconnect still leaves. */
  private pendingSends = 0;

  connect(address: string): Promise<void> {
    const { host, port } = parseHostPort(address, 'udp');
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', (message) => this.onDatagram?.(new Uint8Array(message)));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        socket.on('error', () => {}); // port unreachable while the server restarts: UDP carries on
        resolve();
      });
    });
  }

  send(datagram: Uint8Array): boolean {
    if (datagram.length > this.capabilities.maxDatagramBytes) {
      throw new ShardlineError('VALUE_INVALID', `datagram of ${datagram.length} bytes exceeds the MTU`);
    }
    const socket = this.socket;
    if (!socket) return false;
    this.pendingSends++;
    socket.send(datagram, () => {
      this.pendingSends--;
      if (this.pendingSends === 0 && this.socket !== socket) socket.close();
    });
    return true;
  }

  close(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    if (this.pendingSends === 0) socket.close();
    this.onClosed?.('closed-locally');
  }
}
