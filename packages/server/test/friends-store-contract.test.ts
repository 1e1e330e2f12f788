import { randomUUID } from 'node:crypto';
import { type FriendLimits, type FriendsStore, openFriendsStore } from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceDatabases } from './support/service-databases.js';

const NOW = 1_800_000_000_000;
const ROOMY: FriendLimits = { friends: 500, outgoingRequests: 100, incomingRequests: 500 };

describe.each(serviceDatabases)('friends store contract: %s', (_name, open) => {
  let disposeDatabase: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await disposeDatabase?.();
    disposeDatabase = undefined;
  });
  const fresh = async (): Promise<FriendsStore> => {
    const { database, dispose } = await open();
    disposeDatabase = dispose;
    return openFriendsStore(database);
  };
  const ids = (count: number) => Array.from({ length: count }, () => randomUUID());

  it('records a request once, and shows it to both sides', async () => {
    const store = await fresh();
    const [ann, bob] = ids(2);
    expect(await store.request(ann!, bob!, NOW, ROOMY)).toBe('requested');
    expect(await store.request(ann!, bob!, NOW + 5, ROOMY)).toBe('already-requested');
    expect(await store.linksOf(ann!)).toEqual([{ otherId: bob, kind: 'outgoing', sinceMs: NOW }]);
    expect(await store.linksOf(bob!)).toEqual([{ otherId: ann, kind: 'incoming', sinceMs: NOW }]);
    expect(await store.areFriends(ann!, bob!)).toBe(false);
    expect(await store.friendIdsOf(ann!)).toEqual([]);
  });

  it('makes friends when the other had asked first, then treats requests as no-ops', async () => {
    const store = await fresh();
    const [ann, bob, cat] = ids(3);
    await store.request(ann!, bob!, NOW, ROOMY);
    expect(await store.request(bob!, ann!, NOW + 10, ROOMY)).toBe('befriended');
    expect(await store.request(ann!, bob!, NOW + 20, ROOMY)).toBe('already-friends');
    expect(await store.areFriends(ann!, bob!)).toBe(true);
    expect(await store.areFriends(bob!, ann!)).toBe(true);
    expect(await store.areFriends(ann!, cat!)).toBe(false);
    expect(await store.friendIdsOf(bob!)).toEqual([ann]);
    expect(await store.linksOf(ann!)).toEqual([{ otherId: bob, kind: 'friend', sinceMs: NOW + 10 }]);
  });

  it('accepts only a request the other made, and a repeat is a no-op', async () => {
    const store = await fresh();
    const [ann, bob, cat] = ids(3);
    await store.request(ann!, bob!, NOW, ROOMY);
    expect(await store.accept(ann!, bob!, NOW + 1, ROOMY)).toBe('not-found'); // ann cannot accept her own
    expect(await store.accept(bob!, cat!, NOW + 1, ROOMY)).toBe('not-found');
    expect(await store.accept(bob!, bob!, NOW + 1, ROOMY)).toBe('not-found');
    expect(await store.areFriends(ann!, bob!)).toBe(false);
    expect(await store.accept(bob!, ann!, NOW + 2, ROOMY)).toBe('befriended');
    expect(await store.accept(bob!, ann!, NOW + 3, ROOMY)).toBe('already-friends');
    expect(await store.linksOf(bob!)).toEqual([{ otherId: ann, kind: 'friend', sinceMs: NOW + 2 }]);
  });

  it('drops requests either way and ends friendships from either side, each only its own kind', async () => {
    const store = await fresh();
    const [ann, bob, cat] = ids(3);
    await store.request(ann!, bob!, NOW, ROOMY);
    expect(await store.unfriend(bob!, ann!)).toBe(false); // a request is not a friendship
    expect(await store.dropRequest(bob!, ann!)).toBe(true); // declined
    expect(await store.dropRequest(bob!, ann!)).toBe(false);
    await store.request(ann!, cat!, NOW, ROOMY);
    expect(await store.dropRequest(ann!, cat!)).toBe(true); // cancelled
    await store.request(ann!, bob!, NOW, ROOMY);
    await store.accept(bob!, ann!, NOW, ROOMY);
    expect(await store.dropRequest(ann!, bob!)).toBe(false); // a friendship is not a request
    expect(await store.areFriends(ann!, bob!)).toBe(true);
    expect(await store.unfriend(bob!, ann!)).toBe(true);
    expect(await store.unfriend(ann!, bob!)).toBe(false);
    for (const user of [ann!, bob!, cat!]) expect(await store.linksOf(user)).toEqual([]);
  });

  it('lists links oldest first', async () => {
    const store = await fresh();
    const [ann, bob, cat, dan] = ids(4);
    await store.request(cat!, ann!, NOW + 30, ROOMY);
    await store.request(ann!, bob!, NOW + 10, ROOMY);
    await store.request(dan!, ann!, NOW + 20, ROOMY);
    await store.accept(ann!, dan!, NOW + 40, ROOMY);
    expect(await store.linksOf(ann!)).toEqual([
      { otherId: bob, kind: 'outgoing', sinceMs: NOW + 10 },
      { otherId: cat, kind: 'incoming', sinceMs: NOW + 30 },
      { otherId: dan, kind: 'friend', sinceMs: NOW + 40 },
    ]);
  });

  it('refuses writes past each limit and writes nothing', async () => {
    const store = await fresh();
    const [ann, bob, cat, dan] = ids(4);
    const tight: FriendLimits = { friends: 1, outgoingRequests: 1, incomingRequests: 1 };
    expect(await store.request(ann!, bob!, NOW, tight)).toBe('requested');
    expect(await store.request(ann!, cat!, NOW, tight)).toBe('outgoing-full');
    expect(await store.request(cat!, bob!, NOW, tight)).toBe('incoming-full');
    expect(await store.accept(bob!, ann!, NOW, tight)).toBe('befriended');
    await store.request(cat!, ann!, NOW, tight); // ann's outgoing slot is free again
    expect(await store.accept(ann!, cat!, NOW, tight)).toBe('friends-full');
    await store.request(dan!, cat!, NOW, tight);
    expect(await store.request(cat!, dan!, NOW, { ...tight, friends: 0 })).toBe('friends-full');
    expect(await store.friendIdsOf(ann!)).toEqual([bob]);
    expect((await store.linksOf(ann!)).map((link) => link.kind).sort()).toEqual(['friend', 'incoming']);
    expect(await store.linksOf(dan!)).toEqual([{ otherId: cat, kind: 'outgoing', sinceMs: NOW }]);
  });

  it('makes one friendship when two users ask each other at once', async () => {
    const store = await fresh();
    for (let round = 0; round < 10; round += 1) {
      const [ann, bob] = ids(2);
      const outcomes = await Promise.all([
        store.request(ann!, bob!, NOW, ROOMY),
        store.request(bob!, ann!, NOW, ROOMY),
      ]);
      expect(outcomes.sort()).toEqual(['befriended', 'requested']);
      expect(await store.areFriends(ann!, bob!)).toBe(true);
    }
  });

  it('keeps the friends limit exact under concurrent accepts', async () => {
    const store = await fresh();
    const [ann, ...others] = ids(9);
    const limits = { ...ROOMY, friends: 3 };
    for (const other of others) await store.request(other, ann!, NOW, limits);
    const outcomes = await Promise.all(others.map((other) => store.accept(ann!, other, NOW, limits)));
    expect(outcomes.filter((outcome) => outcome === 'befriended')).toHaveLength(3);
    expect(outcomes.filter((outcome) => outcome === 'friends-full')).toHaveLength(5);
    expect(await store.friendIdsOf(ann!)).toHaveLength(3);
  });

  it('stores ids as given, SQL-looking ones included', async () => {
    const store = await fresh();
    const sneaky = "x'); DROP TABLE friend_pairs;--";
    const ann = randomUUID();
    await store.request(sneaky, ann, NOW, ROOMY);
    expect(await store.accept(ann, sneaky, NOW, ROOMY)).toBe('befriended');
    expect(await store.friendIdsOf(ann)).toEqual([sneaky]);
    expect(await store.areFriends(sneaky, ann)).toBe(true);
  });
});
