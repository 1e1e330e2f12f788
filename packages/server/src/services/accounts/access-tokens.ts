import { ShardlineError } from '@shardline/core';
import { errors, jwtVerify, SignJWT } from 'jose';

/** How long an access token lasts, ms: short, since only the refresh token can be revoked at once. */
export const ACCESS_TOKEN_TTL_MS = 15 * 60_000;
const ALGORITHM = 'HS256';
const ISSUER = 'shardline';

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
  constructor(private readonly key: Uint8Array) {
    if (key.length < 32)
      throw new ShardlineError('VALUE_INVALID', 'an access-token key is at least 32 bytes');
  }

  issue(claims: AccessClaims, nowMs: number): Promise<string> {
    const nowSeconds = Math.floor(nowMs / 1000);
    return new SignJWT({ sid: claims.sessionId })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(ISSUER)
      .setSubject(claims.userId)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + ACCESS_TOKEN_TTL_MS / 1000)
      .sign(this.key);
  }

  /** The claims of a valid token; AUTH_TOKEN_EXPIRED or AUTH_TOKEN_INVALID (forged, malformed, other issuer) otherwise. */
  async verify(token: string, nowMs: number): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        currentDate: new Date(nowMs),
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string')
        throw new errors.JWTInvalid('claims');
      return { userId: payload.sub, sessionId: payload.sid };
    } catch (error) {
      if (error instanceof errors.JWTExpired)
        throw new ShardlineError('AUTH_TOKEN_EXPIRED', 'the access token has expired');
      throw new ShardlineError('AUTH_TOKEN_INVALID', 'the access token is not valid');
    }
  }
}
