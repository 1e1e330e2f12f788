import { webcrypto } from 'node:crypto';
import { ShardlineError } from '@shardline/core';
import { errors, jwtVerify, SignJWT } from 'jose';
import { dropOldest } from '../../recent-map.js';

/** How long an access token lasts, ms: short, since only the refresh token can be revoked at once. */
export const ACCESS_TOKEN_TTL_MS = 15 * 60_000;
const ALGORITHM = 'HS256';
const ISSUER = 'shardline';
/** Tokens whose signature was checked, remembered until they expire (most recently used kept). */
const VERIFIED_CACHE_SIZE = 10_000;

/** Who an access token speaks for. */
export interface AccessClaims {
  userId: string;
  /** The session (refresh-token family) it was issued under. */
  sessionId: string;
}

/**
 * Signs and checks access tokens: JWTs (HS256) naming the user (`sub`) and the session (`sid`),
 * valid for ACCESS_TOKEN_TTL_MS. The key is the server's secret (32 bytes), kept in its database.
 */
export class AccessTokens {
  /** The key imported once as a WebCrypto key: jose would import anything else on every sign and verify. */
  private readonly key: Promise<webcrypto.CryptoKey>;
  /**
   * Tokens already verified → their claims and expiry (ms). A client sends the same token with
   * every request for its 15 minutes; checking its signature once is enough (a token's text cannot
   * change without failing the check, so only verified tokens are ever found here).
   */
  private readonly verified = new Map<string, AccessClaims & { expiresAtMs: number }>();

  constructor(key: Uint8Array) {
    if (key.length < 32)
      throw new ShardlineError('VALUE_INVALID', 'an access-token key is at least 32 bytes');
    this.key = webcrypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
  }

  async issue(claims: AccessClaims, nowMs: number): Promise<string> {
    const nowSeconds = Math.floor(nowMs / 1000);
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(ISSUER)
      .setSubject(claims.userId)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + ACCESS_TOKEN_TTL_MS / 1000)
      .sign(await this.key);
  }

  /** The claims of a valid token; AUTH_TOKEN_EXPIRED or AUTH_TOKEN_INVALID (forged, malformed, other issuer) otherwise. */
  async verify(token: string, nowMs: number): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known) {
      if (nowMs >= known.expiresAtMs) {
        this.verified.delete(token);
        throw new ShardlineError('AUTH_TOKEN_EXPIRED', 'the access token has expired');
      }
      this.verified.delete(token);
      this.verified.set(token, known); // now the most recently used
      return { userId: known.userId, sessionId: known.sessionId };
    }
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        currentDate: new Date(nowMs),
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || payload.exp === undefined)
        throw new errors.JWTInvalid('claims');
      const claims = { userId: payload.sub, sessionId: payload.sid };
      this.verified.set(token, { ...claims, expiresAtMs: payload.exp * 1000 });
      dropOldest(this.verified, VERIFIED_CACHE_SIZE);
      return claims;
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new ShardlineError('AUTH_TOKEN_EXPIRED', 'the access token has expired');
      throw new ShardlineError('AUTH_TOKEN_INVALID', 'the access token is not valid');
    }
  }
}
