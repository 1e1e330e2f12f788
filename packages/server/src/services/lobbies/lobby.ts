import { ShardlineError } from '@shardline/core';

/** Who may join: anyone who finds it, only holders of its join code, or the owner's friends. */
export type LobbyAccess = 'public' | 'private' | 'friends';
/** Values a lobby attribute may hold (a map name, a mode, a skill, …). */
export type AttributeValue = string | number;

/** Bounds on a lobby's settings. */
export const LOBBY_LIMITS = {
  minPlayers: 1,
  maxPlayers: 64,
  attributes: 16,
  attributeKeyLength: 32,
  attributeStringLength: 128,
} as const;

export interface LobbyMember {
  userId: string;
  username: string;
  joinedAtMs: number;
}

/** A lobby as members see it (others see it without `joinCode`). Times are ms since the epoch. */
export interface LobbyView {
  id: string;
  ownerId: string;
  access: LobbyAccess;
  maxPlayers: number;
  attributes: Record<string, AttributeValue>;
  members: LobbyMember[];
  openSlots: number;
  state: 'open' | 'started';
  createdAtMs: number;
  /** Members only: what a private lobby's invitees join with. */
  joinCode?: string;
}

/** What a lobby's owner may set when creating or changing it. */
export interface LobbySettings {
  maxPlayers?: number;
  access?: LobbyAccess;
  attributes?: Record<string, AttributeValue>;
}

const ATTRIBUTE_KEY = /^[A-Za-z0-9_.-]{1,32}$/;

function invalid(message: string): ShardlineError {
  return new ShardlineError('LOBBY_INVALID', message);
}

/** Checks a maxPlayers value: a whole number within LOBBY_LIMITS and not below `members`. */
export function checkMaxPlayers(maxPlayers: unknown, members: number): number {
  if (
    !Number.isInteger(maxPlayers) ||
    (maxPlayers as number) < LOBBY_LIMITS.minPlayers ||
    (maxPlayers as number) > LOBBY_LIMITS.maxPlayers
  ) {
    throw invalid(`maxPlayers must be a whole number ${LOBBY_LIMITS.minPlayers}–${LOBBY_LIMITS.maxPlayers}`);
  }
  if ((maxPlayers as number) < members) throw invalid(`maxPlayers cannot drop below the ${members} members`);
  return maxPlayers as number;
}

/** Checks attributes: at most 16 keys of `[A-Za-z0-9_.-]{1,32}`, finite numbers or strings ≤ 128 characters. */
export function checkAttributes(attributes: unknown): Record<string, AttributeValue> {
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    throw invalid('attributes must be an object');
  }
  const entries = Object.entries(attributes);
  if (entries.length > LOBBY_LIMITS.attributes) {
    throw invalid(`at most ${LOBBY_LIMITS.attributes} attributes`);
  }
  const checked: Record<string, AttributeValue> = {};
  for (const [key, value] of entries) {
    if (!ATTRIBUTE_KEY.test(key)) throw invalid(`attribute name ${JSON.stringify(key)} is not allowed`);
    const fits =
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && value.length <= LOBBY_LIMITS.attributeStringLength);
    if (!fits) {
      throw invalid(
        `attribute ${key} must be a finite number or a string of at most ${LOBBY_LIMITS.attributeStringLength} characters`,
      );
    }
    checked[key] = value;
  }
  return checked;
}
