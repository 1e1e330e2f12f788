import type { Migration } from '../../store/migrations.js';

/** The store area of the achievements service (its row in shardline_migrations). */
export const ACHIEVEMENTS_AREA = 'achievements';

/**
 * The achievements table in either dialect: `time` is the 64-bit integer type, `strict` SQLite's
 * table option. A row exists once a user has any progress; no foreign keys to users (the areas stay
 * independent).
 */
function achievementsTables(time: string, strict: string): string {
  return `
    CREATE TABLE achievement_progress (
      user_id TEXT NOT NULL,
      achievement_id TEXT NOT NULL,
      progress ${time} NOT NULL CHECK (progress >= 0),
      unlocked_at_ms ${time},
      PRIMARY KEY (user_id, achievement_id)
    )${strict};`;
}

/** SQLite's achievements migrations. Never edit a shipped migration: add the next one. */
export const SQLITE_ACHIEVEMENTS_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'achievement progress', sql: achievementsTables('INTEGER', ' STRICT') },
];

/** Postgres's achievements migrations: the same tables, step for step. */
export const POSTGRES_ACHIEVEMENTS_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'achievement progress', sql: achievementsTables('BIGINT', '') },
];
