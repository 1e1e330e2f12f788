import { checkPayload } from '../bus/checks.js';
import { type ClusterBus, InProcessBroker, InProcessBus, type Unsubscribe } from '../bus/index.js';
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
import { InProcessDirectories } from './in-process-directory.js';
import { InProcessEventLog, InProcessEventLogStore } from './in-process-event-log.js';

/**
 * What joins the shards of one process: members made by the same InProcessCluster share its bus,
 * directories, request subjects and event logs, with the NATS engine's semantics (engine.ts).
 */
export class InProcessCluster {
  readonly broker = new InProcessBroker();
  readonly directories = new InProcessDirectories();
  readonly servers = new Map<string, RequestHandler[]>();
  readonly logs = new Map<string, InProcessEventLogStore>();

  /** A new member (one per shard). */
  member(): ClusterEngine {
    return new InProcessEngine(this);
  }
}

class InProcessEngine implements ClusterEngine {
  readonly bus: ClusterBus;
  private readonly member: EngineMember;

  constructor(private readonly cluster: InProcessCluster) {
    const bus = new InProcessBus(cluster.broker);
    this.bus = bus;
    this.member = new EngineMember((error, where) => bus.onHandlerError(error, where));
  }

  get directories(): Directories {
    this.member.checkOpen();
    return this.cluster.directories;
  }

  async request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    this.member.checkOpen();
    checkSubject(subject);
    checkPayload(payload);
    checkTimeout(timeoutMs);
    const servers = this.cluster.servers.get(subject);
    if (!servers?.length) throw noResponder(subject);
    // Round robin, as a NATS queue group spreads requests over its members.
    const handler = servers.shift()!;
    servers.push(handler);
    const copy = payload.slice();
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => reject(timedOut(subject, timeoutMs)), timeoutMs);
      setImmediate(async () => {
        try {
          const reply = await handler(copy);
          checkPayload(reply);
          resolve(reply.slice());
        } catch (error) {
          const failure = failureOfHandler(error);
          reject(errorOfFailure(failure.code, failure.message));
        } finally {
          clearTimeout(timer);
        }
      });
    });
  }

  async serve(subject: string, handler: RequestHandler): Promise<Unsubscribe> {
    this.member.checkOpen();
    checkSubject(subject);
    const servers = this.cluster.servers.get(subject) ?? [];
    servers.push(handler);
    this.cluster.servers.set(subject, servers);
    return this.member.track(async () => {
      const index = servers.indexOf(handler);
      if (index >= 0) servers.splice(index, 1);
      if (servers.length === 0 && this.cluster.servers.get(subject) === servers) {
        this.cluster.servers.delete(subject);
      }
    });
  }

  async eventLog(name: string, options: EventLogOptions = {}): Promise<EventLog> {
    this.member.checkOpen();
    checkLogName(name);
    let store = this.cluster.logs.get(name);
    if (!store) {
      store = new InProcessEventLogStore(options);
      this.cluster.logs.set(name, store);
    }
    return new InProcessEventLog(store, this.member, name);
  }

  async close(): Promise<void> {
    if (await this.member.close()) await this.bus.close();
  }
}
