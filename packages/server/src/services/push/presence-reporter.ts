import type { PresenceDesk } from '../lobbies/lobby-desk.js';

/** How often a process tells the coordinator it is alive, ms. */
export const PRESENCE_BEAT_MS = 5_000;
/** Most user ids in one report (500 ids of ≤ 64 characters stay far below an engine payload). */
export const MAX_PRESENCE_BATCH = 500;

export interface PresenceReporterOptions {
  desk: PresenceDesk;
  /** This process's name (PROCESS_NAME). */
  process: string;
  /** Every user this process holds now (UserStreams.heldUsers). */
  heldUsers(): string[];
  /** How often to beat, ms. Default PRESENCE_BEAT_MS. */
  beatMs?: number;
  /** A report or beat failed (the coordinator unreachable); the next beat resyncs. */
  onError(error: unknown): void;
}

/**
 * Tells the lobbies' coordinator which users this process holds (PresenceDesk): each change as it
 * happens, in batches, in order; a beat every `beatMs`; and the whole list when the coordinator
 * asks for it (a new coordinator) or a report failed. Reports go one at a time.
 */
export class PresenceReporter {
  /** Changes not sent yet: user id → held (true) or released (false); the latest wins. */
  private readonly changes = new Map<string, boolean>();
  private work: Promise<void> = Promise.resolve();
  private flushQueued = false;
  /** A report failed since the last resync: the coordinator's list may be wrong. */
  private stale = false;
  private round = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: PresenceReporterOptions) {
    this.timer = setInterval(() => this.beat(), options.beatMs ?? PRESENCE_BEAT_MS);
    this.timer.unref();
    this.beat();
  }

  held(userId: string): void {
    this.change(userId, true);
  }

  released(userId: string): void {
    this.change(userId, false);
  }

  /** Stops beating; reports under way finish. */
  close(): void {
    clearInterval(this.timer);
  }

  private change(userId: string, held: boolean): void {
    this.changes.set(userId, held);
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.queue(async () => {
      this.flushQueued = false;
      await this.flush();
    });
  }

  private beat(): void {
    this.queue(async () => {
      const known = await this.options.desk.beat(this.options.process);
      if (!known || this.stale) await this.resync();
    });
  }

  private queue(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((error) => {
      this.stale = true;
      this.options.onError(error);
    });
  }

  private async flush(): Promise<void> {
    const held: string[] = [];
    const released: string[] = [];
    for (const [userId, isHeld] of this.changes) (isHeld ? held : released).push(userId);
    this.changes.clear();
    const { desk, process } = this.options;
    for (const part of parts(held)) await desk.held(process, part);
    for (const part of parts(released)) await desk.released(process, part);
  }

  /** Sends the whole list (the changes waiting are in it). */
  private async resync(): Promise<void> {
    this.changes.clear();
    const all = parts(this.options.heldUsers());
    if (all.length === 0) all.push([]); // a list of none is a list too
    const round = ++this.round;
    for (const [index, part] of all.entries()) {
      await this.options.desk.resync(this.options.process, round, part, index === all.length - 1);
    }
    this.stale = false;
  }
}

/** `userIds` in batches of at most MAX_PRESENCE_BATCH (none for none). */
function parts(userIds: readonly string[]): string[][] {
  const batches: string[][] = [];
  for (let start = 0; start < userIds.length; start += MAX_PRESENCE_BATCH) {
    batches.push(userIds.slice(start, start + MAX_PRESENCE_BATCH));
  }
  return batches;
}
