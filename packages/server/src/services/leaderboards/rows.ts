import type { LeaderboardEntry, LeaderboardOrder } from '@shardline/core';
import type { StoredKey, StoredScore } from './leaderboards-store.js';
import type { Placed } from './rank-index.js';
import type { RankKey } from './rank-key.js';

/** 64-bit integers come back as numbers (SQLite) or strings (pg); both are safe integers here. */
type Int = number | string;

/** A board's rank key and revision as statements.ts's KEYS reads them. */
export interface KeyRow {
  user_id: string;
  score_key: Int;
  subscore_key: Int;
  reached_at_ms: Int;
  revision: Int;
}

/** A leaderboard_scores row as the other reads return it (statements.ts's COLUMNS). */
export interface ScoreRow extends KeyRow {
  username: string;
  metadata: string | null;
  updated_at_ms: Int;
}

/**
 * A score's rank key on a board of `order`, and back again (the map is its own inverse): the value
 * on an 'asc' board, its negation on a 'desc' one. `0 - x`, not `-x`, so 0 stays +0.
 */
export function rankKey(order: LeaderboardOrder, value: number): number {
  return order === 'desc' ? 0 - value : value;
}

/** The row's rank key as statement parameters (four of them: statements.ts's KEY). */
export function keyParams(row: KeyRow): Int[] {
  return [row.score_key, row.subscore_key, row.reached_at_ms, row.user_id];
}

export function keyFromRow(row: KeyRow): StoredKey {
  const key: RankKey = {
    scoreKey: Number(row.score_key),
    subscoreKey: Number(row.subscore_key),
    reachedAtMs: Number(row.reached_at_ms),
  };
  return { userId: row.user_id, key, revision: Number(row.revision) };
}

/** Built field by field: spreading keyFromRow's answer measured ~50 times slower on Node 20. */
export function scoreFromRow(row: ScoreRow): StoredScore {
  const { userId, key, revision } = keyFromRow(row);
  return {
    userId,
    key,
    revision,
    username: row.username,
    metadata: row.metadata,
    updatedAtMs: Number(row.updated_at_ms),
  };
}

/** The entry at `place` (its rank and key, from the rank index), shown with its stored row. */
export function entryAt(order: LeaderboardOrder, place: Placed, stored: StoredScore): LeaderboardEntry {
  return {
    rank: place.rank,
    userId: place.userId,
    username: stored.username,
    score: rankKey(order, place.key.scoreKey),
    subscore: rankKey(order, place.key.subscoreKey),
    metadata: stored.metadata === null ? null : JSON.parse(stored.metadata),
    updatedAtMs: stored.updatedAtMs,
  };
}
