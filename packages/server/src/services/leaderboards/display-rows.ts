import { dropOldest } from '../../recent-map.js';
import type { StoredScore } from './leaderboards-store.js';

/** Rows kept per board, most recently used last; older ones are read again when asked for. */
export const DISPLAY_ROWS_PER_BOARD = 50_000;

/**
 * The stored rows (names, metadata) this process last read or wrote, per board, so pages of
 * entries read often (the top, a player's own window) skip the database. The same contract as the
 * rank index: this process's writes replace their rows at once (`set`, `delete`); other processes'
 * writes show after a reload, which clears the board (`clear`).
 */
export class DisplayRows {
  private readonly boards = new Map<string, Map<string, StoredScore>>();

  constructor(private readonly perBoard = DISPLAY_ROWS_PER_BOARD) {}

  /** The rows known of these users; `missing` lists the users to read from the store. */
  lookup(boardId: string, userIds: readonly string[]): { found: StoredScore[]; missing: string[] } {
    const rows = this.boards.get(boardId);
    const found: StoredScore[] = [];
    const missing: string[] = [];
    for (const userId of userIds) {
      const row = rows?.get(userId);
      if (row) {
        rows!.delete(userId);
        rows!.set(userId, row); // now the most recently used
        found.push(row);
      } else {
        missing.push(userId);
      }
    }
    return { found, missing };
  }

  set(boardId: string, row: StoredScore): void {
    let rows = this.boards.get(boardId);
    if (!rows) {
      rows = new Map();
      this.boards.set(boardId, rows);
    }
    rows.delete(row.userId);
    rows.set(row.userId, row);
    dropOldest(rows, this.perBoard);
  }

  delete(boardId: string, userId: string): void {
    this.boards.get(boardId)?.delete(userId);
  }

  clear(boardId: string): void {
    this.boards.delete(boardId);
  }
}
