import type { SaveMeta } from '@shardline/core';
import type { PoolClient } from 'pg';
import { migratePostgres, type PostgresPool } from '../../store/postgres.js';
import { POSTGRES_SAVES_MIGRATIONS, SAVES_AREA } from './migrations.js';
import {
  DELETE_SQL,
  LIST_SQL,
  type MetaRow,
  metaFromRow,
  READ_SQL,
  type RecordRow,
  recordFromRow,
  VERSION_SQL,
  type VersionRow,
  versionOf,
  WRITE_SQL,
  writeParams,
} from './saves-sql.js';
import {
  deleteRefusal,
  type SaveContent,
  type SaveRecord,
  type SavesStore,
  type WriteRule,
  writeMode,
  writeRefusal,
} from './saves-store.js';

/**
 * $1 user: takes that user's saves lock until the transaction ends. Advisory locks are database-wide,
 * so the key includes the schema (stores in other schemas then rarely wait on each other).
 */
const LOCK_USER_SQL =
  "SELECT pg_advisory_xact_lock(hashtextextended('saves:' || current_schema() || ':' || $1, 0))";

/**
 * The saves store on Postgres (its table migrated on creation). Each write and delete is one
 * transaction holding the user's advisory lock: the conditional statement alone settles versions,
 * and the lock makes the slot count exact when new slots race (under READ COMMITTED, two inserts
 * could otherwise both see room for one). A write is durable once it returns (committed).
 */
export class PostgresSavesStore implements SavesStore {
  private constructor(private readonly pool: PostgresPool) {}

  static async open(pool: PostgresPool): Promise<PostgresSavesStore> {
    await migratePostgres(pool, SAVES_AREA, POSTGRES_SAVES_MIGRATIONS);
    return new PostgresSavesStore(pool);
  }

  async write(userId: string, slot: string, content: SaveContent, rule: WriteRule): Promise<SaveMeta> {
    return this.lockedFor(userId, async (client) => {
      const mode = writeMode(rule);
      if (mode !== 'refuse') {
        const { rows } = await client.query<MetaRow>(
          WRITE_SQL[mode],
          writeParams(userId, slot, content, rule, mode),
        );
        if (rows[0]) return metaFromRow(rows[0]);
      }
      throw writeRefusal(slot, await version(client, userId, slot), rule);
    });
  }

  async read(userId: string, slot: string): Promise<SaveRecord | undefined> {
    const { rows } = await this.pool.query<RecordRow>(READ_SQL, [userId, slot]);
    return rows[0] && recordFromRow(rows[0]);
  }

  async list(userId: string): Promise<SaveMeta[]> {
    const { rows } = await this.pool.query<MetaRow>(LIST_SQL, [userId]);
    return rows.map(metaFromRow);
  }

  async delete(userId: string, slot: string, expectedVersion?: number): Promise<void> {
    await this.lockedFor(userId, async (client) => {
      const { rowCount } = await client.query(DELETE_SQL, [userId, slot, expectedVersion ?? null]);
      if (rowCount !== 1) throw deleteRefusal(slot, await version(client, userId, slot), expectedVersion);
    });
  }

  /** The pool belongs to whoever opened it, which ends it. */
  async close(): Promise<void> {}

  /** Runs `work` in a transaction holding the user's lock; commits what it did unless it throws. */
  private async lockedFor<T>(userId: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query(LOCK_USER_SQL, [userId]);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is dropped from the pool, not reused.
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}

async function version(client: PoolClient, userId: string, slot: string): Promise<number | undefined> {
  const { rows } = await client.query<VersionRow>(VERSION_SQL, [userId, slot]);
  return versionOf(rows[0]);
}
