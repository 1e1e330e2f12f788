import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DATABASE_FILE, openLeaderboardsStore, openPostgres, openSqlite } from '@shardline/server';
import { Pool } from 'pg';
import { BENCH_BOARD } from './game.js';

export type StoreKind = 'sqlite' | 'postgres';

/** The machine's Postgres (trust auth); SHARDLINE_BENCH_PG_URL overrides. */
const POSTGRES_URL = process.env.SHARDLINE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Scores are drawn uniformly from [0, SCORE_RANGE), like the benchmark's submits. */
export const SCORE_RANGE = 1_000_000;

/** The server config keys that put the services on `store` (a fresh Postgres schema for each run). */
export async function storeConfig(store: StoreKind): Promise<Record<string, string>> {
  return store === 'sqlite'
    ? {}
    : { postgresUrl: POSTGRES_URL, postgresSchema: `bench_${randomBytes(4).toString('hex')}` };
}

/**
 * Fills the bench board with `entries` scores of made-up users, straight into the store's table
 * (migrated first, as the server would): a 'desc' board keeps the negated score as its rank key.
 * `dispose` drops what the run made in Postgres.
 */
export async function seedLeaderboard(
  store: StoreKind,
  config: { dataDir: string; postgresUrl?: string; postgresSchema?: string },
  entries: number,
): Promise<{ seconds: number; dispose(): Promise<void> }> {
  const started = performance.now();
  const baseMs = Date.now() - entries;
  if (store === 'sqlite') {
    const database = openSqlite(join(config.dataDir, DATABASE_FILE));
    await openLeaderboardsStore({ kind: 'sqlite', database });
    const insert = database.prepare(
      `INSERT INTO leaderboard_scores (board_id, user_id, username, score_key, subscore_key, metadata, reached_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, 0, NULL, ?, ?)`,
    );
    database.transaction(() => {
      for (let i = 0; i < entries; i++) {
        const score = Math.floor(Math.random() * SCORE_RANGE);
        insert.run(BENCH_BOARD, `seed-${i}`, `seed${i}`, -score, baseMs + i, baseMs + i);
      }
    })();
    database.close();
    return { seconds: (performance.now() - started) / 1000, dispose: async () => {} };
  }
  const pool = await openPostgres({ url: config.postgresUrl!, schema: config.postgresSchema!, max: 1 });
  await openLeaderboardsStore({ kind: 'postgres', pool });
  await pool.query(
    `INSERT INTO leaderboard_scores (board_id, user_id, username, score_key, subscore_key, metadata, reached_at_ms, updated_at_ms)
     SELECT $1, 'seed-' || i, 'seed' || i, -floor(random() * $2)::bigint, 0, NULL, $3::bigint + i, $3::bigint + i
     FROM generate_series(0, $4::int - 1) AS i`,
    [BENCH_BOARD, SCORE_RANGE, baseMs, entries],
  );
  await pool.query('ANALYZE leaderboard_scores');
  await pool.end();
  return {
    seconds: (performance.now() - started) / 1000,
    async dispose() {
      const admin = new Pool({ connectionString: config.postgresUrl!, max: 1 });
      await admin.query(`DROP SCHEMA IF EXISTS ${config.postgresSchema} CASCADE`);
      await admin.end();
    },
  };
}
