export {
  AchievementsService,
  type ProgressResult,
  type UnlockEvent,
  type WriteSource,
} from './achievements-service.js';
export type { AchievementRecord, AchievementsStore, ProgressOutcome } from './achievements-store.js';
export type { AchievementDefinition } from './definitions.js';
export { ACHIEVEMENT_ID_LIMIT, achievementRoutes } from './http-routes.js';
export {
  ACHIEVEMENTS_AREA,
  POSTGRES_ACHIEVEMENTS_MIGRATIONS,
  SQLITE_ACHIEVEMENTS_MIGRATIONS,
} from './migrations.js';
export { openAchievementsStore } from './open-achievements-store.js';
export { PostgresAchievementsStore } from './postgres-achievements.js';
export { SqliteAchievementsStore } from './sqlite-achievements.js';
