import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { checkChannel, checkPayload, closedError } from '../bus/checks.js';
import type { BusHandler, ClusterBus, Unsubscribe } from '../bus/index.js';

/**
 * The cluster bus on core NATS publish/subscribe: at most once, in order per publisher, as the
 * bus contract says. A channel travels as `<prefix>.<channel in base64url>`, because channel names
 * may hold characters NATS gives meaning to (`.`, `*`, `>`).
 */
export class NatsBus implements ClusterBus {
  onHandlerError: (error: unknown, channel: string) => void = (error, channel) =>
    console.error(`shardline bus: a handler on ${channel} threw`, error);
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  constructor(
    private readonly connection: NatsConnection,
    private readonly prefix: string,
  ) {}

  async publish(channel: string, payload: Uint8Array): Promise<void> {
    if (this.closed) throw closedError();
    checkChannel(channel);
    checkPayload(payload);
    this.connection.publish(this.subjectOf(channel), payload.slice()); // the client may write it out later
  }

  async subscribe(channel: string, handler: BusHandler): Promise<Unsubscribe> {
    if (this.closed) throw closedError();
    checkChannel(channel);
    const subscription = this.connection.subscribe(this.subjectOf(channel), {
      callback: (error, message) => {
        if (error) return this.onHandlerError(error, channel);
        try {
          handler(message.data.slice(), channel);
        } catch (handlerError) {
          this.onHandlerError(handlerError, channel);
        }
      },
    });
    this.subscriptions.add(subscription);
    // The server has the subscription once a round trip has passed.
    await this.connection.flush();
    return async () => {
      this.subscriptions.delete(subscription);
      subscription.unsubscribe();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.clear();
  }

  private subjectOf(channel: string): string {
    return `${this.prefix}.${Buffer.from(channel).toString('base64url')}`;
  }
}
