import { randomUUID } from 'node:crypto';
import { isShardlineError } from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { accountsBackends } from './support/accounts-backends.js';

const NOW = 1_800_000_000_000;
const newUser = (username: string, passwordHash: string | null = null) => ({
  id: randomUUID(),
  username,
  passwordHash,
  createdAtMs: NOW,
});

describe.each(accountsBackends)('accounts store contract: %s', (_name, open) => {
  let disposeStore: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await disposeStore?.();
    disposeStore = undefined;
  });
  const fresh = async () => {
    const { store, dispose } = await open();
    disposeStore = dispose;
    return store;
  };

  it('creates users and finds them by id and by name, up to case and Unicode form', async () => {
    const store = await fresh();
    const ann = await store.createUser(newUser('Ann', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'));
    expect(await store.userById(ann.id)).toEqual(ann);
    expect(await store.userByName('ANN')).toEqual(ann);
    expect(await store.userByName('ａｎｎ')).toEqual(ann); // fullwidth letters: NFKC folds them
    expect(await store.userByName('bob')).toBeUndefined();
    expect(await store.userById(randomUUID())).toBeUndefined();
    const bob = await store.createUser(newUser('bob'));
    const found = await store.usersByIds([bob.id, randomUUID(), ann.id, "x' OR '1'='1"]);
    expect(found.sort((a, b) => a.username.localeCompare(b.username))).toEqual([ann, bob]);
    expect(await store.usersByIds([])).toEqual([]);
  });

  it('refuses a second user with the same name, and keeps the first', async () => {
    const store = await fresh();
    const ann = await store.createUser(newUser('ann'));
    const taken = await store.createUser(newUser('ANN')).catch((error: unknown) => error);
    expect(isShardlineError(taken, 'ACCOUNT_NAME_TAKEN')).toBe(true);
    expect(await store.userByName('ann')).toEqual(ann);
  });

  it('stores names as given, SQL-looking ones included', async () => {
    const store = await fresh();
    const sneaky = await store.createUser(newUser("Robert'); DROP TABLE users;--"));
    expect(await store.userByName("robert'); drop table users;--")).toEqual(sneaky);
    expect(await store.userById(sneaky.id)).toEqual(sneaky);
  });

  it('links a device to one user only', async () => {
    const store = await fresh();
    const ann = await store.createUser(newUser('ann'));
    const bob = await store.createUser(newUser('bob'));
    expect(await store.linkDevice('device-1', ann.id, NOW)).toBe(true);
    expect(await store.linkDevice('device-1', bob.id, NOW)).toBe(false);
    expect(await store.userByDevice('device-1')).toEqual(ann);
    expect(await store.userByDevice('device-2')).toBeUndefined();
  });

  it('rotates a session token only from its current hash, once, while it is live', async () => {
    const store = await fresh();
    const ann = await store.createUser(newUser('ann'));
    const id = randomUUID();
    await store.createSession({
      id,
      userId: ann.id,
      refreshHash: 'h1',
      createdAtMs: NOW,
      expiresAtMs: NOW + 1000,
    });
    expect(await store.session(id)).toEqual({
      id,
      userId: ann.id,
      refreshHash: 'h1',
      createdAtMs: NOW,
      expiresAtMs: NOW + 1000,
      revokedAtMs: null,
    });
    expect(await store.sessionWithUser(id)).toEqual({ session: await store.session(id), user: ann });
    expect(await store.sessionWithUser(randomUUID())).toBeUndefined();
    // Two refreshes racing with the same token: exactly one wins.
    const raced = await Promise.all([
      store.rotateSession(id, 'h1', { refreshHash: 'h2', expiresAtMs: NOW + 2000 }, NOW + 10),
      store.rotateSession(id, 'h1', { refreshHash: 'h3', expiresAtMs: NOW + 2000 }, NOW + 10),
    ]);
    expect(raced.filter(Boolean)).toHaveLength(1);
    const current = (await store.session(id))!.refreshHash;
    expect(['h2', 'h3']).toContain(current);
    // An expired session does not rotate.
    expect(
      await store.rotateSession(id, current, { refreshHash: 'h4', expiresAtMs: NOW + 9000 }, NOW + 2000),
    ).toBe(false);
  });

  it('revokes one session, or all of a user, and a revoked one never rotates again', async () => {
    const store = await fresh();
    const ann = await store.createUser(newUser('ann'));
    const bob = await store.createUser(newUser('bob'));
    const session = (userId: string, refreshHash: string) => {
      const id = randomUUID();
      return store
        .createSession({ id, userId, refreshHash, createdAtMs: NOW, expiresAtMs: NOW + 60_000 })
        .then(() => id);
    };
    const [a1, a2, a3, b1] = [
      await session(ann.id, 'a1'),
      await session(ann.id, 'a2'),
      await session(ann.id, 'a3'),
      await session(bob.id, 'b1'),
    ];
    expect(await store.revokeSession(a1, NOW + 1)).toBe(true);
    expect(await store.revokeSession(a1, NOW + 5)).toBe(true); // idempotent: keeps the first time
    expect((await store.session(a1))!.revokedAtMs).toBe(NOW + 1);
    expect((await store.sessionWithUser(a1))!.session.revokedAtMs).toBe(NOW + 1);
    expect(await store.revokeSession(randomUUID(), NOW)).toBe(false);
    expect(
      await store.rotateSession(a1, 'a1', { refreshHash: 'x', expiresAtMs: NOW + 99_000 }, NOW + 2),
    ).toBe(false);
    expect(await store.revokeSessionsOf(ann.id, NOW + 3)).toBe(2); // a2 and a3; a1 already was
    for (const id of [a2, a3]) expect((await store.session(id))!.revokedAtMs).toBe(NOW + 3);
    expect((await store.session(b1))!.revokedAtMs).toBeNull();
  });
});
