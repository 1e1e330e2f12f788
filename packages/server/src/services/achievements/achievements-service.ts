import { type AchievementState, ShardlineError } from '@shardline/core';
import type { AchievementsStore } from './achievements-store.js';
import { type AchievementDefinition, checkDefinitions } from './definitions.js';

/** Fired once per achievement a user newly unlocks (never on repeats). */
export interface UnlockEvent {
  userId: string;
  achievementId: string;
  title: string;
  /** ms since the Unix epoch. */
  unlockedAtMs: number;
}

/** Who is writing: a client (through the HTTP API) may not write authoritative achievements. */
export interface WriteSource {
  fromClient: boolean;
}

export interface ProgressResult {
  progress: number;
  unlocked: boolean;
  unlockedAtMs: number | null;
  newlyUnlocked: boolean;
}

/**
 * Achievements the game defines (checked on construction: ACHIEVEMENT_INVALID), kept per user in an
 * AchievementsStore. Unknown ids get ACHIEVEMENT_NOT_FOUND; client writes to authoritative ones get
 * SERVICE_WRITE_FORBIDDEN. `nowMs` is the clock (tests pass their own).
 */
export class AchievementsService {
  private readonly definitions: ReadonlyMap<string, Readonly<AchievementDefinition>>;
  private readonly listeners = new Set<(event: UnlockEvent) => void>();

  constructor(
    private readonly store: AchievementsStore,
    definitions: readonly AchievementDefinition[],
    private readonly nowMs: () => number = Date.now,
  ) {
    this.definitions = checkDefinitions(definitions);
  }

  /** Unlocks it (an incremental one at its full target); idempotent. True if this call unlocked it. */
  async unlock(userId: string, achievementId: string, source: WriteSource): Promise<boolean> {
    const definition = this.writable(achievementId, source);
    const unlockedAtMs = this.nowMs();
    const newly = await this.store.unlock(userId, achievementId, definition.target ?? 0, unlockedAtMs);
    if (newly) this.emit({ userId, achievementId, title: definition.title, unlockedAtMs });
    return newly;
  }

  /**
   * Reports progress on an incremental achievement: it becomes max(current, value), never less, and
   * unlocks once it reaches the target. ACHIEVEMENT_PROGRESS_INVALID for an achievement without a
   * target, or a value that is not a whole number from 0 to Number.MAX_SAFE_INTEGER.
   */
  async progress(
    userId: string,
    achievementId: string,
    value: number,
    source: WriteSource,
  ): Promise<ProgressResult> {
    const definition = this.writable(achievementId, source);
    if (definition.target === undefined)
      throw progressInvalid(`achievement ${achievementId} has no progress, only unlock`);
    if (!Number.isSafeInteger(value) || value < 0) throw progressInvalid('progress is a whole number ≥ 0');
    const outcome = await this.store.progress(userId, achievementId, value, definition.target, this.nowMs());
    if (outcome.newlyUnlocked)
      this.emit({ userId, achievementId, title: definition.title, unlockedAtMs: outcome.unlockedAtMs! });
    return { ...outcome, unlocked: outcome.unlockedAtMs !== null };
  }

  /** Whether the user has unlocked it; ACHIEVEMENT_NOT_FOUND for an id the game does not define. */
  async have(userId: string, achievementId: string): Promise<boolean> {
    this.definition(achievementId);
    return ((await this.store.record(userId, achievementId))?.unlockedAtMs ?? null) !== null;
  }

  /** Every defined achievement, in definition order, as `userId` sees it. */
  async enumerate(userId: string): Promise<AchievementState[]> {
    const records = new Map((await this.store.recordsOf(userId)).map((r) => [r.achievementId, r]));
    return [...this.definitions.values()].map((definition) => {
      const record = records.get(definition.id);
      const unlockedAtMs = record?.unlockedAtMs ?? null;
      const withheld = definition.hidden === true && unlockedAtMs === null;
      return {
        id: definition.id,
        hidden: withheld,
        ...(withheld ? {} : { title: definition.title }),
        ...(withheld || definition.description === undefined ? {} : { description: definition.description }),
        unlocked: unlockedAtMs !== null,
        unlockedAtMs,
        progress: record?.progress ?? 0,
        target: definition.target ?? null,
      };
    });
  }

  /**
   * Calls `listener` once for every new unlock, after it is stored. A listener that throws stops
   * neither the others nor the write (its error goes to console.error). Returns the unsubscribe.
   */
  onUnlock(listener: (event: UnlockEvent) => void): () => void {
    // A wrapper per call: the same function subscribed twice is called twice, and unsubscribed once each.
    const subscription = (event: UnlockEvent) => listener(event);
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }

  private emit(event: UnlockEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('shardline achievements: an unlock listener failed:', error);
      }
    }
  }

  private definition(achievementId: string): Readonly<AchievementDefinition> {
    const definition = typeof achievementId === 'string' ? this.definitions.get(achievementId) : undefined;
    if (!definition)
      throw new ShardlineError(
        'ACHIEVEMENT_NOT_FOUND',
        `there is no achievement ${JSON.stringify(achievementId)}`,
      );
    return definition;
  }

  private writable(achievementId: string, source: WriteSource): Readonly<AchievementDefinition> {
    const definition = this.definition(achievementId);
    if (definition.authoritative && source.fromClient)
      throw new ShardlineError('SERVICE_WRITE_FORBIDDEN', `only the game may write ${achievementId}`);
    return definition;
  }
}

function progressInvalid(message: string): ShardlineError {
  return new ShardlineError('ACHIEVEMENT_PROGRESS_INVALID', message);
}
