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
