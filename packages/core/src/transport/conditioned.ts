import { LinkConditioner, type LinkSettings } from '../conditioner/link-conditioner.js';
import { monotonicNowMs } from '../replication/time-sync.js';
import type { ClientTransport, LinkCloseReason, ServerTransport, TransportCapabilities } from './types.js';

/** Timers exist in browsers and Node alike; core's ES-only typings do not declare them. */
const timers = globalThis as unknown as {
  setInterval(run: () => void, ms: number): { unref?: () => void };
  clearInterval(handle: unknown): void;
};

/** How often conditioned links deliver what has arrived (ms): the resolution of added latency. */
const POLL_MS = 1;

/**
 * Impairs a real transport in both directions with link conditioners, switchable at runtime
 * (`configure`), so tests and demos run any transport at ugly settings. Over a stream transport
 * (WebSocket, TCP) the links behave as a stream does on a bad network: nothing is lost or reordered,
 * losses cost retransmission delays that hold back each peer's later datagrams (LinkDelivery).
 */
class ConditionedLinks {
  readonly outbound: LinkConditioner<{ length: number; to: string; datagram: Uint8Array }>;
  readonly inbound: LinkConditioner<{ length: number; from: string; datagram: Uint8Array }>;
  private timer: unknown;

  constructor(settings: LinkSettings, seed: number, capabilities: TransportCapabilities) {
    const delivery = capabilities.reliable ? 'stream' : 'datagrams';
    this.outbound = new LinkConditioner(settings, seed, delivery);
    this.inbound = new LinkConditioner(settings, seed + 1, delivery);
  }

  configure(settings: LinkSettings): void {
    this.outbound.configure(settings);
    this.inbound.configure(settings);
  }

  start(deliver: (now: number) => void): void {
    const handle = timers.setInterval(() => deliver(monotonicNowMs()), POLL_MS);
    handle.unref?.();
    this.timer = handle;
  }

  stop(): void {
    if (this.timer !== undefined) timers.clearInterval(this.timer);
    this.timer = undefined;
  }
}

export class ConditionedServerTransport implements ServerTransport {
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  private readonly links: ConditionedLinks;

  constructor(
    private readonly inner: ServerTransport,
    settings: LinkSettings = {},
    seed = 1,
  ) {
    this.links = new ConditionedLinks(settings, seed, inner.capabilities);
    inner.onDatagram = (from, datagram) =>
      this.links.inbound.send({ length: datagram.length, from, datagram }, monotonicNowMs(), from);
    inner.onPeerClosed = (peer, reason) => {
      this.links.inbound.endFlow(peer);
      this.links.outbound.endFlow(peer);
      this.onPeerClosed?.(peer, reason);
    };
  }

  get capabilities(): TransportCapabilities {
    return this.inner.capabilities;
  }

  configure(settings: LinkSettings): void {
    this.links.configure(settings);
  }

  async listen(): Promise<string> {
    const address = await this.inner.listen();
    this.links.start((now) => {
      for (const { to, datagram } of this.links.outbound.receive(now)) this.inner.send(to, datagram);
      for (const { from, datagram } of this.links.inbound.receive(now)) this.onDatagram?.(from, datagram);
    });
    return address;
  }

  send(peer: string, datagram: Uint8Array): boolean {
    this.links.outbound.send(
      { length: datagram.length, to: peer, datagram: datagram.slice() },
      monotonicNowMs(),
      peer,
    );
    return true;
  }

  admitted(peer: string): void {
    this.inner.admitted?.(peer);
  }

  disconnect(peer: string): void {
    this.inner.disconnect(peer);
  }

  async close(): Promise<void> {
    this.links.stop();
    await this.inner.close();
  }
}

export class ConditionedClientTransport implements ClientTransport {
  onDatagram: ((datagram: Uint8Array) => void) | undefined;
  onClosed: ((reason: LinkCloseReason) => void) | undefined;
  private readonly links: ConditionedLinks;
  /** Why the inner link closed, once it did: told when what it carried has arrived. */
  private closedBy: LinkCloseReason | undefined;
  private closeReported = false;

  constructor(
    private readonly inner: ClientTransport,
    settings: LinkSettings = {},
    seed = 101,
  ) {
    this.links = new ConditionedLinks(settings, seed, inner.capabilities);
    inner.onDatagram = (datagram) =>
      this.links.inbound.send({ length: datagram.length, from: '', datagram }, monotonicNowMs());
    inner.onClosed = (reason) => {
      // What the link still carries toward this side (a server's last messages, its Disconnect)
      // arrives first, as it would over a slow link; then the close is told.
      this.closedBy = reason;
      if (this.links.inbound.pending === 0) this.reportClosed();
    };
  }

  get capabilities(): TransportCapabilities {
    return this.inner.capabilities;
  }

  configure(settings: LinkSettings): void {
    this.links.configure(settings);
  }

  async connect(address: string): Promise<void> {
    await this.inner.connect(address);
    this.links.start((now) => {
      if (this.closedBy !== undefined) {
        for (const { datagram } of this.links.inbound.receive(now)) this.onDatagram?.(datagram);
        if (this.links.inbound.pending === 0) this.reportClosed();
        return;
      }
      for (const { datagram } of this.links.outbound.receive(now)) this.inner.send(datagram);
      if (this.closing) {
        // Datagrams already on the link (a last Disconnect) still arrive; then the link closes.
        if (this.links.outbound.pending === 0) {
          this.links.stop();
          this.inner.close();
        }
        return;
      }
      for (const { datagram } of this.links.inbound.receive(now)) this.onDatagram?.(datagram);
    });
  }

  send(datagram: Uint8Array): boolean {
    this.links.outbound.send(
      { length: datagram.length, to: '', datagram: datagram.slice() },
      monotonicNowMs(),
    );
    return true;
  }

  close(): void {
    this.closing = true;
  }

  private closing = false;

  private reportClosed(): void {
    if (this.closeReported) return;
    this.closeReported = true;
    this.links.stop();
    this.onClosed?.(this.closedBy!);
  }
}
