import type { PoolClient } from 'pg';
import { migratePostgres, type PostgresPool } from '../../store/postgres.js';
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
import { FRIENDS_AREA, POSTGRES_FRIENDS_MIGRATIONS } from './migrations.js';
import { type CountsRow, countsFromRow, linksFromRows, type PairRow, pairFromRow } from './rows.js';

type Queryable = PostgresPool | PoolClient;
const MINE = 'low_id = $1 OR high_id = $1';

/**
 * The friends store on Postgres (its table migrated on creation). Requests and accepts run in one
 * transaction holding an advisory lock per user (taken in canonical order, so two never deadlock):
 * the limits are exact, and two users asking each other at once make one friendship.
 */
export class PostgresFriendsStore implements FriendsStore {
  private constructor(private readonly pool: PostgresPool) {}

  static async open(pool: PostgresPool): Promise<PostgresFriendsStore> {
    await migratePostgres(pool, FRIENDS_AREA, POSTGRES_FRIENDS_MIGRATIONS);
    return new PostgresFriendsStore(pool);
  }

  async request(fromId: string, toId: string, nowMs: number, limits: FriendLimits): Promise<RequestOutcome> {
    return this.locked(fromId, toId, async (client) => {
      const counts = { from: await countsOf(client, fromId), to: await countsOf(client, toId) };
      const outcome = requestOutcome(await pairState(client, fromId, toId), fromId, counts, limits);
      if (outcome === 'requested') {
        await client.query(
          'INSERT INTO friend_pairs (low_id, high_id, requester_id, requested_at_ms) VALUES ($1, $2, $3, $4)',
          [...pairOf(fromId, toId), fromId, nowMs],
        );
      }
      if (outcome === 'befriended') await befriend(client, fromId, toId, nowMs);
      return outcome;
    });
  }

  async accept(userId: string, fromId: string, nowMs: number, limits: FriendLimits): Promise<AcceptOutcome> {
    return this.locked(userId, fromId, async (client) => {
      const counts = { from: await countsOf(client, fromId), to: await countsOf(client, userId) };
      const outcome = acceptOutcome(await pairState(client, userId, fromId), fromId, counts, limits);
      if (outcome === 'befriended') await befriend(client, userId, fromId, nowMs);
      return outcome;
    });
  }

  async dropRequest(userId: string, otherId: string): Promise<boolean> {
    return this.deletePair(userId, otherId, 'friends_since_ms IS NULL');
  }

  async unfriend(userId: string, friendId: string): Promise<boolean> {
    return this.deletePair(userId, friendId, 'friends_since_ms IS NOT NULL');
  }

  async areFriends(userId: string, otherId: string): Promise<boolean> {
    return (await pairState(this.pool, userId, otherId))?.friendsSinceMs != null;
  }

  async friendIdsOf(userId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT CASE WHEN low_id = $1 THEN high_id ELSE low_id END AS id FROM friend_pairs
       WHERE (${MINE}) AND friends_since_ms IS NOT NULL`,
      [userId],
    );
    return rows.map((row) => row.id);
  }

  async linksOf(userId: string): Promise<FriendLink[]> {
    const { rows } = await this.pool.query<PairRow>(`SELECT * FROM friend_pairs WHERE ${MINE}`, [userId]);
    return linksFromRows(userId, rows);
  }

  /** The pool belongs to whoever opened it, which ends it. */
  async close(): Promise<void> {}

  /** Runs `work` in a transaction holding both users' advisory locks (scoped to this schema). */
  private async locked<T>(a: string, b: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const id of pairOf(a, b)) {
        await client.query(
          "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '.friends.' || $1, 0))",
          [id],
        );
      }
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }

  private async deletePair(a: string, b: string, condition: string): Promise<boolean> {
    const result = await this.pool.query(
      `DELETE FROM friend_pairs WHERE low_id = $1 AND high_id = $2 AND ${condition}`,
      pairOf(a, b),
    );
    return result.rowCount === 1;
  }
}

async function pairState(db: Queryable, a: string, b: string): Promise<PairState | undefined> {
  const { rows } = await db.query<PairRow>(
    'SELECT * FROM friend_pairs WHERE low_id = $1 AND high_id = $2',
    pairOf(a, b),
  );
  return pairFromRow(rows[0]);
}

async function countsOf(db: Queryable, userId: string): Promise<LinkCounts> {
  const { rows } = await db.query<CountsRow>(
    `SELECT count(*) FILTER (WHERE friends_since_ms IS NOT NULL) AS friends,
       count(*) FILTER (WHERE friends_since_ms IS NULL AND requester_id = $1) AS outgoing,
       count(*) FILTER (WHERE friends_since_ms IS NULL AND requester_id <> $1) AS incoming
     FROM friend_pairs WHERE ${MINE}`,
    [userId],
  );
  return countsFromRow(rows[0]!);
}

async function befriend(db: Queryable, a: string, b: string, nowMs: number): Promise<void> {
  await db.query('UPDATE friend_pairs SET friends_since_ms = $1 WHERE low_id = $2 AND high_id = $3', [
    nowMs,
    ...pairOf(a, b),
  ]);
}
