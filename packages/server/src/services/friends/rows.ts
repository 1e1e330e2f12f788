import type { FriendLink, LinkCounts, PairState } from './friends-store.js';

/** Columns as both stores return them: 64-bit integers come back as numbers (SQLite) or strings (pg). */
type Int = number | string;

export interface PairRow {
  low_id: string;
  high_id: string;
  requester_id: string;
  requested_at_ms: Int;
  friends_since_ms: Int | null;
}

export interface CountsRow {
  friends: Int;
  outgoing: Int;
  incoming: Int;
}

export function pairFromRow(row: PairRow | undefined): PairState | undefined {
  return (
    row && {
      requesterId: row.requester_id,
      friendsSinceMs: row.friends_since_ms === null ? null : Number(row.friends_since_ms),
    }
  );
}

export function countsFromRow(row: CountsRow): LinkCounts {
  return { friends: Number(row.friends), outgoing: Number(row.outgoing), incoming: Number(row.incoming) };
}

/** `userId`'s links from its pair rows, oldest first (ties by the other's id). */
export function linksFromRows(userId: string, rows: PairRow[]): FriendLink[] {
  return rows
    .map((row): FriendLink => {
      const otherId = row.low_id === userId ? row.high_id : row.low_id;
      if (row.friends_since_ms !== null)
        return { otherId, kind: 'friend', sinceMs: Number(row.friends_since_ms) };
      const kind = row.requester_id === userId ? 'outgoing' : 'incoming';
      return { otherId, kind, sinceMs: Number(row.requested_at_ms) };
    })
    .sort((a, b) => a.sinceMs - b.sinceMs || (a.otherId < b.otherId ? -1 : a.otherId > b.otherId ? 1 : 0));
}
