import { randomBytes } from 'node:crypto';
import {
  ACCESS_TOKEN_TTL_MS,
  AccessTokens,
  hashPassword,
  isShardlineError,
  verifyPassword,
} from '@shardline/server';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';

describe('passwords', () => {
  it('hash with argon2id, salted, and verify only the right password', async () => {
    const first = await hashPassword('correct horse battery staple');
    const second = await hashPassword('correct horse battery staple');
    expect(first).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(second).not.toBe(first); // a fresh salt each time
    expect(await verifyPassword(first, 'correct horse battery staple')).toBe(true);
    expect(await verifyPassword(first, 'correct horse battery stapLe')).toBe(false);
    expect(await verifyPassword('not a hash', 'anything')).toBe(false);
  });
});

describe('access tokens', () => {
  const key = randomBytes(32);
  const tokens = new AccessTokens(key);
  const NOW = 1_800_000_000_000;
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'resolved',
      (error: unknown) => (isShardlineError(error) ? error.code : String(error)),
    );

  it('carry the user and session until they expire', async () => {
    const token = await tokens.issue({ userId: 'u-1', sessionId: 's-1' }, NOW);
    expect(await tokens.verify(token, NOW + ACCESS_TOKEN_TTL_MS - 1_000)).toEqual({
      userId: 'u-1',
      sessionId: 's-1',
    });
    expect(await code(tokens.verify(token, NOW + ACCESS_TOKEN_TTL_MS + 1_000))).toBe('AUTH_TOKEN_EXPIRED');
  });

  it('refuse forged, tampered, foreign and malformed tokens', async () => {
    const token = await tokens.issue({ userId: 'u-1', sessionId: 's-1' }, NOW);
    const other = new AccessTokens(randomBytes(32));
    expect(await code(other.verify(token, NOW))).toBe('AUTH_TOKEN_INVALID');
    const [header, payload, signature] = token.split('.');
    const swapped = Buffer.from(
      JSON.stringify({ sub: 'u-2', sid: 's-1', iss: 'shardline', exp: 1e10 }),
    ).toString('base64url');
    expect(await code(tokens.verify(`${header}.${swapped}.${signature}`, NOW))).toBe('AUTH_TOKEN_INVALID');
    expect(await code(tokens.verify(`${header}.${payload}.`, NOW))).toBe('AUTH_TOKEN_INVALID');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expect(await code(tokens.verify(unsigned, NOW))).toBe('AUTH_TOKEN_INVALID');
    const foreign = await new SignJWT({ sid: 's-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('someone-else')
      .setSubject('u-1')
      .setExpirationTime(Math.floor(NOW / 1000) + 60)
      .sign(key);
    expect(await code(tokens.verify(foreign, NOW))).toBe('AUTH_TOKEN_INVALID');
    for (const junk of ['', 'a.b.c', 'x'.repeat(5000), "'; DROP TABLE sessions;--"])
      expect(await code(tokens.verify(junk, NOW))).toBe('AUTH_TOKEN_INVALID');
  });

  it('need a key of at least 32 bytes', () => {
    expect(() => new AccessTokens(new Uint8Array(16))).toThrowError(/VALUE_INVALID/);
  });
});
