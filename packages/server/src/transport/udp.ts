import { createSocket, type Socket } from 'node:dgram';
import {
  DEFAULT_MTU_BYTES,
  type LinkCloseReason,
  type ServerTransport,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';
import { formatAddress, type ListenOptions, parseAddress } from './address.js';

export const UDP_CAPABILITIES: TransportCapabilities = {
  kind: 'udp',
  reliable: false,
  ordered: false,
  maxDatagramBytes: DEFAULT_MTU_BYTES,
};

/**
 * UDP over node:dgram. Peers are `host:port` source addresses; nothing is allocated per peer here —
 * state is the handshake's decision, after a valid challenge (see the connection layer).
 */
export class UdpServerTransport implements ServerTransport {
  readonly capabilities = UDP_CAPABILITIES;
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  private socket: Socket | undefined;
  /** Sends not yet handed to the network: closing waits for them, so last Disconnects still leave. */
  private pendingSends = 0;
  private drained: (() => void) | undefined;

  constructor(private readonly options: ListenOptions = {}) {}

  listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', (message, remote) => {
      if (message.length > this.capabilities.maxDatagramBytes) return; // never produced by a peer of ours
      this.onDatagram?.(formatAddress('udp', remote.address, remote.port), new Uint8Array(message));
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.port ?? 0, host, () => {
        socket.off('error', reject);
        socket.on('error', () => {}); // ICMP port-unreachable and the like: UDP carries on
        resolve(formatAddress('udp', host, socket.address().port));
      });
    });
  }

  send(peer: string, datagram: Uint8Array): boolean {
    if (datagram.length > this.capabilities.maxDatagramBytes) {
      throw new ShardlineError('VALUE_INVALID', `datagram of ${datagram.length} bytes exceeds the MTU`);
    }
    if (!this.socket) return false;
    const { host, port } = parseAddress(peer, 'udp');
    this.pendingSends++;
    this.socket.send(datagram, port, host, () => {
      this.pendingSends--;
      if (this.pendingSends === 0) this.drained?.();
    });
    return true;
  }

  disconnect(): void {}

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    if (this.pendingSends > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.socket = undefined;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
