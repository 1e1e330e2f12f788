import { type LeaderboardDefinition, ShardlineError } from '@shardline/core';
import type { LeaderboardsStore, ScoreSubmission, StoredKey, StoredScore } from './leaderboards-store.js';
import { type KeyRow, keyFromRow, keyParams, rankKey, type ScoreRow, scoreFromRow } from './rows.js';
import { DELETE, entriesOf, FIRST_KEYS, type InList, KEYS_AFTER, UPSERT } from './statements.js';

/** The rows of a statement with `$1…` parameters. */
export type AllRows = <T>(sql: string, params: readonly unknown[]) => Promise<T[]>;

/** How the shared store reaches its database: the only difference between SQLite and Postgres. */
export interface LeaderboardsSql {
  all: AllRows;
  /** A write that returns rows (a submit); SQLite commits the writes of one moment together. */
  write: AllRows;
  /** Runs a statement; how many rows it wrote. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
  /** Runs `read`, whose statements all see one snapshot of the database where the dialect can. */
  snapshot(read: (all: AllRows) => Promise<void>): Promise<void>;
  inList: InList;
  /** A list of strings as the parameter `inList` reads. */
  listParam(values: readonly string[]): unknown;
}

/** The leaderboards store over either database (statements.ts). */
export class SqlLeaderboardsStore implements LeaderboardsStore {
  /** The dialect's statement reading entries by user id, made once (SQLite caches by the text). */
  private readonly entriesOf: string;

  protected constructor(private readonly sql: LeaderboardsSql) {
    this.entriesOf = entriesOf(sql.inList);
  }

  async submit(
    board: LeaderboardDefinition,
    next: ScoreSubmission,
    nowMs: number,
  ): Promise<StoredScore | undefined> {
    const [written] = await this.sql.write<ScoreRow>(UPSERT[board.operator], [
      board.id,
      next.userId,
      next.username,
      rankKey(board.order, next.score),
      rankKey(board.order, next.subscore),
      next.metadata,
      nowMs,
    ]);
    if (!written && board.operator === 'increment') {
      throw new ShardlineError(
        'LEADERBOARD_SCORE_INVALID',
        `adding ${next.score} (subscore ${next.subscore}) would take the score past ±(2^53−1)`,
      );
    }
    return written && scoreFromRow(written);
  }

  async scoresOf(boardId: string, userIds: readonly string[]): Promise<StoredScore[]> {
    if (userIds.length === 0) return [];
    const rows = await this.sql.all<ScoreRow>(this.entriesOf, [boardId, this.sql.listParam(userIds)]);
    return rows.map(scoreFromRow);
  }

  /** Pages by key: each page a range scan of the rank index from the last key before it. */
  keysInOrder(
    boardId: string,
    pageSize: number,
    onPage: (page: StoredKey[]) => Promise<void>,
  ): Promise<void> {
    return this.sql.snapshot(async (all) => {
      let last: KeyRow | undefined;
      do {
        const rows: KeyRow[] = last
          ? await all(KEYS_AFTER, [boardId, ...keyParams(last), pageSize])
          : await all(FIRST_KEYS, [boardId, pageSize]);
        if (rows.length > 0) await onPage(rows.map(keyFromRow));
        last = rows.length === pageSize ? rows[pageSize - 1] : undefined;
      } while (last);
    });
  }

  async deleteScore(boardId: string, userId: string): Promise<boolean> {
    return (await this.sql.run(DELETE, [boardId, userId])) > 0;
  }

  /** The database belongs to whoever opened it, which closes it. */
  async close(): Promise<void> {}
}
