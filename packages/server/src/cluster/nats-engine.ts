import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { checkPayload } from '../bus/checks.js';
import type { Unsubscribe } from '../bus/index.js';
import type { Directories } from './directory.js';
import {
  type ClusterEngine,
  checkSubject,
  checkTimeout,
  errorOfFailure,
  failureOfHandler,
  noResponder,
  type RequestHandler,
  timedOut,
} from './engine.js';
import { EngineMember } from './engine-member.js';
import { checkLogName, type EventLog, type EventLogOptions } from './event-log.js';
import { NatsBus } from './nats-bus.js';
import { NatsDirectories } from './nats-directory.js';
import { NatsEventLog } from './nats-event-log.js';

/** The header a failed request's reply carries its error code in (its message in the body). */
export const ERROR_HEADER = 'Shardline-Error';
/** Every member serving a subject joins this queue group, so one of them gets each request. */
const QUEUE_GROUP = 'shardline';

export interface NatsEngineOptions {
  /** The NATS server, e.g. `nats://127.0.0.1:4222`. */
  url: string;
  /** How the connection names itself to the server (its monitoring pages show it). */
  name?: string;
}

/**
 * The cluster engine on NATS with JetStream (decision 0028): requests on core NATS request/reply
 * (a queue group per subject), the bus on core publish/subscribe, directories on key/value buckets,
 * event logs on streams. One connection per member.
 */
export class NatsEngine implements ClusterEngine {
  readonly bus: NatsBus;
  readonly directories: Directories;
  private readonly member: EngineMember;
  private jetStream: Promise<{ client: JetStreamClient; manager: JetStreamManager }> | undefined;

  private constructor(readonly connection: NatsConnection) {
    const bus = new NatsBus(connection, 'shardline.bus');
    this.bus = bus;
    this.directories = new NatsDirectories(connection);
    this.member = new EngineMember((error, where) => bus.onHandlerError(error, where));
  }

  static async connect(options: NatsEngineOptions): Promise<NatsEngine> {
    const connection = await connect({
      servers: options.url,
      ...(options.name ? { name: options.name } : {}),
      // Keep trying for ever: a shard outlives a restart of the engine's server.
      maxReconnectAttempts: -1,
      // No stack traces captured per request: the engine turns NATS errors into ShardlineErrors
      // anyway, and the two Error objects each request made cost ~20 µs (bench:cluster).
      noAsyncTraces: true,
    });
    return new NatsEngine(connection);
  }

  async request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.member.checkOpen();
    checkSubject(subject);
    checkPayload(payload);
    checkTimeout(timeoutMs);
    let reply: Awaited<ReturnType<NatsConnection['request']>>;
    try {
      // A copy: the client may write the payload out after this call returns.
      reply = await this.connection.request(subject, payload.slice(), { timeout: timeoutMs });
    } catch (error) {
      throw requestFailure(error, subject, timeoutMs);
    }
    const code = reply.headers?.get(ERROR_HEADER);
    if (code) throw errorOfFailure(code, new TextDecoder().decode(reply.data));
    return reply.data;
  }

  async serve(subject: string, handler: RequestHandler): Promise<Unsubscribe> {
    this.member.checkOpen();
    checkSubject(subject);
    // Requests wait for the next turn of the event loop (handlers never run inside the delivery),
    // all of one turn's together: their replies then leave in one socket write.
    const waiting: { message: Msg; payload: Uint8Array }[] = [];
    const answer = async ({ message, payload }: { message: Msg; payload: Uint8Array }) => {
      try {
        const reply = await handler(payload);
        checkPayload(reply);
        message.respond(reply);
      } catch (handlerError) {
        const failure = failureOfHandler(handlerError);
        const failureHeaders = headers();
        failureHeaders.set(ERROR_HEADER, failure.code);
        message.respond(new TextEncoder().encode(failure.message), { headers: failureHeaders });
      }
    };
    const subscription = this.connection.subscribe(subject, {
      queue: QUEUE_GROUP,
      callback: (error, message) => {
        if (error) return this.bus.onHandlerError(error, subject);
        if (waiting.push({ message, payload: message.data.slice() }) > 1) return;
        setImmediate(() => {
          for (const next of waiting.splice(0)) void answer(next);
        });
      },
    });
    await this.connection.flush();
    return this.member.track(async () => subscription.unsubscribe());
  }

  async eventLog(name: string, options: EventLogOptions = {}): Promise<EventLog> {
    this.member.checkOpen();
    checkLogName(name);
    const jetStream = await this.jetStreamModule();
    return NatsEventLog.open(jetStream.client, jetStream.manager, name, options, this.member);
  }

  async close(): Promise<void> {
    if (!(await this.member.close())) return;
    await this.bus.close();
    await this.connection.drain();
  }

  /** The JetStream module, loaded with the first event log rather than with the server package. */
  private jetStreamModule(): Promise<{ client: JetStreamClient; manager: JetStreamManager }> {
    this.jetStream ??= import('@nats-io/jetstream').then(async (module) => ({
      client: module.jetstream(this.connection),
      manager: await module.jetstreamManager(this.connection),
    }));
    return this.jetStream;
  }
}

/** A failed NATS request as the contract names it: no responders, a timeout, or the error itself. */
function requestFailure(error: unknown, subject: string, timeoutMs: number): unknown {
  const failure = error as { name?: string; cause?: { name?: string }; isNoResponders?: () => boolean };
  if (failure.isNoResponders?.() || failure.cause?.name === 'NoRespondersError') return noResponder(subject);
  if (failure.name === 'TimeoutError' || failure.cause?.name === 'TimeoutError') {
    return timedOut(subject, timeoutMs);
  }
  return error;
}
