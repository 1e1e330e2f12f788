export { type Migration, migrateSqlite } from './migrations.js';
export { SERVER_MIGRATIONS, serverSecret } from './server-secrets.js';
export { openSqlite, type SqliteDatabase } from './sqlite.js';
