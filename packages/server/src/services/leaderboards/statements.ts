import type { LeaderboardOperator } from '@shardline/core';

/**
 * The leaderboards SQL, the same text for SQLite and Postgres (`$1…` parameters). The rank key
 * (score_key, subscore_key, reached_at_ms, user_id) ascends in rank order (see migrations.ts), so
 * the keys after a key are a row-value `>` range of the rank index.
 */

/** The rank key, in index order. */
const KEY = 'score_key, subscore_key, reached_at_ms, user_id';
/** The columns a read returns (rows.ts's ScoreRow). */
const COLUMNS =
  'user_id, username, score_key, subscore_key, metadata, reached_at_ms, updated_at_ms, revision';
const FROM_BOARD = 'FROM leaderboard_scores WHERE board_id = $1';
const MAX = Number.MAX_SAFE_INTEGER;

/** What a write that changes the entry always sets: its revision counts the writes. */
const REFRESH = `username = excluded.username, metadata = excluded.metadata,
  updated_at_ms = excluded.updated_at_ms, revision = s.revision + 1`;
const NEW_SCORE_DIFFERS = '(excluded.score_key, excluded.subscore_key) <> (s.score_key, s.subscore_key)';

/** Each operator's upsert: $1 board, $2 user, $3 username, $4 score key, $5 subscore key, $6 metadata, $7 now. */
const UPDATE_BY_OPERATOR: Record<LeaderboardOperator, string> = {
  best: `${REFRESH}, score_key = excluded.score_key, subscore_key = excluded.subscore_key,
    reached_at_ms = excluded.reached_at_ms
    WHERE (excluded.score_key, excluded.subscore_key) < (s.score_key, s.subscore_key)`,
  latest: `${REFRESH}, score_key = excluded.score_key, subscore_key = excluded.subscore_key,
    reached_at_ms = CASE WHEN ${NEW_SCORE_DIFFERS} THEN excluded.reached_at_ms ELSE s.reached_at_ms END`,
  increment: `${REFRESH}, score_key = s.score_key + excluded.score_key,
    subscore_key = s.subscore_key + excluded.subscore_key,
    reached_at_ms = CASE WHEN (excluded.score_key, excluded.subscore_key) <> (0, 0)
      THEN excluded.reached_at_ms ELSE s.reached_at_ms END
    WHERE abs(s.score_key + excluded.score_key) <= ${MAX}
      AND abs(s.subscore_key + excluded.subscore_key) <= ${MAX}`,
};

/** Each operator's upsert, answering the entry as written (no row: nothing changed). */
export const UPSERT = Object.fromEntries(
  Object.entries(UPDATE_BY_OPERATOR).map(([operator, update]) => [
    operator,
    `INSERT INTO leaderboard_scores AS s
    (board_id, user_id, username, score_key, subscore_key, metadata, reached_at_ms, updated_at_ms, revision)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1)
    ON CONFLICT (board_id, user_id) DO UPDATE SET ${update}
    RETURNING ${COLUMNS}`,
  ]),
) as Record<LeaderboardOperator, string>;

/** The rank key and revision of each entry (StoredKey), in rank order. */
const KEYS = `SELECT ${KEY}, revision ${FROM_BOARD}`;
/** $2 limit: the board's first keys (an index-only walk: the rank index ends with revision). */
export const FIRST_KEYS = `${KEYS} ORDER BY ${KEY} LIMIT $2`;
/** $2…$5 a rank key, $6 limit: the keys after it. */
export const KEYS_AFTER = `${KEYS} AND (${KEY}) > ($2, $3, $4, $5) ORDER BY ${KEY} LIMIT $6`;
/** $2 user. */
export const DELETE = 'DELETE FROM leaderboard_scores WHERE board_id = $1 AND user_id = $2';

/** `inList(column, param)` is the dialect's "column is one of the list parameter's strings". */
export type InList = (column: string, param: string) => string;

/** $2 a list of users: their entries, in no order (primary-key lookups). */
export function entriesOf(inList: InList): string {
  return `SELECT ${COLUMNS} ${FROM_BOARD} AND ${inList('user_id', '$2')}`;
}
