import type { ServiceDatabase } from '../service-database.js';
import type { FriendsStore } from './friends-store.js';
import { PostgresFriendsStore } from './postgres-friends.js';
import { SqliteFriendsStore } from './sqlite-friends.js';

/** The friends store on either database, its table migrated. */
export async function openFriendsStore(database: ServiceDatabase): Promise<FriendsStore> {
  return database.kind === 'sqlite'
    ? SqliteFriendsStore.open(database.database)
    : PostgresFriendsStore.open(database.pool);
}
