/**
 * The friends service's store seam. A friendship, or a pending request, is one row per pair of users
 * kept in canonical order (`low_id` < `high_id`, compared as JavaScript strings): so `areFriends` is
 * one primary-key lookup, a pair can never hold two requests, and a request becomes a friendship by
 * updating its row. Two implementations, SQLite and Postgres, pass one contract suite
 * (packages/server/test/friends-store-contract.test.ts). Times are ms since the Unix epoch; user ids
 * are the accounts service's opaque ids (not foreign keys: the areas stay independent).
 */
export interface FriendsStore {
  /**
   * A request from `fromId` to `toId` (never equal), atomically: a no-op if they are friends or it
   * was already made; makes them friends if `toId` had asked `fromId`; else records it, within `limits`.
   */
  request(fromId: string, toId: string, nowMs: number, limits: FriendLimits): Promise<RequestOutcome>;
  /** Makes friends of `userId` and `fromId` if `fromId` asked `userId`, within `limits`. */
  accept(userId: string, fromId: string, nowMs: number, limits: FriendLimits): Promise<AcceptOutcome>;
  /** Drops a pending request between the two, whichever way it goes; true if there was one. */
  dropRequest(userId: string, otherId: string): Promise<boolean>;
  /** Ends a friendship, from either side; true if there was one. */
  unfriend(userId: string, friendId: string): Promise<boolean>;
  areFriends(userId: string, otherId: string): Promise<boolean>;
  friendIdsOf(userId: string): Promise<string[]>;
  /** A user's friendships and requests both ways, oldest first. */
  linksOf(userId: string): Promise<FriendLink[]>;
  close(): Promise<void>;
}

/** Most links a user may have: friends, requests they sent and are waiting on, requests waiting on them. */
export interface FriendLimits {
  friends: number;
  outgoingRequests: number;
  incomingRequests: number;
}

/** A limit a write would have passed (nothing was written). */
export type LimitReached = 'friends-full' | 'outgoing-full' | 'incoming-full';
export type RequestOutcome =
  | 'requested'
  | 'already-requested'
  | 'befriended'
  | 'already-friends'
  | LimitReached;
export type AcceptOutcome = 'befriended' | 'already-friends' | 'not-found' | 'friends-full';

export interface FriendLink {
  otherId: string;
  kind: 'friend' | 'incoming' | 'outgoing';
  /** When they became friends, or when the request was made. */
  sinceMs: number;
}

/** A pair's row as the stores read it under their lock. */
export interface PairState {
  requesterId: string;
  /** null while the request is pending. */
  friendsSinceMs: number | null;
}

/** How many links of each kind a user has. */
export interface LinkCounts {
  friends: number;
  outgoing: number;
  incoming: number;
}

/** The pair's key: the two ids in canonical order. */
export function pairOf(a: string, b: string): [low: string, high: string] {
  return a < b ? [a, b] : [b, a];
}

/**
 * What a request does, given the pair's row and both users' counts read under the stores' lock:
 * 'requested' (insert the row) and 'befriended' (set its friends_since_ms) are the writes.
 */
export function requestOutcome(
  pair: PairState | undefined,
  fromId: string,
  counts: { from: LinkCounts; to: LinkCounts },
  limits: FriendLimits,
): RequestOutcome {
  if (pair?.friendsSinceMs != null) return 'already-friends';
  if (pair?.requesterId === fromId) return 'already-requested';
  if (pair) return befriendOutcome(counts, limits);
  if (counts.from.outgoing >= limits.outgoingRequests) return 'outgoing-full';
  if (counts.to.incoming >= limits.incomingRequests) return 'incoming-full';
  return 'requested';
}

/** What accepting `fromId`'s request does: 'befriended' is the write. */
export function acceptOutcome(
  pair: PairState | undefined,
  fromId: string,
  counts: { from: LinkCounts; to: LinkCounts },
  limits: FriendLimits,
): AcceptOutcome {
  if (pair?.friendsSinceMs != null) return 'already-friends';
  if (pair?.requesterId !== fromId) return 'not-found';
  return befriendOutcome(counts, limits);
}

function befriendOutcome(
  counts: { from: LinkCounts; to: LinkCounts },
  limits: FriendLimits,
): 'befriended' | 'friends-full' {
  return counts.from.friends >= limits.friends || counts.to.friends >= limits.friends
    ? 'friends-full'
    : 'befriended';
}
