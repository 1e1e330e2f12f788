import { randomBytes } from 'node:crypto';
import {
  ACCESS_TOKEN_TTL_MS,
  AccessTokens,
  AccountsService,
  isShardlineError,
  REFRESH_TOKEN_TTL_MS,
  SESSION_CHECK_TTL_MS,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { accountsBackends } from './support/accounts-backends.js';

/** The stable code a promise rejects with ('resolved' if it does not). */
const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (isShardlineError(error) ? error.code : String(error)),
  );

describe.each(accountsBackends)('accounts service on %s', (_name, open) => {
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await dispose?.();
    dispose = undefined;
  });
  /** A service on a fresh store, with a clock the test moves. */
  const fresh = async () => {
    const backend = await open();
    dispose = backend.dispose;
    const clock = { nowMs: 1_800_000_000_000 };
    const service = new AccountsService(backend.store, new AccessTokens(randomBytes(32)), () => clock.nowMs);
    return { service, clock, store: backend.store };
  };

  it('registers, logs in, and authenticates the access token', async () => {
    const { service } = await fresh();
    const registered = await service.register('Ann', 'correct horse battery');
    expect(registered.user).toMatchObject({ username: 'Ann', guest: false });
    const loggedIn = await service.login('ann', 'correct horse battery');
    expect(loggedIn.user.id).toBe(registered.user.id);
    expect(loggedIn.sessionId).not.toBe(registered.sessionId);
    const who = await service.authenticate(loggedIn.accessToken);
    expect(who).toMatchObject({
      sessionId: loggedIn.sessionId,
      user: { id: registered.user.id, username: 'Ann' },
    });
  });

  it('ends a session at once here, and within SESSION_CHECK_TTL_MS when another process ends it', async () => {
    const { service, store, clock } = await fresh();
    const here = await service.register('ann', 'correct horse battery');
    await service.authenticate(here.accessToken);
    await service.logout(here.sessionId);
    expect(await code(service.authenticate(here.accessToken))).toBe('AUTH_SESSION_ENDED');

    const elsewhere = await service.login('ann', 'correct horse battery');
    await service.authenticate(elsewhere.accessToken);
    await store.revokeSession(elsewhere.sessionId, clock.nowMs); // another process's logout
    clock.nowMs += SESSION_CHECK_TTL_MS - 1;
    expect(await code(service.authenticate(elsewhere.accessToken))).toBe('resolved');
    clock.nowMs += 1;
    expect(await code(service.authenticate(elsewhere.accessToken))).toBe('AUTH_SESSION_ENDED');
  });

  it('refuses bad names and passwords, taken names, and wrong logins, with stable codes and no account made', async () => {
    const { service, store } = await fresh();
    await service.register('ann', 'correct horse battery');
    expect(await code(service.register('ANN', 'another good one'))).toBe('ACCOUNT_NAME_TAKEN');
    for (const name of [
      'ab',
      'x'.repeat(33),
      'has space',
      "robert'); DROP TABLE users;--",
      7 as unknown as string,
    ])
      expect(await code(service.register(name, 'correct horse battery'))).toBe('ACCOUNT_NAME_INVALID');
    for (const password of ['short', 'x'.repeat(129), null as unknown as string])
      expect(await code(service.register('bob', password))).toBe('ACCOUNT_PASSWORD_INVALID');
    expect(await store.userByName('bob')).toBeUndefined();
    expect(await code(service.login('ann', 'wrong password'))).toBe('AUTH_LOGIN_FAILED');
    expect(await code(service.login('nobody', 'correct horse battery'))).toBe('AUTH_LOGIN_FAILED');
  });

  it('signs a device in as the same guest every time, who cannot log in with a password', async () => {
    const { service } = await fresh();
    const first = await service.deviceLogin('device-4f1c9a2e');
    const again = await service.deviceLogin('device-4f1c9a2e');
    expect(first.user.guest).toBe(true);
    expect(again.user.id).toBe(first.user.id);
    expect((await service.deviceLogin('device-other-1')).user.id).not.toBe(first.user.id);
    expect(await code(service.login(first.user.username, ''))).toBe('AUTH_LOGIN_FAILED');
    expect(await code(service.deviceLogin('short'))).toBe('ACCOUNT_DEVICE_INVALID');
  });

  it('rotates refresh tokens; a token used twice ends the session', async () => {
    const { service } = await fresh();
    const signedIn = await service.register('ann', 'correct horse battery');
    // A token with something appended is not the token (and does not end the session).
    expect(await code(service.refresh(`${signedIn.refreshToken}.extra`))).toBe('AUTH_SESSION_ENDED');
    const refreshed = await service.refresh(signedIn.refreshToken);
    expect(refreshed.sessionId).toBe(signedIn.sessionId);
    expect(refreshed.refreshToken).not.toBe(signedIn.refreshToken);
    // The old token comes back (stolen?): the session ends, the newer token with it.
    expect(await code(service.refresh(signedIn.refreshToken))).toBe('AUTH_SESSION_ENDED');
    expect(await code(service.refresh(refreshed.refreshToken))).toBe('AUTH_SESSION_ENDED');
    expect(await code(service.authenticate(refreshed.accessToken))).toBe('AUTH_SESSION_ENDED');
    for (const junk of ['', 'no-dot', 'a.b', `${signedIn.sessionId}.`, 42 as unknown as string])
      expect(await code(service.refresh(junk))).toBe('AUTH_SESSION_ENDED');
  });

  it('ends sessions by logout and by time', async () => {
    const { service, clock } = await fresh();
    const kept = await service.register('ann', 'correct horse battery');
    const ended = await service.login('ann', 'correct horse battery');
    await service.logout(ended.sessionId);
    expect(await code(service.authenticate(ended.accessToken))).toBe('AUTH_SESSION_ENDED');
    expect(await code(service.refresh(ended.refreshToken))).toBe('AUTH_SESSION_ENDED');
    expect((await service.authenticate(kept.accessToken)).sessionId).toBe(kept.sessionId);
    clock.nowMs += ACCESS_TOKEN_TTL_MS + 1_000;
    expect(await code(service.authenticate(kept.accessToken))).toBe('AUTH_TOKEN_EXPIRED');
    const renewed = await service.refresh(kept.refreshToken);
    expect((await service.authenticate(renewed.accessToken)).user.username).toBe('ann');
    clock.nowMs += REFRESH_TOKEN_TTL_MS + 1_000;
    expect(await code(service.refresh(renewed.refreshToken))).toBe('AUTH_SESSION_ENDED');
  });
});
