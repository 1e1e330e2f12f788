import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ShardlineError, type SignedIn } from '@shardline/core';
import { dropOldest } from '../../recent-map.js';
import { ACCESS_TOKEN_TTL_MS, type AccessTokens } from './access-tokens.js';
import type { AccountsStore, UserRecord } from './accounts-store.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.js';

/**
 * How long a session found live is taken as live without asking the store again, ms. Ending a
 * session in this process takes effect at once; ended by another process sharing the database,
 * within this long.
 */
export const SESSION_CHECK_TTL_MS = 1_000;
/** Sessions remembered as live at most (most recently checked kept). */
const LIVE_SESSIONS_CACHED = 10_000;

/** How long a session lives without being refreshed, ms. */
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60_000;
/** Names: 3–32 letters, digits, `_`, `-` or `.` (any script's letters and digits). */
const USERNAME = /^[\p{L}\p{N}_.-]{3,32}$/u;
/** Device ids as clients make them (a UUID or similar): 8–128 printable ASCII characters. */
const DEVICE_ID = /^[\x21-\x7e]{8,128}$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Accounts and sessions over an AccountsStore: register and log in with a name and password, or
 * as a guest from a device id; refresh tokens rotate on every use, and a token used twice ends its
 * session (it was stolen, or the client is confused). `nowMs` is the clock (tests pass their own).
 */
export class AccountsService {
  /** Verified against when a name is unknown, so a miss costs as much time as a wrong password. */
  private readonly decoyHash: Promise<string>;
  /** Session id → its user, as found live at `checkedAtMs` (see SESSION_CHECK_TTL_MS). */
  private readonly liveSessions = new Map<string, { user: UserRecord; checkedAtMs: number }>();

  constructor(
    private readonly store: AccountsStore,
    private readonly tokens: AccessTokens,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.decoyHash = hashPassword(randomBytes(16).toString('hex'));
  }

  /** ACCOUNT_NAME_INVALID, ACCOUNT_PASSWORD_INVALID or ACCOUNT_NAME_TAKEN, or a signed-in new user. */
  async register(username: string, password: string): Promise<SignedIn> {
    checkUsername(username);
    checkPassword(password);
    const user = await this.store.createUser({
      id: randomUUID(),
      username,
      passwordHash: await hashPassword(password),
      createdAtMs: this.nowMs(),
    });
    return this.startSession(user);
  }

  /** AUTH_LOGIN_FAILED alike for an unknown name, a wrong password and a password-less account. */
  async login(username: string, password: string): Promise<SignedIn> {
    const user = typeof username === 'string' ? await this.store.userByName(username) : undefined;
    const phc = user?.passwordHash ?? (await this.decoyHash);
    const matches = typeof password === 'string' && (await verifyPassword(phc, password));
    if (!user?.passwordHash || !matches) {
      throw new ShardlineError('AUTH_LOGIN_FAILED', 'the name or the password is wrong');
    }
    return this.startSession(user);
  }

  /** Signs a device in: its guest account, made on first use. ACCOUNT_DEVICE_INVALID for a bad id. */
  async deviceLogin(deviceId: string): Promise<SignedIn> {
    if (typeof deviceId !== 'string' || !DEVICE_ID.test(deviceId)) {
      throw new ShardlineError('ACCOUNT_DEVICE_INVALID', 'a device id is 8–128 printable ASCII characters');
    }
    const known = await this.store.userByDevice(deviceId);
    if (known) return this.startSession(known);
    const guest = await this.store.createUser({
      id: randomUUID(),
      username: `guest-${randomBytes(6).toString('hex')}`,
      passwordHash: null,
      createdAtMs: this.nowMs(),
    });
    if (!(await this.store.linkDevice(deviceId, guest.id, this.nowMs()))) {
      // Another login for this device won the race: use its account (ours stays unused).
      return this.startSession((await this.store.userByDevice(deviceId))!);
    }
    return this.startSession(guest);
  }

  /**
   * New tokens for a refresh token, which stops working. AUTH_SESSION_ENDED if it is unknown,
   * expired, revoked, or already used (then the whole session ends: someone else may hold it).
   */
  async refresh(refreshToken: string): Promise<SignedIn> {
    const parts = typeof refreshToken === 'string' ? refreshToken.split('.') : [];
    const [sessionId, secret] = parts;
    const nowMs = this.nowMs();
    const session =
      parts.length === 2 && sessionId && secret ? await this.store.session(sessionId) : undefined;
    if (!session || session.revokedAtMs !== null || session.expiresAtMs <= nowMs) throw sessionEnded();
    const next = randomBytes(32).toString('base64url');
    const refreshExpiresAtMs = nowMs + REFRESH_TOKEN_TTL_MS;
    const rotated = await this.store.rotateSession(
      session.id,
      sha256(secret!),
      { refreshHash: sha256(next), expiresAtMs: refreshExpiresAtMs },
      nowMs,
    );
    if (!rotated) {
      this.liveSessions.delete(session.id);
      await this.store.revokeSession(session.id, nowMs); // a used token came back
      throw sessionEnded();
    }
    const user = (await this.store.userById(session.userId))!;
    return this.signedIn(user, session.id, `${session.id}.${next}`, refreshExpiresAtMs, nowMs);
  }

  /** Ends one session: its refresh token stops working, its access token within ACCESS_TOKEN_TTL_MS. */
  async logout(sessionId: string): Promise<void> {
    this.liveSessions.delete(sessionId);
    await this.store.revokeSession(sessionId, this.nowMs());
  }

  /**
   * Who an access token speaks for, checking that its session is still live: AUTH_TOKEN_INVALID,
   * AUTH_TOKEN_EXPIRED, or AUTH_SESSION_ENDED.
   */
  async authenticate(accessToken: string): Promise<{ user: UserRecord; sessionId: string }> {
    const nowMs = this.nowMs();
    const claims = await this.tokens.verify(accessToken, nowMs);
    const known = this.liveSessions.get(claims.sessionId);
    if (known && nowMs - known.checkedAtMs < SESSION_CHECK_TTL_MS && known.user.id === claims.userId) {
      return { user: known.user, sessionId: claims.sessionId };
    }
    const found = await this.store.sessionWithUser(claims.sessionId);
    if (!found || found.session.revokedAtMs !== null || found.session.userId !== claims.userId) {
      this.liveSessions.delete(claims.sessionId);
      throw sessionEnded();
    }
    this.liveSessions.delete(claims.sessionId);
    this.liveSessions.set(claims.sessionId, { user: found.user, checkedAtMs: nowMs });
    dropOldest(this.liveSessions, LIVE_SESSIONS_CACHED);
    return { user: found.user, sessionId: found.session.id };
  }

  private async startSession(user: UserRecord): Promise<SignedIn> {
    const nowMs = this.nowMs();
    const sessionId = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    const refreshExpiresAtMs = nowMs + REFRESH_TOKEN_TTL_MS;
    await this.store.createSession({
      id: sessionId,
      userId: user.id,
      refreshHash: sha256(secret),
      createdAtMs: nowMs,
      expiresAtMs: refreshExpiresAtMs,
    });
    return this.signedIn(user, sessionId, `${sessionId}.${secret}`, refreshExpiresAtMs, nowMs);
  }

  private async signedIn(
    user: UserRecord,
    sessionId: string,
    refreshToken: string,
    refreshExpiresAtMs: number,
    nowMs: number,
  ): Promise<SignedIn> {
    return {
      user: { id: user.id, username: user.username, guest: user.passwordHash === null },
      sessionId,
      accessToken: await this.tokens.issue({ userId: user.id, sessionId }, nowMs),
      accessExpiresAtMs: nowMs + ACCESS_TOKEN_TTL_MS,
      refreshToken,
      refreshExpiresAtMs,
    };
  }
}

function checkUsername(username: unknown): void {
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    throw new ShardlineError('ACCOUNT_NAME_INVALID', 'a name is 3–32 letters, digits, "_", "-" or "."');
  }
}

function checkPassword(password: unknown): void {
  if (
    typeof password !== 'string' ||
    password.length < MIN_PASSWORD_LENGTH ||
    password.length > MAX_PASSWORD_LENGTH
  ) {
    throw new ShardlineError(
      'ACCOUNT_PASSWORD_INVALID',
      `a password is ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters`,
    );
  }
}

function sessionEnded(): ShardlineError {
  return new ShardlineError('AUTH_SESSION_ENDED', 'the session has ended: sign in again');
}
