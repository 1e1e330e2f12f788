import { checkChannel, checkPayload, closedError } from './checks.js';
import type { BusHandler, ClusterBus, Unsubscribe } from './cluster-bus.js';

interface Subscription {
  member: InProcessBus;
  handler: BusHandler;
  active: boolean;
}

/**
 * What joins in-process bus members (e.g. several shards in one process): members built on the same
 * broker hear each other. Deliveries wait in one queue drained on `setImmediate`, so handlers that
 * publish to each other never starve the event loop.
 */
export class InProcessBroker {
  private readonly channels = new Map<string, Set<Subscription>>();
  private readonly queue: { subscription: Subscription; payload: Uint8Array; channel: string }[] = [];
  private draining = false;

  add(channel: string, subscription: Subscription): void {
    const subscriptions = this.channels.get(channel) ?? new Set();
    subscriptions.add(subscription);
    this.channels.set(channel, subscriptions);
  }

  remove(channel: string, subscription: Subscription): void {
    subscription.active = false;
    const subscriptions = this.channels.get(channel);
    subscriptions?.delete(subscription);
    if (subscriptions?.size === 0) this.channels.delete(channel);
  }

  publish(channel: string, payload: Uint8Array): void {
    const subscriptions = this.channels.get(channel);
    if (!subscriptions) return;
    for (const subscription of subscriptions) {
      this.queue.push({ subscription, payload: payload.slice(), channel });
    }
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    // Deliveries queued by handlers during this drain wait for the next one.
    const batch = this.queue.splice(0);
    this.draining = false;
    for (const { subscription, payload, channel } of batch) {
      if (!subscription.active) continue;
      try {
        subscription.handler(payload, channel);
      } catch (error) {
        subscription.member.onHandlerError(error, channel);
      }
    }
  }
}

/** One member of an in-process bus: the embedded default, joining the parts of one server process. */
export class InProcessBus implements ClusterBus {
  onHandlerError: (error: unknown, channel: string) => void = (error, channel) =>
    console.error(`shardline bus: a handler on ${channel} threw`, error);
  private readonly subscriptions = new Set<{ channel: string; subscription: Subscription }>();
  private closed = false;

  /** Members given the same broker hear each other; by default a member has a broker of its own. */
  constructor(private readonly broker: InProcessBroker = new InProcessBroker()) {}

  async publish(channel: string, payload: Uint8Array): Promise<void> {
    if (this.closed) throw closedError();
    checkChannel(channel);
    checkPayload(payload);
    this.broker.publish(channel, payload);
  }

  async subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    if (this.closed) throw closedError();
    checkChannel(channel);
    const entry = { channel, subscription: { member: this, handler, active: true } };
    this.broker.add(channel, entry.subscription);
    this.subscriptions.add(entry);
    return async () => {
      this.subscriptions.delete(entry);
      this.broker.remove(channel, entry.subscription);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { channel, subscription } of this.subscriptions) this.broker.remove(channel, subscription);
    this.subscriptions.clear();
  }
}
