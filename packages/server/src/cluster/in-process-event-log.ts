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
  type LoggedEvent,
} from './event-log.js';

/**
 * The event log inside one process, with the engine's semantics (event-log.ts): sequences that
 * grow, ids remembered for the duplicate window (wall clock), the newest event per subject kept.
 */
export class InProcessEventLogStore {
  private sequence = 0;
  /** The kept event of each subject. */
  private readonly kept = new Map<string, LoggedEvent>();
  /** Each id appended within the window: its sequence and when, ms since the epoch. */
  private readonly ids = new Map<string, { sequence: number; atMs: number }>();
  private readonly followers = new Set<Follower>();
  private readonly duplicateWindowMs: number;

  constructor(options: EventLogOptions = {}) {
    this.duplicateWindowMs = options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  }

  append(subject: string, id: string, payload: Uint8Array): AppendResult {
    const nowMs = Date.now();
    this.forgetIdsBefore(nowMs - this.duplicateWindowMs);
    const seen = this.ids.get(id);
    if (seen) return { sequence: seen.sequence, duplicate: true };
    const event = { subject, id, sequence: ++this.sequence, payload: payload.slice(), timeMs: nowMs };
    this.kept.set(subject, event);
    this.ids.set(id, { sequence: event.sequence, atMs: nowMs });
    for (const follower of this.followers) follower.push(event);
    return { sequence: event.sequence, duplicate: false };
  }

  follow(after: number, handler: EventHandler, onHandlerError: (error: unknown) => void): Unsubscribe {
    const follower = new Follower(handler, (event) => this.kept.get(event.subject) === event, onHandlerError);
    const backlog = [...this.kept.values()].filter((event) => event.sequence > after);
    for (const event of backlog.sort((a, b) => a.sequence - b.sequence)) follower.push(event);
    this.followers.add(follower);
    return async () => {
      follower.stop();
      this.followers.delete(follower);
    };
  }

  private forgetIdsBefore(cutoffMs: number): void {
    // Ids were added in time order, so the oldest come first.
    for (const [id, { atMs }] of this.ids) {
      if (atMs >= cutoffMs) break;
      this.ids.delete(id);
    }
  }
}

/** One follower's queue: events handed over one at a time, each after the previous one's promise. */
class Follower {
  private readonly queue: LoggedEvent[] = [];
  private running = false;
  private stopped = false;

  constructor(
    private readonly handler: EventHandler,
    private readonly stillKept: (event: LoggedEvent) => boolean,
    private readonly onHandlerError: (error: unknown) => void,
  ) {}

  push(event: LoggedEvent): void {
    this.queue.push(event);
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.drain());
    }
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event && !this.stopped; event = this.queue.shift()) {
      if (!this.stillKept(event)) continue;
      try {
        await this.handler({ ...event, payload: event.payload.slice() });
      } catch (error) {
        this.onHandlerError(error);
      }
    }
    this.running = false;
  }
}

/** A member's view of a log: checks its arguments, and stops its followers when the member closes. */
export class InProcessEventLog implements EventLog {
  constructor(
    private readonly store: InProcessEventLogStore,
    private readonly member: EngineMember,
    private readonly name: string,
  ) {}

  async append(subject: string, id: string, payload: Uint8Array): Promise<AppendResult> {
    this.member.checkOpen();
    checkEvent(subject, id, payload);
    return this.store.append(subject, id, payload);
  }

  async follow(after: number, handler: EventHandler): Promise<Unsubscribe> {
    this.member.checkOpen();
    checkAfter(after);
    const where = `event log ${this.name}`;
    return this.member.track(
      this.store.follow(after, handler, (error) => this.member.onHandlerError(error, where)),
    );
  }
}
