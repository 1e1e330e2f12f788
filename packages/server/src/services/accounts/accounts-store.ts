import { ShardlineError } from '@shardline/core';

/**
 * The accounts service's store seam: users (a name, maybe a password hash), the devices that sign in
 * as them, and their sessions (refresh tokens, kept only as hashes). Two implementations, SQLite and
 * Postgres, pass one contract suite (packages/server/test/accounts-store-contract.test.ts).
 * Every method is async; times are ms since the Unix epoch; ids are opaque strings (UUIDs).
 */
export interface AccountsStore {
  /** Adds a user; ACCOUNT_NAME_TAKEN if another has the same name up to case and Unicode form. */
  createUser(user: NewUser): Promise<UserRecord>;
  userById(id: string): Promise<UserRecord | undefined>;
  /** The users of those ids that exist, in no particular order: one query however many. */
  usersByIds(ids: readonly string[]): Promise<UserRecord[]>;
  /** Finds a user by name, up to case and Unicode form (`Ann` finds `ann`). */
  userByName(username: string): Promise<UserRecord | undefined>;
  /** Lets `deviceId` sign in as `userId`; false if the device already belongs to someone. */
  linkDevice(deviceId: string, userId: string, nowMs: number): Promise<boolean>;
  userByDevice(deviceId: string): Promise<UserRecord | undefined>;
  createSession(session: NewSession): Promise<void>;
  session(id: string): Promise<SessionRecord | undefined>;
  /** A session with its user, in one query (what every signed-in request checks). */
  sessionWithUser(id: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined>;
  /**
   * Swaps a live session's refresh token, only if `oldHash` is its current one (compare-and-set, so
   * two refreshes racing with one token cannot both win). True if it swapped.
   */
  rotateSession(
    id: string,
    oldHash: string,
    next: { refreshHash: string; expiresAtMs: number },
    nowMs: number,
  ): Promise<boolean>;
  /** Ends a session (idempotent); false if there is no such session. */
  revokeSession(id: string, nowMs: number): Promise<boolean>;
  /** Ends every live session of a user (sign out everywhere); returns how many. */
  revokeSessionsOf(userId: string, nowMs: number): Promise<number>;
  close(): Promise<void>;
}

export interface NewUser {
  id: string;
  username: string;
  /** A PHC string (argon2id); null for a guest or device-only account. */
  passwordHash: string | null;
  createdAtMs: number;
}

export interface UserRecord extends NewUser {}

export interface NewSession {
  id: string;
  userId: string;
  /** SHA-256 of the refresh token, hex: the token itself is never stored. */
  refreshHash: string;
  createdAtMs: number;
  expiresAtMs: number;
}

export interface SessionRecord extends NewSession {
  /** When it was revoked; null while it is live (or merely expired). */
  revokedAtMs: number | null;
}

/** The form names are compared in: Unicode NFKC, lower case. */
export function nameKey(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

/** The error both stores raise for a taken name. */
export function nameTaken(username: string): ShardlineError {
  return new ShardlineError('ACCOUNT_NAME_TAKEN', `the name ${JSON.stringify(username)} is taken`);
}
