import {
  type AccountsStore,
  openSqlite,
  PostgresAccountsStore,
  SqliteAccountsStore,
} from '@shardline/server';
import { throwawayPostgres } from './postgres.js';

/** A fresh, empty accounts store, and how to throw it away. */
export type AccountsBackend = () => Promise<{ store: AccountsStore; dispose(): Promise<void> }>;

/** Every accounts store implementation: the contract and service suites run on each. */
export const accountsBackends: [string, AccountsBackend][] = [
  [
    'SQLite',
    async () => {
      const database = openSqlite(':memory:');
      return { store: SqliteAccountsStore.open(database), dispose: async () => void database.close() };
    },
  ],
  [
    'Postgres',
    async () => {
      const throwaway = await throwawayPostgres();
      return { store: await PostgresAccountsStore.open(throwaway.pool), dispose: () => throwaway.drop() };
    },
  ],
];
