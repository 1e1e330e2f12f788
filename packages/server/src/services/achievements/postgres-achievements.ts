import { migratePostgres, type PostgresPool } from '../../store/postgres.js';
import {
  type AchievementRecord,
  type AchievementsStore,
  type ProgressOutcome,
  type RecordRow,
  recordFromRow,
} from './achievements-store.js';
import { ACHIEVEMENTS_AREA, POSTGRES_ACHIEVEMENTS_MIGRATIONS } from './migrations.js';

/**
 * The achievements store on Postgres (its table migrated on creation). A progress report raises
 * and maybe unlocks in one transaction: the upsert locks the row until commit, so a concurrent
 * report waits, then sees the raised progress and the unlock.
 */
export class PostgresAchievementsStore implements AchievementsStore {
  private constructor(private readonly pool: PostgresPool) {}

  static async open(pool: PostgresPool): Promise<PostgresAchievementsStore> {
    await migratePostgres(pool, ACHIEVEMENTS_AREA, POSTGRES_ACHIEVEMENTS_MIGRATIONS);
    return new PostgresAchievementsStore(pool);
  }

  async unlock(userId: string, achievementId: string, progress: number, nowMs: number): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO achievement_progress (user_id, achievement_id, progress, unlocked_at_ms)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, achievement_id) DO UPDATE SET
         progress = GREATEST(achievement_progress.progress, excluded.progress),
         unlocked_at_ms = excluded.unlocked_at_ms
       WHERE achievement_progress.unlocked_at_ms IS NULL`,
      [userId, achievementId, progress, nowMs],
    );
    return result.rowCount === 1;
  }

  async progress(
    userId: string,
    achievementId: string,
    value: number,
    target: number,
    nowMs: number,
  ): Promise<ProgressOutcome> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<RecordRow>(
        `INSERT INTO achievement_progress (user_id, achievement_id, progress) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, achievement_id) DO UPDATE SET
           progress = GREATEST(achievement_progress.progress, excluded.progress)
         RETURNING achievement_id, progress, unlocked_at_ms`,
        [userId, achievementId, value],
      );
      const { progress, unlockedAtMs } = recordFromRow(rows[0]!);
      const newlyUnlocked = unlockedAtMs === null && progress >= target;
      if (newlyUnlocked) {
        await client.query(
          'UPDATE achievement_progress SET unlocked_at_ms = $1 WHERE user_id = $2 AND achievement_id = $3',
          [nowMs, userId, achievementId],
        );
      }
      await client.query('COMMIT');
      return { progress, unlockedAtMs: newlyUnlocked ? nowMs : unlockedAtMs, newlyUnlocked };
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  async record(userId: string, achievementId: string): Promise<AchievementRecord | undefined> {
    const { rows } = await this.pool.query<RecordRow>(
      'SELECT achievement_id, progress, unlocked_at_ms FROM achievement_progress WHERE user_id = $1 AND achievement_id = $2',
      [userId, achievementId],
    );
    return rows[0] && recordFromRow(rows[0]);
  }

  async recordsOf(userId: string): Promise<AchievementRecord[]> {
    const { rows } = await this.pool.query<RecordRow>(
      'SELECT achievement_id, progress, unlocked_at_ms FROM achievement_progress WHERE user_id = $1',
      [userId],
    );
    return rows.map(recordFromRow);
  }

  /** The pool belongs to whoever opened it, which ends it. */
  async close(): Promise<void> {}
}
