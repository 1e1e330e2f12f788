/**
 * The achievements service's store seam: per (user, achievement) the progress (a whole number ≥ 0;
 * 0 for achievements without a target) and when it was unlocked. Two implementations, SQLite and
 * Postgres, pass one contract suite (packages/server/test/achievements-store-contract.test.ts).
 * Times are ms since the Unix epoch; user ids are the accounts service's opaque ids (not foreign keys).
 * Every write is atomic: concurrent writes never lose the highest progress nor unlock twice.
 */
export interface AchievementsStore {
  /**
   * Unlocks it at `nowMs`, raising its progress to at least `progress`, unless it already is
   * unlocked (then nothing changes). True if this call unlocked it.
   */
  unlock(userId: string, achievementId: string, progress: number, nowMs: number): Promise<boolean>;
  /**
   * Sets progress to max(stored, value) and, if that reaches `target` while still locked, unlocks
   * it at `nowMs`. `newlyUnlocked` is true for exactly one call per unlock.
   */
  progress(
    userId: string,
    achievementId: string,
    value: number,
    target: number,
    nowMs: number,
  ): Promise<ProgressOutcome>;
  /** One achievement's record for a user (undefined if never written). */
  record(userId: string, achievementId: string): Promise<AchievementRecord | undefined>;
  /** Every record of a user, in no particular order. */
  recordsOf(userId: string): Promise<AchievementRecord[]>;
  close(): Promise<void>;
}

export interface AchievementRecord {
  achievementId: string;
  progress: number;
  /** null while locked. */
  unlockedAtMs: number | null;
}

export interface ProgressOutcome {
  progress: number;
  unlockedAtMs: number | null;
  newlyUnlocked: boolean;
}

/** Columns as both stores return them: 64-bit integers come back as numbers (SQLite) or strings (pg). */
export interface RecordRow {
  achievement_id: string;
  progress: number | string;
  unlocked_at_ms: number | string | null;
}

export function recordFromRow(row: RecordRow): AchievementRecord {
  return {
    achievementId: row.achievement_id,
    progress: Number(row.progress),
    unlockedAtMs: row.unlocked_at_ms === null ? null : Number(row.unlocked_at_ms),
  };
}
