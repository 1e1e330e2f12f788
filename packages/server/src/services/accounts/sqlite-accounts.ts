import { migrateSqlite } from '../../store/migrations.js';
import type { SqliteDatabase } from '../../store/sqlite.js';
import {
  type AccountsStore,
  type NewSession,
  type NewUser,
  nameKey,
  nameTaken,
  type SessionRecord,
  type UserRecord,
} from './accounts-store.js';
import { ACCOUNTS_AREA, SQLITE_ACCOUNTS_MIGRATIONS } from './migrations.js';
import {
  SESSION_WITH_USER,
  type SessionRow,
  type SessionWithUserRow,
  sessionFromRow,
  sessionWithUserFromRow,
  USER_COLUMNS,
  type UserRow,
  userFromRow,
} from './rows.js';

/** The accounts store on the embedded SQLite database (its tables migrated on creation). */
export class SqliteAccountsStore implements AccountsStore {
  private constructor(private readonly database: SqliteDatabase) {}

  static open(database: SqliteDatabase): SqliteAccountsStore {
    migrateSqlite(database, ACCOUNTS_AREA, SQLITE_ACCOUNTS_MIGRATIONS);
    return new SqliteAccountsStore(database);
  }

  async createUser(next: NewUser): Promise<UserRecord> {
    try {
      this.database
        .prepare(
          'INSERT INTO users (id, username, name_key, password_hash, created_at_ms) VALUES (?, ?, ?, ?, ?)',
        )
        .run(next.id, next.username, nameKey(next.username), next.passwordHash, next.createdAtMs);
    } catch (error) {
      if (
        (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' &&
        String(error).includes('name_key')
      )
        throw nameTaken(next.username);
      throw error;
    }
    return { ...next };
  }

  async userById(id: string): Promise<UserRecord | undefined> {
    return userFromRow(
      this.database.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ?`).get(id),
    );
  }

  async usersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    return this.database
      .prepare<[string], UserRow>(
        `SELECT ${USER_COLUMNS} FROM users u WHERE u.id IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(ids))
      .map((row) => userFromRow(row)!);
  }

  async userByName(username: string): Promise<UserRecord | undefined> {
    return userFromRow(
      this.database
        .prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.name_key = ?`)
        .get(nameKey(username)),
    );
  }

  async linkDevice(deviceId: string, userId: string, nowMs: number): Promise<boolean> {
    const result = this.database
      .prepare(
        'INSERT INTO devices (device_id, user_id, linked_at_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      )
      .run(deviceId, userId, nowMs);
    return result.changes === 1;
  }

  async userByDevice(deviceId: string): Promise<UserRecord | undefined> {
    return userFromRow(
      this.database
        .prepare<[string], UserRow>(
          `SELECT ${USER_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE d.device_id = ?`,
        )
        .get(deviceId),
    );
  }

  async createSession(next: NewSession): Promise<void> {
    this.database
      .prepare(
        'INSERT INTO sessions (id, user_id, refresh_hash, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?)',
      )
      .run(next.id, next.userId, next.refreshHash, next.createdAtMs, next.expiresAtMs);
  }

  async session(id: string): Promise<SessionRecord | undefined> {
    return sessionFromRow(
      this.database.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?').get(id),
    );
  }

  async sessionWithUser(id: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
    return sessionWithUserFromRow(
      this.database.prepare<[string], SessionWithUserRow>(`${SESSION_WITH_USER}?`).get(id),
    );
  }

  async rotateSession(
    id: string,
    oldHash: string,
    next: { refreshHash: string; expiresAtMs: number },
    nowMs: number,
  ): Promise<boolean> {
    const result = this.database
      .prepare(
        `UPDATE sessions SET refresh_hash = ?, expires_at_ms = ?
         WHERE id = ? AND refresh_hash = ? AND revoked_at_ms IS NULL AND expires_at_ms > ?`,
      )
      .run(next.refreshHash, next.expiresAtMs, id, oldHash, nowMs);
    return result.changes === 1;
  }

  async revokeSession(id: string, nowMs: number): Promise<boolean> {
    const result = this.database
      .prepare('UPDATE sessions SET revoked_at_ms = coalesce(revoked_at_ms, ?) WHERE id = ?')
      .run(nowMs, id);
    return result.changes === 1;
  }

  async revokeSessionsOf(userId: string, nowMs: number): Promise<number> {
    return this.database
      .prepare('UPDATE sessions SET revoked_at_ms = ? WHERE user_id = ? AND revoked_at_ms IS NULL')
      .run(nowMs, userId).changes;
  }

  /** The database belongs to the runtime, which closes it. */
  async close(): Promise<void> {}
}
