import { type AccountsStore, openAccountsStore } from '@shardline/server';
import { serviceDatabases } from './service-databases.js';

/** A fresh, empty accounts store, and how to throw it away. */
export type AccountsBackend = () => Promise<{ store: AccountsStore; dispose(): Promise<void> }>;

/** The accounts store on every service database: the contract and service suites run on each. */
export const accountsBackends: [string, AccountsBackend][] = serviceDatabases.map(([name, open]) => [
  name,
  async () => {
    const { database, dispose } = await open();
    return { store: await openAccountsStore(database), dispose };
  },
]);
