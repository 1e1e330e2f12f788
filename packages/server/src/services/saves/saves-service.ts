import { createHash } from 'node:crypto';
import { type SaveMeta, ShardlineError } from '@shardline/core';
import { type SaveRecord, type SavesStore, saveNotFound } from './saves-store.js';

/** Slot names: 1–64 ASCII letters, digits, `_`, `.` or `-`. */
export const SAVE_SLOT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Longest title and description, in characters (Unicode code points). */
export const SAVE_TEXT_LIMITS = { title: 128, description: 1024 } as const;

/** How much one user may keep. */
export interface SavesLimits {
  /** Bytes of data one slot may hold. */
  maxSaveBytes: number;
  /** Slots one user may have written at once. */
  maxSlotsPerUser: number;
}

export const DEFAULT_SAVES_LIMITS: SavesLimits = { maxSaveBytes: 256 * 1024, maxSlotsPerUser: 16 };

/** A write as a client asks for it. */
export interface SaveWrite {
  title: string;
  /** Default ''. */
  description?: string;
  data: Uint8Array;
  /** SHA-256 of `data` as the client computed it, hex (either case): checked when given. */
  checksum?: string;
  /** False: refuse to overwrite a written slot (SAVE_SLOT_EXISTS). Default true. */
  replace?: boolean;
  /** The version the client last read (0: it saw the slot empty): SAVE_VERSION_CONFLICT otherwise. */
  expectedVersion?: number;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
/** Lone UTF-16 surrogates: text that cannot round-trip through UTF-8. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Cloud saves over a SavesStore: per-user slots holding a blob (at most `maxSaveBytes`) with a
 * title, a description, its SHA-256 and a version for optimistic concurrency; `nowMs` is the clock
 * (tests pass their own). Bad names and texts are SAVE_INVALID, oversized data SAVE_TOO_LARGE, a
 * wrong checksum SAVE_CHECKSUM_MISMATCH, all before anything is written.
 */
export class SavesService {
  readonly limits: SavesLimits;

  constructor(
    private readonly store: SavesStore,
    limits: Partial<SavesLimits> = {},
    private readonly nowMs: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_SAVES_LIMITS, ...limits };
    const { maxSaveBytes, maxSlotsPerUser } = this.limits;
    if (!Number.isSafeInteger(maxSaveBytes) || maxSaveBytes < 0) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `maxSaveBytes must be a whole number ≥ 0, not ${maxSaveBytes}`,
      );
    }
    if (!Number.isSafeInteger(maxSlotsPerUser) || maxSlotsPerUser < 1) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `maxSlotsPerUser must be a whole number ≥ 1, not ${maxSlotsPerUser}`,
      );
    }
  }

  /** The user's slots' metadata, by name. */
  list(userId: string): Promise<SaveMeta[]> {
    return this.store.list(userId);
  }

  /** A slot with its data: SAVE_INVALID for a bad name, SAVE_NOT_FOUND for an empty slot. */
  async read(userId: string, slot: string): Promise<SaveRecord> {
    checkSlot(slot);
    const found = await this.store.read(userId, slot);
    if (!found) throw saveNotFound(slot);
    return found;
  }

  /** Writes a slot (see SaveWrite and SavesStore.write for the refusals); returns its new metadata. */
  async write(userId: string, slot: string, save: SaveWrite): Promise<SaveMeta> {
    const description = save.description ?? '';
    checkSlot(slot);
    checkText('title', save.title, SAVE_TEXT_LIMITS.title);
    checkText('description', description, SAVE_TEXT_LIMITS.description);
    checkVersion(save.expectedVersion);
    if (save.data.byteLength > this.limits.maxSaveBytes) {
      throw new ShardlineError(
        'SAVE_TOO_LARGE',
        `a save holds at most ${this.limits.maxSaveBytes} bytes, not ${save.data.byteLength}`,
      );
    }
    const checksum = sha256(save.data);
    if (save.checksum !== undefined && save.checksum.toLowerCase() !== checksum) {
      throw new ShardlineError('SAVE_CHECKSUM_MISMATCH', `the data's SHA-256 is ${checksum}`);
    }
    return this.store.write(
      userId,
      slot,
      { title: save.title, description, data: save.data, checksum, updatedAtMs: this.nowMs() },
      {
        replace: save.replace ?? true,
        maxSlots: this.limits.maxSlotsPerUser,
        ...(save.expectedVersion === undefined ? {} : { expectedVersion: save.expectedVersion }),
      },
    );
  }

  /** Empties a slot: SAVE_NOT_FOUND, or SAVE_VERSION_CONFLICT if `expectedVersion` is not its version. */
  async delete(userId: string, slot: string, expectedVersion?: number): Promise<void> {
    checkSlot(slot);
    checkVersion(expectedVersion);
    await this.store.delete(userId, slot, expectedVersion);
  }
}

function checkSlot(slot: string): void {
  if (!SAVE_SLOT_NAME.test(slot)) {
    throw new ShardlineError('SAVE_INVALID', 'a save slot name is 1–64 letters, digits, _, . or -');
  }
}

/** At most `limit` code points, and text every database keeps as given: no NUL, no lone surrogate. */
function checkText(field: string, text: string, limit: number): void {
  if ([...text].length > limit || text.includes('\0') || LONE_SURROGATE.test(text)) {
    throw new ShardlineError(
      'SAVE_INVALID',
      `a save's ${field} is at most ${limit} characters, with no NUL or lone surrogate`,
    );
  }
}

function checkVersion(version: number | undefined): void {
  if (version !== undefined && !(Number.isSafeInteger(version) && version >= 0)) {
    throw new ShardlineError('SAVE_INVALID', `a save version is a whole number ≥ 0, not ${version}`);
  }
}
