import type { ConnectTicket, ServiceUser, SignedIn } from '@shardline/core';
import { ShardlineError } from '@shardline/core';
import type { AccessTokenSource, ServiceHttp } from './service-http.js';

/** Where the refresh token is kept between runs: `localStorage` fits; omit to keep it in memory only. */
export interface SessionStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Refresh the access token this long before it expires, ms. */
const REFRESH_MARGIN_MS = 60_000;
const STORAGE_KEY = 'shardline.refreshToken';

/**
 * The signed-in user of a client: signs in (name and password, or a device as a guest), keeps the
 * access token fresh (one refresh at a time: a refresh token works once, and a second use would end
 * the session), remembers the refresh token in `storage`, and reports `connected` and `user`.
 */
export class SessionManager implements AccessTokenSource {
  private current: SignedIn | undefined;
  private refreshing: Promise<void> | undefined;
  private readonly listeners = new Set<(user: ServiceUser | undefined) => void>();

  constructor(
    private readonly http: ServiceHttp,
    private readonly storage?: SessionStorage,
    private readonly nowMs: () => number = Date.now,
  ) {
    http.tokens = this;
  }

  /** Whether a user is signed in. */
  get connected(): boolean {
    return this.current !== undefined;
  }

  /** The signed-in user (id, name, whether a guest), or undefined. */
  get user(): ServiceUser | undefined {
    return this.current?.user;
  }

  /** Hears every sign-in and sign-out (undefined); returns how to stop listening. */
  onChange(listener: (user: ServiceUser | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  register(username: string, password: string): Promise<SignedIn> {
    return this.signIn(this.http.request<SignedIn>('POST', '/accounts/register', { username, password }));
  }

  login(username: string, password: string): Promise<SignedIn> {
    return this.signIn(this.http.request<SignedIn>('POST', '/accounts/login', { username, password }));
  }

  /** Signs in as this device's guest account (made on first use). */
  loginDevice(deviceId: string): Promise<SignedIn> {
    return this.signIn(this.http.request<SignedIn>('POST', '/accounts/device', { deviceId }));
  }

  /** Signs in again with the refresh token kept in storage; undefined if there is none or it has ended. */
  async resume(): Promise<SignedIn | undefined> {
    const refreshToken = this.storage?.getItem(STORAGE_KEY);
    if (!refreshToken) return undefined;
    try {
      return await this.signIn(this.http.request<SignedIn>('POST', '/accounts/refresh', { refreshToken }));
    } catch (error) {
      if (error instanceof ShardlineError && error.code === 'AUTH_SESSION_ENDED') {
        this.storage?.removeItem(STORAGE_KEY);
        return undefined;
      }
      throw error;
    }
  }

  /** Ends the session on the server (best effort) and here. */
  async logout(): Promise<void> {
    if (!this.current) return;
    try {
      await this.http.authed('POST', '/accounts/logout');
    } finally {
      this.signedOut();
    }
  }

  /** A connect token for the game: the one signing in gave, while fresh, else a new one. */
  async connectTicket(): Promise<ConnectTicket> {
    const ticket = this.current?.connect;
    if (ticket && ticket.expiresAtMs - this.nowMs() > 5_000) {
      delete this.current!.connect; // a token connects once
      return ticket;
    }
    return this.http.authed<ConnectTicket>('POST', '/accounts/connect-token');
  }

  async accessToken(): Promise<string> {
    if (!this.current) throw new ShardlineError('AUTH_SESSION_ENDED', 'not signed in');
    if (this.current.accessExpiresAtMs - this.nowMs() < REFRESH_MARGIN_MS) await this.refreshNow();
    return this.current!.accessToken;
  }

  refreshNow(): Promise<void> {
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refresh(): Promise<void> {
    const refreshToken = this.current?.refreshToken;
    if (!refreshToken) throw new ShardlineError('AUTH_SESSION_ENDED', 'not signed in');
    try {
      await this.signIn(this.http.request<SignedIn>('POST', '/accounts/refresh', { refreshToken }));
    } catch (error) {
      if (error instanceof ShardlineError && error.code === 'AUTH_SESSION_ENDED') this.signedOut();
      throw error;
    }
  }

  private async signIn(answer: Promise<SignedIn>): Promise<SignedIn> {
    const signedIn = await answer;
    const changed = this.current?.user.id !== signedIn.user.id;
    this.current = signedIn;
    this.storage?.setItem(STORAGE_KEY, signedIn.refreshToken);
    if (changed) for (const listener of this.listeners) listener(signedIn.user);
    return signedIn;
  }

  private signedOut(): void {
    this.current = undefined;
    this.storage?.removeItem(STORAGE_KEY);
    for (const listener of this.listeners) listener(undefined);
  }
}
