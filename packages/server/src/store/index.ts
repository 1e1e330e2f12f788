export { DatabaseInUseError, type DatabaseLock, lockDatabaseFile } from './database-lock.js';
export { type Migration, migrateSqlite, pendingMigrations } from './migrations.js';
export { migratePostgres, openPostgres, type PostgresPool } from './postgres.js';
export { postgresServerSecret, SERVER_MIGRATIONS, serverSecret } from './server-secrets.js';
export { openSqlite, type SqliteDatabase } from './sqlite.js';
export { writeBatcher } from './write-batch.js';
