import type { AchievementState, LeaderboardDefinition, LeaderboardEntry, SaveMeta } from '@shardline/core';
import { base64FromBytes, bytesFromBase64, sha256Hex } from './bytes.js';
import type { ServiceHttp } from './service-http.js';
import type { Save } from './types.js';

const board = (id: string) => `/leaderboards/${encodeURIComponent(id)}`;

/** Leaderboards the game defines: submit scores, read the top, around me, my friends. */
export class LeaderboardsClient {
  constructor(private readonly http: ServiceHttp) {}

  async list(): Promise<LeaderboardDefinition[]> {
    return (await this.http.request<{ leaderboards: LeaderboardDefinition[] }>('GET', '/leaderboards'))
      .leaderboards;
  }

  /** Submits a score (the board's operator decides what it does); returns my entry after it. */
  async submit(
    boardId: string,
    score: number,
    options: { subscore?: number; metadata?: Record<string, unknown> } = {},
  ): Promise<LeaderboardEntry> {
    return (
      await this.http.authed<{ entry: LeaderboardEntry }>('POST', `${board(boardId)}/scores`, {
        score,
        ...options,
      })
    ).entry;
  }

  async top(boardId: string, page: { limit?: number; offset?: number } = {}): Promise<LeaderboardEntry[]> {
    const query = Object.entries(page)
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
    return (await this.http.request<{ entries: LeaderboardEntry[] }>('GET', `${board(boardId)}/top?${query}`))
      .entries;
  }

  /** A window of entries centred on mine (empty if I have no score). */
  async aroundMe(boardId: string, limit = 10): Promise<LeaderboardEntry[]> {
    return (
      await this.http.authed<{ entries: LeaderboardEntry[] }>(
        'GET',
        `${board(boardId)}/around-me?limit=${limit}`,
      )
    ).entries;
  }

  /** My friends' entries and mine, by rank. */
  async friends(boardId: string): Promise<LeaderboardEntry[]> {
    return (await this.http.authed<{ entries: LeaderboardEntry[] }>('GET', `${board(boardId)}/friends`))
      .entries;
  }

  async mine(boardId: string): Promise<LeaderboardEntry | undefined> {
    return (
      (await this.http.authed<{ entry: LeaderboardEntry | null }>('GET', `${board(boardId)}/me`)).entry ??
      undefined
    );
  }
}

/** Achievements: unlocks also arrive on the push stream as `achievement.unlocked`. */
export class AchievementsClient {
  constructor(private readonly http: ServiceHttp) {}

  async list(): Promise<AchievementState[]> {
    return (await this.http.authed<{ achievements: AchievementState[] }>('GET', '/achievements'))
      .achievements;
  }

  /** Unlocks one; true if this call unlocked it (false if it already was). */
  async unlock(id: string): Promise<boolean> {
    return (
      await this.http.authed<{ newlyUnlocked: boolean }>(
        'POST',
        `/achievements/${encodeURIComponent(id)}/unlock`,
      )
    ).newlyUnlocked;
  }

  /** Reports progress toward an incremental achievement (it never goes back); unlocks at the target. */
  progress(
    id: string,
    value: number,
  ): Promise<{ progress: number; unlocked: boolean; unlockedAtMs: number | null; newlyUnlocked: boolean }> {
    return this.http.authed('POST', `/achievements/${encodeURIComponent(id)}/progress`, { value });
  }
}

const slotPath = (slot: string) => `/saves/${encodeURIComponent(slot)}`;

/** Cloud saves: per-user slots, each write versioned; a stale `expectedVersion` gets SAVE_VERSION_CONFLICT. */
export class SavesClient {
  constructor(private readonly http: ServiceHttp) {}

  async list(): Promise<SaveMeta[]> {
    return (await this.http.authed<{ saves: SaveMeta[] }>('GET', '/saves')).saves;
  }

  async read(slot: string): Promise<Save> {
    const { data, ...meta } = await this.http.authed<SaveMeta & { data: string }>('GET', slotPath(slot));
    return { ...meta, data: bytesFromBase64(data) };
  }

  /**
   * Writes a slot, sending the data's SHA-256 so damage on the way is refused. `replace: false`
   * refuses to overwrite (SAVE_SLOT_EXISTS); `expectedVersion` (0: the slot must be empty) makes it
   * a compare-and-set.
   */
  async write(
    slot: string,
    save: {
      title: string;
      description?: string;
      data: Uint8Array;
      replace?: boolean;
      expectedVersion?: number;
    },
  ): Promise<SaveMeta> {
    const { data, ...fields } = save;
    return this.http.authed('PUT', slotPath(slot), {
      ...fields,
      data: base64FromBytes(data),
      checksum: await sha256Hex(data),
    });
  }

  remove(slot: string, expectedVersion?: number): Promise<void> {
    const query = expectedVersion === undefined ? '' : `?expectedVersion=${expectedVersion}`;
    return this.http.authed('DELETE', `${slotPath(slot)}${query}`);
  }
}
