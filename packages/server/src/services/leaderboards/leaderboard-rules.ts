import { type LeaderboardDefinition, ShardlineError } from '@shardline/core';

/** Board ids: 1–64 of `[A-Za-z0-9_.-]`. */
const BOARD_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const ORDERS: readonly string[] = ['desc', 'asc'];
const OPERATORS: readonly string[] = ['best', 'latest', 'increment'];

/** The bounds of leaderboard reads and writes. */
export const LEADERBOARD_LIMITS = {
  /** Entries a top page or an around-me window holds at most; 10 when not asked. */
  pageSize: 100,
  defaultPageSize: 10,
  /** The deepest top page starts here. */
  maxOffset: 1_000_000,
  /** Users one forUsers read names at most (their rows are read in one query). */
  users: 1000,
  /** A score's metadata, as JSON text, in UTF-8 bytes. */
  metadataBytes: 1024,
} as const;

/** What is wrong with a definition (its id, order, operator or authoritative flag), if anything. */
export function definitionProblem(definition: LeaderboardDefinition): string | undefined {
  const { id, order, operator, authoritative = false } = definition;
  return typeof id !== 'string' || !BOARD_ID.test(id)
    ? `id must be 1–64 of [A-Za-z0-9_.-], not ${JSON.stringify(id)}`
    : !ORDERS.includes(order)
      ? `order must be 'desc' or 'asc', not ${JSON.stringify(order)}`
      : !OPERATORS.includes(operator)
        ? `operator must be 'best', 'latest' or 'increment', not ${JSON.stringify(operator)}`
        : typeof authoritative !== 'boolean'
          ? 'authoritative must be true or false'
          : undefined;
}

/** A read's page size: `limit` if it is 1–100, 10 if not given; REQUEST_INVALID otherwise. */
export function pageSize(limit: number | undefined): number {
  const size = limit ?? LEADERBOARD_LIMITS.defaultPageSize;
  if (!Number.isInteger(size) || size < 1 || size > LEADERBOARD_LIMITS.pageSize) {
    throw new ShardlineError('REQUEST_INVALID', `limit must be 1–${LEADERBOARD_LIMITS.pageSize}`);
  }
  return size;
}

/** Metadata as stored: null if none, else a JSON object's text of ≤ 1 KiB (UTF-8). */
export function metadataText(metadata: unknown): string | null {
  if (metadata === undefined) return null;
  let text: string | undefined;
  try {
    text = typeof metadata === 'object' && !Array.isArray(metadata) ? JSON.stringify(metadata) : undefined;
  } catch {
    // A BigInt or a cycle: not JSON.
  }
  if (!text?.startsWith('{') || Buffer.byteLength(text) > LEADERBOARD_LIMITS.metadataBytes) {
    throw new ShardlineError(
      'LEADERBOARD_SCORE_INVALID',
      `metadata must be a JSON object of at most ${LEADERBOARD_LIMITS.metadataBytes} bytes`,
    );
  }
  return text;
}
