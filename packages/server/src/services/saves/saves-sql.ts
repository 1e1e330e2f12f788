import type { SaveMeta } from '@shardline/core';
import type { SaveContent, SaveRecord, WriteMode, WriteRule } from './saves-store.js';

/**
 * The statements both stores run, in one text: parameters are `$1`, `$2`…, bound by position on
 * Postgres and by name (`{ 1: …, 2: … }`, see `byName`) on SQLite.
 */

const META = 'slot, title, description, size, checksum, version, updated_at_ms';

/** Parameters of a write: $1 user, $2 slot, $3–$8 the content, $9 the expected version or the slot limit. */
const NEW_ROW = `INSERT INTO saves (user_id, slot, title, description, data, size, checksum, updated_at_ms, version)
  SELECT $1, $2, $3, $4, $5, $6, $7, $8, 1`;
const HAS_ROOM = '(SELECT count(*) FROM saves WHERE user_id = $1) < $9';

/** Each write mode's statement: it returns the new metadata, or no row when the rule is not met. */
export const WRITE_SQL: Record<Exclude<WriteMode, 'refuse'>, string> = {
  update: `UPDATE saves SET title = $3, description = $4, data = $5, size = $6, checksum = $7,
      updated_at_ms = $8, version = version + 1
    WHERE user_id = $1 AND slot = $2 AND version = $9
    RETURNING ${META}`,
  insert: `${NEW_ROW} WHERE ${HAS_ROOM} ON CONFLICT (user_id, slot) DO NOTHING RETURNING ${META}`,
  upsert: `${NEW_ROW} WHERE ${HAS_ROOM} OR EXISTS (SELECT 1 FROM saves WHERE user_id = $1 AND slot = $2)
    ON CONFLICT (user_id, slot) DO UPDATE SET title = excluded.title, description = excluded.description,
      data = excluded.data, size = excluded.size, checksum = excluded.checksum,
      updated_at_ms = excluded.updated_at_ms, version = saves.version + 1
    RETURNING ${META}`,
};

/** The parameters of `WRITE_SQL[mode]`. */
export function writeParams(
  userId: string,
  slot: string,
  content: SaveContent,
  rule: WriteRule,
  mode: Exclude<WriteMode, 'refuse'>,
): unknown[] {
  const { title, description, data, checksum, updatedAtMs } = content;
  const blob = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const last = mode === 'update' ? rule.expectedVersion : rule.maxSlots;
  return [userId, slot, title, description, blob, data.byteLength, checksum, updatedAtMs, last];
}

/** $1 user, $2 slot: the slot's version, if it is written. */
export const VERSION_SQL = 'SELECT version FROM saves WHERE user_id = $1 AND slot = $2';
/** $1 user, $2 slot: the slot with its data. */
export const READ_SQL = `SELECT ${META}, data FROM saves WHERE user_id = $1 AND slot = $2`;
/** $1 user: every slot's metadata, by name (byte order on both databases). */
export const LIST_SQL = `SELECT ${META} FROM saves WHERE user_id = $1 ORDER BY slot`;
/** $1 user, $2 slot, $3 the expected version or null for any: a row if it deleted one. */
export const DELETE_SQL =
  'DELETE FROM saves WHERE user_id = $1 AND slot = $2 AND version = coalesce($3, version) RETURNING version';

/** SQLite's binding of `$1`, `$2`…: an object keyed by the numbers. */
export function byName(params: readonly unknown[]): Record<string, unknown> {
  return Object.fromEntries(params.map((value, index) => [index + 1, value]));
}

/** 64-bit integers come back as numbers (SQLite) or strings (pg). */
type Int = number | string;

export interface MetaRow {
  slot: string;
  title: string;
  description: string;
  size: Int;
  checksum: string;
  version: Int;
  updated_at_ms: Int;
}

export interface RecordRow extends MetaRow {
  data: Buffer;
}

export interface VersionRow {
  version: Int;
}

export function metaFromRow(row: MetaRow): SaveMeta {
  return {
    slot: row.slot,
    title: row.title,
    description: row.description,
    size: Number(row.size),
    checksum: row.checksum,
    version: Number(row.version),
    updatedAtMs: Number(row.updated_at_ms),
  };
}

export function recordFromRow(row: RecordRow): SaveRecord {
  const { data } = row;
  return { ...metaFromRow(row), data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function versionOf(row: VersionRow | undefined): number | undefined {
  return row === undefined ? undefined : Number(row.version);
}
