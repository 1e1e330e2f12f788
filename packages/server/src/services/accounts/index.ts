export {
  type AccountsStore,
  type NewSession,
  type NewUser,
  nameKey,
  type SessionRecord,
  type UserRecord,
} from './accounts-store.js';
export { ACCOUNTS_AREA, POSTGRES_ACCOUNTS_MIGRATIONS, SQLITE_ACCOUNTS_MIGRATIONS } from './migrations.js';
export { PostgresAccountsStore } from './postgres-accounts.js';
export { SqliteAccountsStore } from './sqlite-accounts.js';
