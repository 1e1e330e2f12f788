import { DatabaseError } from 'pg';
import { migratePostgres, type PostgresPool } from '../../store/postgres.js';
import {
  type AccountsStore,
  type NewSession,
  type NewUser,
  nameKey,
  nameTaken,
  type SessionRecord,
  type UserRecord,
} from './accounts-store.js';
import { ACCOUNTS_AREA, POSTGRES_ACCOUNTS_MIGRATIONS } from './migrations.js';
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

/** Postgres's unique_violation. */
const UNIQUE_VIOLATION = '23505';

/** The accounts store on Postgres (its tables migrated on creation). */
export class PostgresAccountsStore implements AccountsStore {
  private constructor(private readonly pool: PostgresPool) {}

  static async open(pool: PostgresPool): Promise<PostgresAccountsStore> {
    await migratePostgres(pool, ACCOUNTS_AREA, POSTGRES_ACCOUNTS_MIGRATIONS);
    return new PostgresAccountsStore(pool);
  }

  async createUser(next: NewUser): Promise<UserRecord> {
    try {
      await this.pool.query(
        'INSERT INTO users (id, username, name_key, password_hash, created_at_ms) VALUES ($1, $2, $3, $4, $5)',
        [next.id, next.username, nameKey(next.username), next.passwordHash, next.createdAtMs],
      );
    } catch (error) {
      if (
        error instanceof DatabaseError &&
        error.code === UNIQUE_VIOLATION &&
        error.constraint?.includes('name_key')
      )
        throw nameTaken(next.username);
      throw error;
    }
    return { ...next };
  }

  async userById(id: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [
      id,
    ]);
    return userFromRow(rows[0]);
  }

  async usersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ANY($1::text[])`,
      [ids],
    );
    return rows.map((row) => userFromRow(row)!);
  }

  async userByName(username: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users u WHERE u.name_key = $1`,
      [nameKey(username)],
    );
    return userFromRow(rows[0]);
  }

  async linkDevice(deviceId: string, userId: string, nowMs: number): Promise<boolean> {
    const result = await this.pool.query(
      'INSERT INTO devices (device_id, user_id, linked_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [deviceId, userId, nowMs],
    );
    return result.rowCount === 1;
  }

  async userByDevice(deviceId: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE d.device_id = $1`,
      [deviceId],
    );
    return userFromRow(rows[0]);
  }

  async createSession(next: NewSession): Promise<void> {
    await this.pool.query(
      'INSERT INTO sessions (id, user_id, refresh_hash, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)',
      [next.id, next.userId, next.refreshHash, next.createdAtMs, next.expiresAtMs],
    );
  }

  async session(id: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.pool.query<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id]);
    return sessionFromRow(rows[0]);
  }

  async sessionWithUser(id: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
    const { rows } = await this.pool.query<SessionWithUserRow>(`${SESSION_WITH_USER}$1`, [id]);
    return sessionWithUserFromRow(rows[0]);
  }

  async rotateSession(
    id: string,
    oldHash: string,
    next: { refreshHash: string; expiresAtMs: number },
    nowMs: number,
  ): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE sessions SET refresh_hash = $1, expires_at_ms = $2
       WHERE id = $3 AND refresh_hash = $4 AND revoked_at_ms IS NULL AND expires_at_ms > $5`,
      [next.refreshHash, next.expiresAtMs, id, oldHash, nowMs],
    );
    return result.rowCount === 1;
  }

  async revokeSession(id: string, nowMs: number): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE sessions SET revoked_at_ms = coalesce(revoked_at_ms, $1) WHERE id = $2',
      [nowMs, id],
    );
    return result.rowCount === 1;
  }

  async revokeSessionsOf(userId: string, nowMs: number): Promise<number> {
    const result = await this.pool.query(
      'UPDATE sessions SET revoked_at_ms = $1 WHERE user_id = $2 AND revoked_at_ms IS NULL',
      [nowMs, userId],
    );
    return result.rowCount ?? 0;
  }

  /** The pool belongs to whoever opened it, which ends it. */
  async close(): Promise<void> {}
}
