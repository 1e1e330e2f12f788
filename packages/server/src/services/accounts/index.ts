export { ACCESS_TOKEN_TTL_MS, type AccessClaims, AccessTokens } from './access-tokens.js';
export { AccountsService, REFRESH_TOKEN_TTL_MS, SESSION_CHECK_TTL_MS } from './accounts-service.js';
export {
  type AccountsStore,
  type NewSession,
  type NewUser,
  nameKey,
  type SessionRecord,
  type UserRecord,
} from './accounts-store.js';
export { ACCOUNT_FIELD_LIMITS, accountRoutes } from './http-routes.js';
export { ACCOUNTS_AREA, POSTGRES_ACCOUNTS_MIGRATIONS, SQLITE_ACCOUNTS_MIGRATIONS } from './migrations.js';
export { openAccountsStore } from './open-accounts-store.js';
export { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.js';
export { PostgresAccountsStore } from './postgres-accounts.js';
export { SqliteAccountsStore } from './sqlite-accounts.js';
