import type { ConsumerMessages, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { Unsubscribe } from '../bus/index.js';
import type { EngineMember } from './engine-member.js';
import {
  type AppendResult,
  checkAfter,
  checkEvent,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type EventHandler,
  type EventLog,
  type EventLogOptions,
} from './event-log.js';

/** The JetStream stream behind the event log `name`. */
export const streamOfLog = (name: string) => `SHARDLINE_LOG_${name}`;
/** The subject an event of `subject` is stored under in the log `name`'s stream. */
const subjectPrefix = (name: string) => `shardline.log.${name}.`;

/**
 * The event log on a JetStream stream (decision 0028): `duplicate_window` for the ids (sent as
 * Nats-Msg-Id), `max_msgs_per_subject: 1` for the last event per subject, file storage. Followers
 * are ordered consumers starting at `after + 1`. Opening a log that exists keeps its configuration.
 */
export class NatsEventLog implements EventLog {
  private constructor(
    private readonly client: JetStreamClient,
    private readonly name: string,
    private readonly member: EngineMember,
  ) {}

  static async open(
    client: JetStreamClient,
    manager: JetStreamManager,
    name: string,
    options: EventLogOptions,
    member: EngineMember,
  ): Promise<NatsEventLog> {
    const stream = streamOfLog(name);
    const exists = await manager.streams.info(stream).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await manager.streams.add({
        name: stream,
        subjects: [`${subjectPrefix(name)}>`],
        max_msgs_per_subject: 1,
        duplicate_window: (options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS) * 1_000_000,
        storage: 'file',
      });
    }
    return new NatsEventLog(client, name, member);
  }

  async append(subject: string, id: string, payload: Uint8Array): Promise<AppendResult> {
    this.member.checkOpen();
    checkEvent(subject, id, payload);
    const ack = await this.client.publish(`${subjectPrefix(this.name)}${subject}`, payload, { msgID: id });
    return { sequence: ack.seq, duplicate: ack.duplicate };
  }

  async follow(after: number, handler: EventHandler): Promise<Unsubscribe> {
    this.member.checkOpen();
    checkAfter(after);
    const consumer = await this.client.consumers.get(streamOfLog(this.name), {
      deliver_policy: 'by_start_sequence',
      opt_start_seq: after + 1,
    });
    const messages = await consumer.consume();
    const where = `event log ${this.name}`;
    const prefix = subjectPrefix(this.name);
    this.deliver(messages, handler, where, prefix).catch((error: unknown) => {
      // The consumer ended with its connection (closing, or the engine gone).
      this.member.onHandlerError(error, where);
    });
    return this.member.track(async () => void (await messages.close()));
  }

  private async deliver(
    messages: ConsumerMessages,
    handler: EventHandler,
    where: string,
    prefix: string,
  ): Promise<void> {
    for await (const message of messages) {
      try {
        await handler({
          subject: message.subject.slice(prefix.length),
          id: message.headers?.get('Nats-Msg-Id') ?? '',
          sequence: message.seq,
          payload: message.data.slice(),
          timeMs: message.time.getTime(),
        });
      } catch (error) {
        this.member.onHandlerError(error, where);
      }
    }
  }
}
