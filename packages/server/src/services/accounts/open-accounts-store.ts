import type { ServiceDatabase } from '../service-database.js';
import type { AccountsStore } from './accounts-store.js';
import { PostgresAccountsStore } from './postgres-accounts.js';
import { SqliteAccountsStore } from './sqlite-accounts.js';

/** The accounts store on either database, its tables migrated. */
export async function openAccountsStore(database: ServiceDatabase): Promise<AccountsStore> {
  return database.kind === 'sqlite'
    ? SqliteAccountsStore.open(database.database)
    : PostgresAccountsStore.open(database.pool);
}
