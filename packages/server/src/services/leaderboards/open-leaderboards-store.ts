import type { ServiceDatabase } from '../service-database.js';
import type { LeaderboardsStore } from './leaderboards-store.js';
import { PostgresLeaderboardsStore } from './postgres-leaderboards.js';
import { SqliteLeaderboardsStore } from './sqlite-leaderboards.js';

/** The leaderboards store on either database, its table migrated. */
export async function openLeaderboardsStore(database: ServiceDatabase): Promise<LeaderboardsStore> {
  return database.kind === 'sqlite'
    ? SqliteLeaderboardsStore.open(database.database)
    : PostgresLeaderboardsStore.open(database.pool);
}
