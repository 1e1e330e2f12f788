import { migrateSqlite } from '../../store/migrations.js';
import type { SqliteDatabase } from '../../store/sqlite.js';
import {
  type AcceptOutcome,
  acceptOutcome,
  type FriendLimits,
  type FriendLink,
  type FriendsStore,
  type LinkCounts,
  type PairState,
  pairOf,
  type RequestOutcome,
  requestOutcome,
} from './friends-store.js';
import { FRIENDS_AREA, SQLITE_FRIENDS_MIGRATIONS } from './migrations.js';
import { type CountsRow, countsFromRow, linksFromRows, type PairRow, pairFromRow } from './rows.js';

const MINE = 'low_id = ? OR high_id = ?';

/**
 * The friends store on the embedded SQLite database (its table migrated on creation). Requests and
 * accepts read and write inside one IMMEDIATE transaction: the write lock makes them atomic, also
 * against other processes on the same file.
 */
export class SqliteFriendsStore implements FriendsStore {
  private constructor(private readonly database: SqliteDatabase) {}

  static open(database: SqliteDatabase): SqliteFriendsStore {
    migrateSqlite(database, FRIENDS_AREA, SQLITE_FRIENDS_MIGRATIONS);
    return new SqliteFriendsStore(database);
  }

  async request(fromId: string, toId: string, nowMs: number, limits: FriendLimits): Promise<RequestOutcome> {
    return this.database
      .transaction((): RequestOutcome => {
        const counts = { from: this.counts(fromId), to: this.counts(toId) };
        const outcome = requestOutcome(this.pair(fromId, toId), fromId, counts, limits);
        if (outcome === 'requested') {
          this.database
            .prepare(
              'INSERT INTO friend_pairs (low_id, high_id, requester_id, requested_at_ms) VALUES (?, ?, ?, ?)',
            )
            .run(...pairOf(fromId, toId), fromId, nowMs);
        }
        if (outcome === 'befriended') this.befriend(fromId, toId, nowMs);
        return outcome;
      })
      .immediate();
  }

  async accept(userId: string, fromId: string, nowMs: number, limits: FriendLimits): Promise<AcceptOutcome> {
    return this.database
      .transaction((): AcceptOutcome => {
        const counts = { from: this.counts(fromId), to: this.counts(userId) };
        const outcome = acceptOutcome(this.pair(userId, fromId), fromId, counts, limits);
        if (outcome === 'befriended') this.befriend(userId, fromId, nowMs);
        return outcome;
      })
      .immediate();
  }

  async dropRequest(userId: string, otherId: string): Promise<boolean> {
    return this.deletePair(userId, otherId, 'friends_since_ms IS NULL');
  }

  async unfriend(userId: string, friendId: string): Promise<boolean> {
    return this.deletePair(userId, friendId, 'friends_since_ms IS NOT NULL');
  }

  async areFriends(userId: string, otherId: string): Promise<boolean> {
    return this.pair(userId, otherId)?.friendsSinceMs != null;
  }

  async friendIdsOf(userId: string): Promise<string[]> {
    return this.database
      .prepare<[string, string, string], { id: string }>(
        `SELECT CASE WHEN low_id = ? THEN high_id ELSE low_id END AS id FROM friend_pairs
         WHERE (${MINE}) AND friends_since_ms IS NOT NULL`,
      )
      .all(userId, userId, userId)
      .map((row) => row.id);
  }

  async linksOf(userId: string): Promise<FriendLink[]> {
    const rows = this.database
      .prepare<[string, string], PairRow>(`SELECT * FROM friend_pairs WHERE ${MINE}`)
      .all(userId, userId);
    return linksFromRows(userId, rows);
  }

  /** The database belongs to the runtime, which closes it. */
  async close(): Promise<void> {}

  private pair(a: string, b: string): PairState | undefined {
    return pairFromRow(
      this.database
        .prepare<[string, string], PairRow>('SELECT * FROM friend_pairs WHERE low_id = ? AND high_id = ?')
        .get(...pairOf(a, b)),
    );
  }

  private counts(userId: string): LinkCounts {
    const row = this.database
      .prepare<[string, string, string, string], CountsRow>(
        `SELECT count(*) FILTER (WHERE friends_since_ms IS NOT NULL) AS friends,
           count(*) FILTER (WHERE friends_since_ms IS NULL AND requester_id = ?) AS outgoing,
           count(*) FILTER (WHERE friends_since_ms IS NULL AND requester_id <> ?) AS incoming
         FROM friend_pairs WHERE ${MINE}`,
      )
      .get(userId, userId, userId, userId)!;
    return countsFromRow(row);
  }

  private befriend(a: string, b: string, nowMs: number): void {
    this.database
      .prepare('UPDATE friend_pairs SET friends_since_ms = ? WHERE low_id = ? AND high_id = ?')
      .run(nowMs, ...pairOf(a, b));
  }

  private deletePair(a: string, b: string, condition: string): boolean {
    return (
      this.database
        .prepare(`DELETE FROM friend_pairs WHERE low_id = ? AND high_id = ? AND ${condition}`)
        .run(...pairOf(a, b)).changes === 1
    );
  }
}
