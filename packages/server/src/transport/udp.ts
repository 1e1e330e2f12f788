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
 * A receive and send buffer size to ask for when a server's single UDP socket drops datagrams in
 * the kernel (Linux: RcvbufErrors in /proc/net/snmp; the kernel caps it at net.core.rmem_max and
 * wmem_max, and books twice the size). Linux's default, 208 KiB, holds ~160 small datagrams: a few
 * tens of ms of 100 peers' traffic. Not the default (decision 0025): on an overloaded host a deeper
 * queue made a starved server answer seconds late and lose more handshakes, while on a loaded one it
 * removed the drops. Pass it (or another size) as `receiveBufferBytes`/`sendBufferBytes`.
 */
export const UDP_SOCKET_BUFFER_BYTES = 1024 * 1024;

/** Parsed peer addresses kept for sends, at most (past it the cache starts over). */
const MAX_CACHED_PEERS = 4096;

export interface UdpListenOptions extends ListenOptions {
  /** The socket's receive buffer asked for, bytes (e.g. UDP_SOCKET_BUFFER_BYTES). Default: the system's. */
  receiveBufferBytes?: number;
  /** The socket's send buffer asked for, bytes. Default: the system's. */
  sendBufferBytes?: number;
}

/**
 * UDP over node:dgram. Peers are `host:port` source addresses; nothing is allocated per peer here
 * but a bounded cache of their parsed addresses — state is the handshake's decision, after a valid
 * challenge (see the connection layer).
 */
export class UdpServerTransport implements ServerTransport {
  readonly capabilities = UDP_CAPABILITIES;
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  private socket: Socket | undefined;
  /** Sends not yet handed to the network: closing waits for them, so last Disconnects still leave. */
  private pendingSends = 0;
  private drained: (() => void) | undefined;
  /** Peers' addresses as sends need them (a peer's datagrams go to it every few ms). */
  private readonly sendAddresses = new Map<string, { host: string; port: number }>();
  /** Peers' names by source host and port, so a datagram in builds no string. */
  private readonly peerNames = new Map<string, Map<number, string>>();
  private cachedPeerNames = 0;
  /** One callback for every send (node:dgram calls it once the datagram is handed over). */
  private readonly onSent = () => {
    this.pendingSends--;
    if (this.pendingSends === 0) this.drained?.();
  };

  constructor(private readonly options: UdpListenOptions = {}) {}

  listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    const { receiveBufferBytes, sendBufferBytes } = this.options;
    const socket = createSocket({
      type: host.includes(':') ? 'udp6' : 'udp4',
      ...(receiveBufferBytes !== undefined ? { recvBufferSize: receiveBufferBytes } : {}),
      ...(sendBufferBytes !== undefined ? { sendBufferSize: sendBufferBytes } : {}),
    });
    this.socket = socket;
    socket.on('message', (message, remote) => {
      if (message.length > this.capabilities.maxDatagramBytes) return; // never produced by a peer of ours
      this.onDatagram?.(this.peerName(remote.address, remote.port), new Uint8Array(message));
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
    let address = this.sendAddresses.get(peer);
    if (!address) {
      address = parseAddress(peer, 'udp');
      if (this.sendAddresses.size >= MAX_CACHED_PEERS) this.sendAddresses.clear();
      this.sendAddresses.set(peer, address);
    }
    this.pendingSends++;
    this.socket.send(datagram, address.port, address.host, this.onSent);
    return true;
  }

  /** Socket buffer sizes the kernel granted (Linux reports twice what was asked, within its caps). */
  get bufferSizes(): { receive: number; send: number } | undefined {
    if (!this.socket) return undefined;
    return { receive: this.socket.getRecvBufferSize(), send: this.socket.getSendBufferSize() };
  }

  /** `udp://host:port` of a datagram's source, the same string for the same source. */
  private peerName(host: string, port: number): string {
    let byPort = this.peerNames.get(host);
    if (!byPort) {
      byPort = new Map();
      this.peerNames.set(host, byPort);
    }
    let name = byPort.get(port);
    if (name === undefined) {
      if (this.cachedPeerNames >= MAX_CACHED_PEERS) {
        this.peerNames.clear();
        this.cachedPeerNames = 0;
        byPort = new Map();
        this.peerNames.set(host, byPort);
      }
      name = formatAddress('udp', host, port);
      byPort.set(port, name);
      this.cachedPeerNames++;
    }
    return name;
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
