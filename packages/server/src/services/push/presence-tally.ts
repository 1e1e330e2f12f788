import { ShardlineError } from '@shardline/core';

/** A reporting process's name: 1–64 letters, digits, `_` and `-`. */
export const PROCESS_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** Most processes the tally follows, and most users one process may hold (past them: SERVER_BUSY). */
export const PRESENCE_LIMITS = { processes: 1024, usersPerProcess: 100_000 } as const;

interface Holder {
  users: Set<string>;
  /** Whether its whole list came (a resync's last part): a beat answers this. */
  full: boolean;
  /** The resync under way: its round, and the users of its parts so far. */
  incoming?: { round: number; users: Set<string> };
  seenAtMs: number;
}

/**
 * Which processes hold which users (see PresenceDesk), on the lobbies' coordinator. A user is
 * present while any process holds them; every change returns the users it left held by none. A
 * process not heard from (report or beat) for `expireAfterMs` is dropped with its users, as a
 * process that died takes its streams with it. Time is an argument: ms since the epoch.
 */
export class PresenceTally {
  private readonly processes = new Map<string, Holder>();
  /** How many processes hold each user. */
  private readonly holders = new Map<string, number>();

  constructor(private readonly expireAfterMs: number) {}

  /** `process` holds `userIds` (SERVER_BUSY past PRESENCE_LIMITS.usersPerProcess). */
  held(process: string, userIds: readonly string[], nowMs: number): void {
    const holder = this.holder(process, nowMs);
    checkRoom(holder.users.size + userIds.length);
    for (const userId of userIds) this.add(holder, userId);
  }

  /**
   * One part of `process`'s whole list (see PresenceDesk.resync); the part with `done` makes the
   * round's users its list, and returns the users that left held by none.
   */
  resync(process: string, round: number, userIds: readonly string[], done: boolean, nowMs: number): string[] {
    const holder = this.holder(process, nowMs);
    if (holder.incoming?.round !== round) holder.incoming = { round, users: new Set() };
    const incoming = holder.incoming.users;
    checkRoom(incoming.size + userIds.length);
    for (const userId of userIds) incoming.add(userId);
    if (!done) return [];
    delete holder.incoming;
    holder.full = true;
    for (const userId of incoming) this.add(holder, userId);
    return [...holder.users].filter((userId) => !incoming.has(userId) && this.drop(holder, userId));
  }

  /** `process` no longer holds `userIds`; returns those now held by none. */
  released(process: string, userIds: readonly string[], nowMs: number): string[] {
    const holder = this.holder(process, nowMs);
    return userIds.filter((userId) => this.drop(holder, userId));
  }

  /** `process` is alive; whether its whole list is here. */
  beat(process: string, nowMs: number): boolean {
    return this.holder(process, nowMs).full;
  }

  /** Drops the processes not heard from for expireAfterMs; returns the users now held by none. */
  expire(nowMs: number): string[] {
    const gone: string[] = [];
    for (const [process, holder] of this.processes) {
      if (nowMs - holder.seenAtMs < this.expireAfterMs) continue;
      this.processes.delete(process);
      for (const userId of [...holder.users]) if (this.drop(holder, userId)) gone.push(userId);
    }
    return gone;
  }

  private holder(process: string, nowMs: number): Holder {
    let holder = this.processes.get(process);
    if (!holder) {
      if (this.processes.size >= PRESENCE_LIMITS.processes) {
        throw new ShardlineError(
          'SERVER_BUSY',
          `presence follows at most ${PRESENCE_LIMITS.processes} processes`,
        );
      }
      holder = { users: new Set(), full: false, seenAtMs: nowMs };
      this.processes.set(process, holder);
    }
    holder.seenAtMs = nowMs;
    return holder;
  }

  private add(holder: Holder, userId: string): void {
    if (holder.users.has(userId)) return;
    holder.users.add(userId);
    this.holders.set(userId, (this.holders.get(userId) ?? 0) + 1);
  }

  /** Removes one holding; true when that was the user's last. */
  private drop(holder: Holder, userId: string): boolean {
    if (!holder.users.delete(userId)) return false;
    const count = (this.holders.get(userId) ?? 1) - 1;
    if (count > 0) {
      this.holders.set(userId, count);
      return false;
    }
    this.holders.delete(userId);
    return true;
  }
}

function checkRoom(users: number): void {
  if (users > PRESENCE_LIMITS.usersPerProcess) {
    throw new ShardlineError(
      'SERVER_BUSY',
      `one process holds at most ${PRESENCE_LIMITS.usersPerProcess} users`,
    );
  }
}
