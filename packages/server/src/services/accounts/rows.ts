import type { SessionRecord, UserRecord } from './accounts-store.js';

/** Columns as both stores return them: 64-bit times come back as numbers (SQLite) or strings (pg). */
type Time = number | string;

export interface UserRow {
  id: string;
  username: string;
  password_hash: string | null;
  created_at_ms: Time;
}

export interface SessionRow {
  id: string;
  user_id: string;
  refresh_hash: string;
  created_at_ms: Time;
  expires_at_ms: Time;
  revoked_at_ms: Time | null;
}

/** The user columns, for `users u` (alone or joined). */
export const USER_COLUMNS = 'u.id, u.username, u.password_hash, u.created_at_ms';

export function userFromRow(row: UserRow | undefined): UserRecord | undefined {
  return (
    row && {
      id: row.id,
      username: row.username,
      passwordHash: row.password_hash,
      createdAtMs: Number(row.created_at_ms),
    }
  );
}

export function sessionFromRow(row: SessionRow | undefined): SessionRecord | undefined {
  return (
    row && {
      id: row.id,
      userId: row.user_id,
      refreshHash: row.refresh_hash,
      createdAtMs: Number(row.created_at_ms),
      expiresAtMs: Number(row.expires_at_ms),
      revokedAtMs: row.revoked_at_ms === null ? null : Number(row.revoked_at_ms),
    }
  );
}

/** A session joined with its user: the session's columns, then the user's as `user_*`. */
export const SESSION_WITH_USER = `SELECT s.*, u.username AS user_username, u.password_hash AS user_password_hash,
  u.created_at_ms AS user_created_at_ms FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = `;

export interface SessionWithUserRow extends SessionRow {
  user_username: string;
  user_password_hash: string | null;
  user_created_at_ms: Time;
}

export function sessionWithUserFromRow(
  row: SessionWithUserRow | undefined,
): { session: SessionRecord; user: UserRecord } | undefined {
  return (
    row && {
      session: sessionFromRow(row)!,
      user: userFromRow({
        id: row.user_id,
        username: row.user_username,
        password_hash: row.user_password_hash,
        created_at_ms: row.user_created_at_ms,
      })!,
    }
  );
}
