import type { ServiceDatabase } from '../service-database.js';
import { PostgresSavesStore } from './postgres-saves.js';
import type { SavesStore } from './saves-store.js';
import { SqliteSavesStore } from './sqlite-saves.js';

/** The saves store on either database, its table migrated. */
export async function openSavesStore(database: ServiceDatabase): Promise<SavesStore> {
  return database.kind === 'sqlite'
    ? SqliteSavesStore.open(database.database)
    : PostgresSavesStore.open(database.pool);
}
