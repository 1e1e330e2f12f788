import { type FriendsList, ShardlineError } from '@shardline/core';
import type { AccountsStore } from '../accounts/accounts-store.js';
import type { FriendLimits, FriendLink, FriendsStore, LimitReached } from './friends-store.js';

/**
 * Default limits per user, refused past with FRIEND_LIMIT_REACHED: friends on either side when a
 * friendship would form, requests sent and not yet answered, and requests waiting on the recipient
 * (so nobody's inbox grows without bound).
 */
export const FRIEND_LIMITS: FriendLimits = { friends: 500, outgoingRequests: 100, incomingRequests: 500 };

const LIMIT_MESSAGES: Record<LimitReached, string> = {
  'friends-full': 'one of you already has the most friends allowed',
  'outgoing-full': 'too many of your friend requests are waiting: cancel some first',
  'incoming-full': 'that user has too many friend requests waiting',
};

/**
 * Friends over a FriendsStore; users are looked up (by name, and for their names in lists) through
 * the accounts store. Every write is idempotent where a client retry could repeat it.
 */
export class FriendsService {
  constructor(
    private readonly store: FriendsStore,
    private readonly accounts: AccountsStore,
    private readonly limits: FriendLimits = FRIEND_LIMITS,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * Asks the user named `toUsername` (up to case and Unicode form) to be friends. If they had asked
   * first, the two become friends at once; asking again, or asking a friend, changes nothing.
   * FRIEND_USER_NOT_FOUND, FRIEND_SELF, or FRIEND_LIMIT_REACHED.
   */
  async request(
    fromUserId: string,
    toUsername: string,
  ): Promise<{ userId: string; username: string; state: 'requested' | 'friends' }> {
    const to = typeof toUsername === 'string' ? await this.accounts.userByName(toUsername) : undefined;
    if (!to) throw new ShardlineError('FRIEND_USER_NOT_FOUND', 'there is no user of that name');
    if (to.id === fromUserId) throw new ShardlineError('FRIEND_SELF', 'you cannot befriend yourself');
    const outcome = await this.store.request(fromUserId, to.id, this.nowMs(), this.limits);
    if (isLimit(outcome)) throw limitReached(outcome);
    const state = outcome === 'requested' || outcome === 'already-requested' ? 'requested' : 'friends';
    return { userId: to.id, username: to.username, state };
  }

  /**
   * Accepts `fromUserId`'s request to `userId` (a no-op if they are already friends, so a retry
   * succeeds). FRIEND_REQUEST_NOT_FOUND if there is none; FRIEND_LIMIT_REACHED past the friends limit.
   */
  async accept(userId: string, fromUserId: string): Promise<void> {
    const outcome = await this.store.accept(userId, fromUserId, this.nowMs(), this.limits);
    if (outcome === 'not-found') throw requestNotFound();
    if (outcome === 'friends-full') throw limitReached(outcome);
  }

  /**
   * Drops the pending request between the two: declines theirs, or cancels mine.
   * FRIEND_REQUEST_NOT_FOUND if there is none either way.
   */
  async dropRequest(userId: string, otherUserId: string): Promise<void> {
    if (!(await this.store.dropRequest(userId, otherUserId))) throw requestNotFound();
  }

  /** Ends a friendship, from either side; idempotent. True if there was one. */
  remove(userId: string, friendId: string): Promise<boolean> {
    return this.store.unfriend(userId, friendId);
  }

  /** The user's friends and requests both ways, with current names; users since deleted are left out. */
  async list(userId: string): Promise<FriendsList> {
    const links = await this.store.linksOf(userId);
    const users = new Map(
      (await this.accounts.usersByIds(links.map((link) => link.otherId))).map((user) => [user.id, user]),
    );
    const list: FriendsList = { friends: [], incoming: [], outgoing: [] };
    links.forEach((link) => {
      const user = users.get(link.otherId);
      if (user)
        list[LIST_OF[link.kind]].push({ userId: user.id, username: user.username, sinceMs: link.sinceMs });
    });
    return list;
  }

  /** Whether the two are friends: one indexed lookup. */
  areFriends(userId: string, otherId: string): Promise<boolean> {
    return this.store.areFriends(userId, otherId);
  }

  /** The ids of a user's friends, in no particular order (for friends' scores, friends-only lobbies). */
  friendIdsOf(userId: string): Promise<string[]> {
    return this.store.friendIdsOf(userId);
  }
}

const LIST_OF: Record<FriendLink['kind'], keyof FriendsList> = {
  friend: 'friends',
  incoming: 'incoming',
  outgoing: 'outgoing',
};

function isLimit(outcome: string): outcome is LimitReached {
  return Object.hasOwn(LIMIT_MESSAGES, outcome);
}

function limitReached(limit: LimitReached): ShardlineError {
  return new ShardlineError('FRIEND_LIMIT_REACHED', LIMIT_MESSAGES[limit]);
}

function requestNotFound(): ShardlineError {
  return new ShardlineError('FRIEND_REQUEST_NOT_FOUND', 'there is no such friend request');
}
