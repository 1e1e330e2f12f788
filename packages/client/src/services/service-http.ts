import { ERROR_CODES, type ErrorCode, ShardlineError } from '@shardline/core';
import { type FetchLike, type FetchResponse, platform } from './platform.js';

/** Supplies the access token for signed-in calls, refreshing it first when it is about to expire. */
export interface AccessTokenSource {
  accessToken(): Promise<string>;
  /** Called after a signed-in call was answered AUTH_TOKEN_EXPIRED: get a new one now. */
  refreshNow(): Promise<void>;
}

/** How long a call waits for the whole answer before it fails as SERVICE_UNAVAILABLE, ms (default). */
export const SERVICE_REQUEST_TIMEOUT_MS = 15_000;

/**
 * JSON over HTTP to the services API (`<baseUrl>/v1/...`). Every refusal becomes a ShardlineError
 * with the server's stable code; an unreachable, failing or silent server (no whole answer within
 * `requestTimeoutMs`) becomes SERVICE_UNAVAILABLE.
 */
export class ServiceHttp {
  tokens: AccessTokenSource | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: FetchLike = (url, init) => platform.fetch!(url, init),
    private readonly requestTimeoutMs = SERVICE_REQUEST_TIMEOUT_MS,
  ) {}

  /** An anonymous call (sign-in routes). */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.send<T>(method, path, body, undefined);
  }

  /** A signed-in call; one AUTH_TOKEN_EXPIRED is answered by refreshing and trying again. */
  async authed<T>(method: string, path: string, body?: unknown): Promise<T> {
    const tokens = this.tokens;
    if (!tokens) throw new ShardlineError('AUTH_SESSION_ENDED', 'not signed in');
    try {
      return await this.send<T>(method, path, body, await tokens.accessToken());
    } catch (error) {
      if (!(error instanceof ShardlineError) || error.code !== 'AUTH_TOKEN_EXPIRED') throw error;
      await tokens.refreshNow();
      return this.send<T>(method, path, body, await tokens.accessToken());
    }
  }

  private async send<T>(method: string, path: string, body: unknown, token: string | undefined): Promise<T> {
    let response: FetchResponse;
    let text: string;
    try {
      response = await this.fetchImpl(`${this.baseUrl}/v1${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(platform.AbortSignal ? { signal: platform.AbortSignal.timeout(this.requestTimeoutMs) } : {}),
      });
      text = await response.text();
    } catch (error) {
      throw new ShardlineError('SERVICE_UNAVAILABLE', `cannot reach ${this.baseUrl}: ${String(error)}`);
    }
    const answer = text ? parseJson(text) : undefined;
    if (response.ok) return answer as T;
    const { code, message } = (answer ?? {}) as { code?: unknown; message?: unknown };
    // The server's message starts with its code ("WORLD_FULL: …"); the error made here says it once.
    const reason =
      typeof message === 'string' ? message.replace(/^[A-Z_]+: /, '') : `HTTP ${response.status}`;
    if (typeof code === 'string' && code in ERROR_CODES && response.status < 500) {
      throw new ShardlineError(code as ErrorCode, reason, { status: response.status });
    }
    throw new ShardlineError('SERVICE_UNAVAILABLE', reason, { status: response.status });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ShardlineError('SERVICE_UNAVAILABLE', 'the services answered something other than JSON');
  }
}
