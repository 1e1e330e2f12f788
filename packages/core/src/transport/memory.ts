import { ShardlineError } from '../errors.js';
import type { ClientTransport, LinkCloseReason, ServerTransport, TransportCapabilities } from './types.js';

const MEMORY_CAPABILITIES: TransportCapabilities = {
  kind: 'memory',
  reliable: true,
  ordered: true,
  maxDatagramBytes: 1 << 20,
};

/** Delivers after the current call returns, as a real network would, keeping order (a microtask). */
function later(run: () => void): void {
  void Promise.resolve().then(run);
}

/**
 * An in-process network for tests: servers listen on names, clients connect to them, datagrams are
 * copied and delivered asynchronously in order. Wrap links with a LinkConditioner to impair them.
 */
export class MemoryNetwork {
  private readonly servers = new Map<string, MemoryServerTransport>();
  private nextPeer = 1;

  server(name: string): MemoryServerTransport {
    return new MemoryServerTransport(this, name);
  }

  client(): MemoryClientTransport {
    return new MemoryClientTransport(this);
  }

  /** @internal */
  register(name: string, server: MemoryServerTransport): void {
    if (this.servers.has(name)) throw new ShardlineError('VALUE_INVALID', `memory address ${name} is in use`);
    this.servers.set(name, server);
  }

  /** @internal */
  unregister(name: string): void {
    this.servers.delete(name);
  }

  /** @internal */
  attach(name: string, client: MemoryClientTransport): string {
    const server = this.servers.get(name);
    if (!server) throw new ShardlineError('VALUE_INVALID', `nothing listens on memory address ${name}`);
    const peer = `memory:${this.nextPeer++}`;
    server.accept(peer, client);
    return peer;
  }

  /** @internal */
  serverAt(name: string): MemoryServerTransport | undefined {
    return this.servers.get(name);
  }
}

function checkSize(datagram: Uint8Array): void {
  if (datagram.length > MEMORY_CAPABILITIES.maxDatagramBytes) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `datagram of ${datagram.length} bytes exceeds the transport maximum`,
    );
  }
}

export class MemoryServerTransport implements ServerTransport {
  readonly capabilities = MEMORY_CAPABILITIES;
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  private readonly peers = new Map<string, MemoryClientTransport>();
  private listening = false;

  constructor(
    private readonly network: MemoryNetwork,
    private readonly name: string,
  ) {}

  async listen(): Promise<string> {
    this.network.register(this.name, this);
    this.listening = true;
    return this.name;
  }

  /** @internal */
  accept(peer: string, client: MemoryClientTransport): void {
    this.peers.set(peer, client);
  }

  /** @internal */
  deliver(peer: string, datagram: Uint8Array): void {
    if (this.peers.has(peer)) this.onDatagram?.(peer, datagram);
  }

  /** @internal */
  peerLeft(peer: string): void {
    if (this.peers.delete(peer)) this.onPeerClosed?.(peer, 'closed-by-peer');
  }

  send(peer: string, datagram: Uint8Array): boolean {
    checkSize(datagram);
    const client = this.peers.get(peer);
    if (!client) return false;
    const copy = datagram.slice();
    later(() => client.deliver(copy));
    return true;
  }

  disconnect(peer: string): void {
    const client = this.peers.get(peer);
    if (!client) return;
    this.peers.delete(peer);
    later(() => client.serverClosed());
  }

  async close(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    this.network.unregister(this.name);
    for (const peer of [...this.peers.keys()]) this.disconnect(peer);
  }
}

export class MemoryClientTransport implements ClientTransport {
  readonly capabilities = MEMORY_CAPABILITIES;
  onDatagram: ((datagram: Uint8Array) => void) | undefined;
  onClosed: ((reason: LinkCloseReason) => void) | undefined;
  private server: MemoryServerTransport | undefined;
  private peer = '';

  constructor(private readonly network: MemoryNetwork) {}

  async connect(address: string): Promise<void> {
    this.peer = this.network.attach(address, this);
    this.server = this.network.serverAt(address);
  }

  send(datagram: Uint8Array): boolean {
    checkSize(datagram);
    const server = this.server;
    if (!server) return false;
    const copy = datagram.slice();
    const peer = this.peer;
    later(() => server.deliver(peer, copy));
    return true;
  }

  close(): void {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const peer = this.peer;
    later(() => server.peerLeft(peer));
    this.onClosed?.('closed-locally');
  }

  /** @internal */
  deliver(datagram: Uint8Array): void {
    if (this.server) this.onDatagram?.(datagram);
  }

  /** @internal */
  serverClosed(): void {
    if (!this.server) return;
    this.server = undefined;
    this.onClosed?.('closed-by-peer');
  }
}
