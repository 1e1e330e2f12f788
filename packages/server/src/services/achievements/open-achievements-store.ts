import type { ServiceDatabase } from '../service-database.js';
import type { AchievementsStore } from './achievements-store.js';
import { PostgresAchievementsStore } from './postgres-achievements.js';
import { SqliteAchievementsStore } from './sqlite-achievements.js';

/** The achievements store on either database, its table migrated. */
export async function openAchievementsStore(database: ServiceDatabase): Promise<AchievementsStore> {
  return database.kind === 'sqlite'
    ? SqliteAchievementsStore.open(database.database)
    : PostgresAchievementsStore.open(database.pool);
}
