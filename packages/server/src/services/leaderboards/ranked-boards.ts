import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LeaderboardsStore, StoredKey } from './leaderboards-store.js';
import { RankIndex } from './rank-index.js';

/** A change this process made to an entry: its key and revision as written, or its deletion. */
export type RankChange = StoredKey | { userId: string; deleted: true };

interface Board {
  /** The index reads use: undefined until the first load completes, then always one. */
  serving: RankIndex | undefined;
  /** The load in progress, if any. */
  loading: Promise<RankIndex> | undefined;
  /** The changes made since the load in progress began, replayed onto it when it completes. */
  changes: RankChange[];
}

/**
 * Each board's RankIndex in this process: loaded from the store on first use (`index`; callers
 * meanwhile wait for that one load), then kept current by `apply`, which the service calls with
 * every change it commits. Those are the only changes an index sees: another process's writes to
 * the same database reach it on its next load (`reload`). So do its deletes: an entry another
 * process deleted and created again counts its revisions from 1 again, and this process ignores its
 * own writes to it that are not past the stale revision it holds until it reloads the board. A load
 * reads the board's keys in pages (`pageSize` entries), yielding to the event loop between them.
 */
export class RankedBoards {
  private readonly boards = new Map<string, Board>();

  constructor(
    private readonly store: Pick<LeaderboardsStore, 'keysInOrder'>,
    private readonly pageSize: number,
  ) {}

  /** The board's index, loaded on first use. A failed load fails its waiters; the next call retries. */
  index(boardId: string): Promise<RankIndex> {
    const board = this.board(boardId);
    return board.serving ? Promise.resolve(board.serving) : this.load(boardId, board);
  }

  /**
   * Loads the board afresh: once this resolves, the index holds every write committed before the
   * call (a load begun earlier is waited for, then another made). The previous index, if any,
   * serves reads meanwhile; both are in memory until the swap.
   */
  async reload(boardId: string): Promise<void> {
    const board = this.board(boardId);
    await board.loading?.catch(() => {});
    await this.load(boardId, board);
  }

  /**
   * Applies a change this process committed (a stale one, of an older revision, changes nothing),
   * and keeps it for the load in progress. Answers the serving index (undefined before the first
   * load completes, when the load to come will read the change from the store).
   */
  apply(boardId: string, change: RankChange): RankIndex | undefined {
    const board = this.boards.get(boardId);
    if (!board) return undefined;
    if (board.serving) applyTo(board.serving, change);
    if (board.loading) board.changes.push(change);
    return board.serving;
  }

  private board(boardId: string): Board {
    let board = this.boards.get(boardId);
    if (!board) {
      board = { serving: undefined, loading: undefined, changes: [] };
      this.boards.set(boardId, board);
    }
    return board;
  }

  private load(boardId: string, board: Board): Promise<RankIndex> {
    board.loading ??= this.read(boardId, board).finally(() => {
      board.loading = undefined;
      board.changes = [];
    });
    return board.loading;
  }

  private async read(boardId: string, board: Board): Promise<RankIndex> {
    const index = new RankIndex();
    await this.store.keysInOrder(boardId, this.pageSize, async (page) => {
      for (const { userId, key, revision } of page) index.set(userId, key, revision);
      await nextTurn(); // SQLite reads synchronously: let requests in between pages
    });
    for (const change of board.changes) applyTo(index, change);
    board.serving = index;
    return index;
  }
}

function applyTo(index: RankIndex, change: RankChange): void {
  if ('deleted' in change) index.remove(change.userId);
  else index.set(change.userId, change.key, change.revision);
}
