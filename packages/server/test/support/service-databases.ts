import { openSqlite, type ServiceDatabase } from '@shardline/server';
import { throwawayPostgres } from './postgres.js';

/** A fresh, empty service database, and how to throw it away. */
export type ServiceDatabaseFactory = () => Promise<{ database: ServiceDatabase; dispose(): Promise<void> }>;

/**
 * Both databases the online services run on: every service area's contract suite runs on each
 * (`describe.each(serviceDatabases)`). SQLite in memory; Postgres on a throwaway schema of the
 * machine's real server.
 */
export const serviceDatabases: [string, ServiceDatabaseFactory][] = [
  [
    'SQLite',
    async () => {
      const database = openSqlite(':memory:');
      return { database: { kind: 'sqlite', database }, dispose: async () => void database.close() };
    },
  ],
  [
    'Postgres',
    async () => {
      const throwaway = await throwawayPostgres();
      return { database: { kind: 'postgres', pool: throwaway.pool }, dispose: () => throwaway.drop() };
    },
  ],
];
