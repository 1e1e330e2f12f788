export { leaderboardRoutes } from './http-routes.js';
export { LEADERBOARD_LIMITS } from './leaderboard-rules.js';
export { LeaderboardsService, type ScoreOptions } from './leaderboards-service.js';
export type { LeaderboardsStore, ScoreSubmission, StoredKey, StoredScore } from './leaderboards-store.js';
export {
  LEADERBOARDS_AREA,
  POSTGRES_LEADERBOARDS_MIGRATIONS,
  SQLITE_LEADERBOARDS_MIGRATIONS,
} from './migrations.js';
export { openLeaderboardsStore } from './open-leaderboards-store.js';
export { PostgresLeaderboardsStore } from './postgres-leaderboards.js';
export type { RankKey } from './rank-key.js';
export { SqliteLeaderboardsStore } from './sqlite-leaderboards.js';
