import type { LeaderboardDefinition } from '@shardline/core';
import type { RankKey } from './rank-key.js';

/** One user's score as submitted, already checked by the service. */
export interface ScoreSubmission {
  userId: string;
  /** Kept with the entry for display: refreshed by every write that changes the entry. */
  username: string;
  /** A safe integer (±(2^53−1)). */
  score: number;
  /** A safe integer; breaks ties of equal scores, in the board's order. */
  subscore: number;
  /** A JSON object's text (≤ 1 KiB), or null. */
  metadata: string | null;
}

/** A user's entry as stored: its rank key, its revision, and what is shown with it. */
export interface StoredScore {
  userId: string;
  key: RankKey;
  /** 1 when the entry is created, one more with each write that changes it. */
  revision: number;
  username: string;
  /** A JSON object's text, or null. */
  metadata: string | null;
  /** When the entry last changed, ms since the Unix epoch. */
  updatedAtMs: number;
}

/** What ranking needs of an entry: its rank key and revision. */
export type StoredKey = Pick<StoredScore, 'userId' | 'key' | 'revision'>;

/**
 * The leaderboards service's store seam: one row per (board, user). Two implementations, SQLite and
 * Postgres, pass one contract suite (packages/server/test/leaderboards-store-contract.test.ts).
 *
 * Ranking is total and stable: the better score by the board's order, then the better subscore,
 * then whoever reached that score (and subscore) first, then the smaller user id (bytewise): the
 * ascending RankKey, then user id. The store keeps keys in that order; ranks are counted in
 * memory (rank-index.ts).
 */
export interface LeaderboardsStore {
  /**
   * Applies the board's operator to the user's entry in one SQL statement (concurrent submits never
   * lose one another). A write that changes the entry replaces its username and metadata, and, if
   * the score or subscore changed, restarts its "reached at" tie-break at `nowMs`. Answers the
   * entry as written, or undefined if unchanged (a 'best' submit that is no better).
   * LEADERBOARD_SCORE_INVALID, nothing changed, if an increment would leave the safe-integer range.
   */
  submit(
    board: LeaderboardDefinition,
    score: ScoreSubmission,
    nowMs: number,
  ): Promise<StoredScore | undefined>;
  /** The entries of those of `userIds` that have one, in no order. */
  scoresOf(boardId: string, userIds: readonly string[]): Promise<StoredScore[]>;
  /**
   * Every entry's key, in rank order, handed to `onPage` in pages of `pageSize` (the last may
   * be shorter; none for an empty board); the next page is read once `onPage` resolves. On Postgres
   * the pages come from one snapshot (a repeatable-read transaction) however long they take;
   * SQLite reads each page at its own moment (its writes are this process's own).
   */
  keysInOrder(boardId: string, pageSize: number, onPage: (page: StoredKey[]) => Promise<void>): Promise<void>;
  /** Removes the user's entry; false if there was none. */
  deleteScore(boardId: string, userId: string): Promise<boolean>;
  close(): Promise<void>;
}
