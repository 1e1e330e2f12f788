import { type LeaderboardDefinition, type LeaderboardEntry, ShardlineError } from '@shardline/core';
import { DisplayRows } from './display-rows.js';
import { definitionProblem, LEADERBOARD_LIMITS, metadataText, pageSize } from './leaderboard-rules.js';
import type { LeaderboardsStore } from './leaderboards-store.js';
import type { Placed } from './rank-index.js';
import { RankedBoards } from './ranked-boards.js';
import { entryAt } from './rows.js';
import { WriteOrder } from './write-order.js';

/** The optional parts of a score. */
export interface ScoreOptions {
  /** A safe integer breaking ties of equal scores (default 0). */
  subscore?: number | undefined;
  /** A JSON object of at most 1 KiB serialized, kept with the score (a replay id, a car). */
  metadata?: Record<string, unknown> | undefined;
}

/**
 * Leaderboards defined by the game (constructor or `define`), over a LeaderboardsStore. Scores are
 * whole numbers within ±(2^53−1); a board's order and operator decide what a submit does and how it
 * ranks (see LeaderboardsStore). `nowMs` is the clock (tests pass their own), ms since the epoch.
 * A board's order is part of how its scores are stored: change it only with a new board id.
 *
 * Ranks come from an in-memory index per board (ranked-boards.ts), loaded from the store on the
 * board's first use, `loadPageSize` entries a query (default 10,000): every read, and every submit
 * (which answers the new rank), waits for that load. The index is this process's: it sees this
 * process's writes at once; other processes' writes to a shared Postgres database it sees when it
 * loads again (`reload`, e.g. on a timer: a process's staleness is the time since its last
 * reload), except that a 'best' submit that is no better takes in the entry as stored. Ranks,
 * scores and order are the index's; username, metadata and updatedAtMs come from the rows, read by
 * user id in one query (an entry whose row another process deleted is left out until the reload).
 * Boards stay in memory once loaded: about 90 MiB per million entries with 36-character ids.
 */
export class LeaderboardsService {
  private readonly boards = new Map<string, LeaderboardDefinition>();
  private readonly ranked: RankedBoards;
  private readonly writes = new WriteOrder();
  private readonly rows = new DisplayRows();

  constructor(
    private readonly store: LeaderboardsStore,
    definitions: readonly LeaderboardDefinition[] = [],
    private readonly nowMs: () => number = Date.now,
    options: { loadPageSize?: number } = {},
  ) {
    this.ranked = new RankedBoards(store, options.loadPageSize ?? 10_000);
    for (const definition of definitions) this.define(definition);
  }

  /** Adds a board; LEADERBOARD_INVALID for a bad id, order or operator, or an id defined already. */
  define(definition: LeaderboardDefinition): void {
    const { id, order, operator, authoritative = false } = definition;
    const problem =
      definitionProblem(definition) ??
      (this.boards.has(id) ? `leaderboard ${id} is defined twice` : undefined);
    if (problem) throw new ShardlineError('LEADERBOARD_INVALID', problem);
    this.boards.set(id, { id, order, operator, authoritative });
  }

  /** Every board, in the order defined. */
  definitions(): LeaderboardDefinition[] {
    return [...this.boards.values()].map((board) => ({ ...board }));
  }

  /**
   * Submits `user`'s score, applying the board's operator; returns the user's entry after it (a
   * 'best' submit that is no better leaves the entry as it was). LEADERBOARD_NOT_FOUND,
   * SERVICE_WRITE_FORBIDDEN for a client on an authoritative board, LEADERBOARD_SCORE_INVALID for a
   * score or subscore that is not a safe integer, metadata that is not a JSON object of ≤ 1 KiB, or
   * an increment past the safe range.
   */
  async submit(
    boardId: string,
    user: { id: string; username: string },
    score: number,
    options: ScoreOptions,
    origin: { fromClient: boolean },
  ): Promise<LeaderboardEntry> {
    const board = this.board(boardId);
    if (board.authoritative && origin.fromClient) {
      throw new ShardlineError('SERVICE_WRITE_FORBIDDEN', `only the game server submits to ${board.id}`);
    }
    const subscore = options.subscore ?? 0;
    if (!Number.isSafeInteger(score) || !Number.isSafeInteger(subscore)) {
      throw new ShardlineError('LEADERBOARD_SCORE_INVALID', 'a score is a whole number within ±(2^53−1)');
    }
    const metadata = metadataText(options.metadata);
    await this.ranked.index(board.id);
    const submission = { userId: user.id, username: user.username, score, subscore, metadata };
    return this.writes.write(`${board.id}/${user.id}`, async () => {
      const stored =
        (await this.store.submit(board, submission, this.nowMs())) ??
        // Only another process's delete racing this submit could leave no entry: not worth answering.
        (await this.store.scoresOf(board.id, [user.id]))[0]!;
      // Its rank before any other change can land (a stale result ranks as the entry stands).
      const index = this.ranked.apply(board.id, stored)!;
      if (index.revisionOf(user.id) === stored.revision) this.rows.set(board.id, stored);
      const place = index.placeOf(user.id)!;
      return entryAt(board.order, place, stored);
    });
  }

  /** Entries from rank `offset + 1` (default 0), at most `limit` (1–100, default 10). */
  async top(
    boardId: string,
    page: { limit?: number | undefined; offset?: number | undefined } = {},
  ): Promise<LeaderboardEntry[]> {
    const board = this.board(boardId);
    const offset = page.offset ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset > LEADERBOARD_LIMITS.maxOffset) {
      throw new ShardlineError('REQUEST_INVALID', `offset must be 0–${LEADERBOARD_LIMITS.maxOffset}`);
    }
    const limit = pageSize(page.limit);
    return this.entries(board, (await this.ranked.index(board.id)).range(offset + 1, limit));
  }

  /**
   * A window of `limit` entries (1–100, default 10) around the user's: as many ahead as behind (one
   * more behind when `limit` is even), shifted at the board's ends to stay `limit` long. Empty if
   * the user has no entry.
   */
  async aroundUser(boardId: string, userId: string, limit?: number): Promise<LeaderboardEntry[]> {
    const board = this.board(boardId);
    const size = pageSize(limit);
    const index = await this.ranked.index(board.id);
    const rank = index.rankOf(userId);
    if (rank === undefined) return [];
    const ahead = Math.min(rank - 1, Math.max(Math.floor((size - 1) / 2), size - 1 - (index.size - rank)));
    return this.entries(board, index.range(rank - ahead, size));
  }

  /** The entries of those users (at most 1000) that have one, in rank order, with global ranks. */
  async forUsers(boardId: string, userIds: readonly string[]): Promise<LeaderboardEntry[]> {
    const board = this.board(boardId);
    const unique = [...new Set(userIds)];
    if (unique.length > LEADERBOARD_LIMITS.users) {
      throw new ShardlineError('REQUEST_INVALID', `at most ${LEADERBOARD_LIMITS.users} users at once`);
    }
    const index = await this.ranked.index(board.id);
    const places = unique.flatMap((userId) => index.placeOf(userId) ?? []);
    return this.entries(
      board,
      places.sort((a, b) => a.rank - b.rank),
    );
  }

  async entryOf(boardId: string, userId: string): Promise<LeaderboardEntry | undefined> {
    const [entry] = await this.forUsers(boardId, [userId]);
    return entry;
  }

  /** How many entries the board has (in this process's index). */
  async count(boardId: string): Promise<number> {
    return (await this.ranked.index(this.board(boardId).id)).size;
  }

  /**
   * Removes a user's entry (for the game server or an admin); false if there was none. It runs
   * after this process's writes to that entry in flight, and before those begun after it.
   */
  async deleteScore(boardId: string, userId: string): Promise<boolean> {
    const { id } = this.board(boardId);
    return this.writes.delete(`${id}/${userId}`, async () => {
      const deleted = await this.store.deleteScore(id, userId);
      this.ranked.apply(id, { userId, deleted: true });
      this.rows.delete(id, userId);
      return deleted;
    });
  }

  /**
   * Loads the board's ranks afresh from the store, picking up other processes' writes; reads keep
   * the previous ranks until it completes (see RankedBoards.reload).
   */
  async reload(boardId: string): Promise<void> {
    const { id } = this.board(boardId);
    await this.ranked.reload(id);
    this.rows.clear(id);
  }

  /** The board's definition; LEADERBOARD_NOT_FOUND if the game defines none by that id. */
  private board(id: string): LeaderboardDefinition {
    const board = this.boards.get(id);
    if (!board) throw new ShardlineError('LEADERBOARD_NOT_FOUND', `no leaderboard ${JSON.stringify(id)}`);
    return board;
  }

  /** The entries at those places, in the order given: their rows as known, the others read in one query. */
  private async entries(
    board: LeaderboardDefinition,
    places: readonly Placed[],
  ): Promise<LeaderboardEntry[]> {
    const { found, missing } = this.rows.lookup(
      board.id,
      places.map((place) => place.userId),
    );
    const read = missing.length > 0 ? await this.store.scoresOf(board.id, missing) : [];
    for (const row of read) this.rows.set(board.id, row);
    const byUser = new Map([...found, ...read].map((row) => [row.userId, row]));
    return places.flatMap((place) => {
      const row = byUser.get(place.userId);
      return row ? [entryAt(board.order, place, row)] : [];
    });
  }
}
