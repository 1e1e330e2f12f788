import type { Migration } from '../../store/migrations.js';

/** The store area of the leaderboards service (its row in shardline_migrations). */
export const LEADERBOARDS_AREA = 'leaderboards';

/**
 * The leaderboards table in either dialect: `int64` is the 64-bit integer type, `strict` SQLite's
 * table options (WITHOUT ROWID: the rows live in their primary key's b-tree, so a submit or a read
 * by user descends one tree, not two), `bytewise` the collation that makes user ids compare byte by byte (Postgres's
 * default follows the locale; SQLite's is already bytewise).
 *
 * `score_key` and `subscore_key` are the score and subscore on an 'asc' board and their negations
 * on a 'desc' one, so ascending (score_key, subscore_key, reached_at_ms, user_id) is rank order on
 * every board: one ascending index reads a board in rank order (loading its RankIndex, which ranks).
 * `reached_at_ms` is when the entry first reached its current score and subscore. `revision` is 1
 * when the entry is created (the default, for rows inserted by other tools) and grows by one with
 * every write that changes it: of two results of writes to one entry, the greater revision is the
 * later state. The rank index ends with it, so a board's keys and revisions read in rank order from
 * the index alone.
 */
function leaderboardTables(int64: string, strict: string, bytewise: string): string {
  return `
    CREATE TABLE leaderboard_scores (
      board_id TEXT NOT NULL,
      user_id TEXT${bytewise} NOT NULL,
      username TEXT NOT NULL,
      score_key ${int64} NOT NULL,
      subscore_key ${int64} NOT NULL,
      metadata TEXT,
      reached_at_ms ${int64} NOT NULL,
      updated_at_ms ${int64} NOT NULL,
      revision ${int64} NOT NULL DEFAULT 1,
      PRIMARY KEY (board_id, user_id)
    )${strict};
    CREATE INDEX leaderboard_scores_by_rank
      ON leaderboard_scores (board_id, score_key, subscore_key, reached_at_ms, user_id, revision);`;
}

/** SQLite's leaderboards migrations. Never edit a shipped migration: add the next one. */
export const SQLITE_LEADERBOARDS_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'leaderboard scores', sql: leaderboardTables('INTEGER', ' WITHOUT ROWID, STRICT', '') },
];

/** Postgres's leaderboards migrations: the same table, step for step. */
export const POSTGRES_LEADERBOARDS_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'leaderboard scores', sql: leaderboardTables('BIGINT', '', ' COLLATE "C"') },
];
