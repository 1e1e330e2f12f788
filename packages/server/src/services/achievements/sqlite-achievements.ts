import { migrateSqlite } from '../../store/migrations.js';
import type { SqliteDatabase } from '../../store/sqlite.js';
import {
  type AchievementRecord,
  type AchievementsStore,
  type ProgressOutcome,
  type RecordRow,
  recordFromRow,
} from './achievements-store.js';
import { ACHIEVEMENTS_AREA, SQLITE_ACHIEVEMENTS_MIGRATIONS } from './migrations.js';

/**
 * The achievements store on the embedded SQLite database (its table migrated on creation). A
 * progress report raises and maybe unlocks inside one IMMEDIATE transaction, atomic also against
 * other processes on the same file.
 */
export class SqliteAchievementsStore implements AchievementsStore {
  private constructor(private readonly database: SqliteDatabase) {}

  static open(database: SqliteDatabase): SqliteAchievementsStore {
    migrateSqlite(database, ACHIEVEMENTS_AREA, SQLITE_ACHIEVEMENTS_MIGRATIONS);
    return new SqliteAchievementsStore(database);
  }

  async unlock(userId: string, achievementId: string, progress: number, nowMs: number): Promise<boolean> {
    const result = this.database
      .prepare(
        `INSERT INTO achievement_progress (user_id, achievement_id, progress, unlocked_at_ms)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, achievement_id) DO UPDATE SET
           progress = max(achievement_progress.progress, excluded.progress),
           unlocked_at_ms = excluded.unlocked_at_ms
         WHERE achievement_progress.unlocked_at_ms IS NULL`,
      )
      .run(userId, achievementId, progress, nowMs);
    return result.changes === 1;
  }

  async progress(
    userId: string,
    achievementId: string,
    value: number,
    target: number,
    nowMs: number,
  ): Promise<ProgressOutcome> {
    return this.database
      .transaction((): ProgressOutcome => {
        const raised = this.database
          .prepare<[string, string, number], RecordRow>(
            `INSERT INTO achievement_progress (user_id, achievement_id, progress) VALUES (?, ?, ?)
             ON CONFLICT (user_id, achievement_id) DO UPDATE SET
               progress = max(achievement_progress.progress, excluded.progress)
             RETURNING achievement_id, progress, unlocked_at_ms`,
          )
          .get(userId, achievementId, value)!;
        const { progress, unlockedAtMs } = recordFromRow(raised);
        if (unlockedAtMs !== null || progress < target)
          return { progress, unlockedAtMs, newlyUnlocked: false };
        this.database
          .prepare(
            'UPDATE achievement_progress SET unlocked_at_ms = ? WHERE user_id = ? AND achievement_id = ?',
          )
          .run(nowMs, userId, achievementId);
        return { progress, unlockedAtMs: nowMs, newlyUnlocked: true };
      })
      .immediate();
  }

  async record(userId: string, achievementId: string): Promise<AchievementRecord | undefined> {
    const row = this.database
      .prepare<[string, string], RecordRow>(
        'SELECT achievement_id, progress, unlocked_at_ms FROM achievement_progress WHERE user_id = ? AND achievement_id = ?',
      )
      .get(userId, achievementId);
    return row && recordFromRow(row);
  }

  async recordsOf(userId: string): Promise<AchievementRecord[]> {
    return this.database
      .prepare<[string], RecordRow>(
        'SELECT achievement_id, progress, unlocked_at_ms FROM achievement_progress WHERE user_id = ?',
      )
      .all(userId)
      .map(recordFromRow);
  }

  /** The database belongs to the runtime, which closes it. */
  async close(): Promise<void> {}
}
