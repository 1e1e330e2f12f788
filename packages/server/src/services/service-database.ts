import type { PostgresPool } from '../store/postgres.js';
import type { SqliteDatabase } from '../store/sqlite.js';

/**
 * Where the online services keep their data: the embedded SQLite database (the default) or a
 * Postgres pool. Each service area opens its own store on it (`openXStore(database)`), migrating
 * its tables first.
 */
export type ServiceDatabase =
  | { kind: 'sqlite'; database: SqliteDatabase }
  | { kind: 'postgres'; pool: PostgresPool };
