import { type AttributeValue, ShardlineError } from '@shardline/core';

/** Bounds on a lobby's settings. */
export const LOBBY_LIMITS = {
  minPlayers: 1,
  maxPlayers: 64,
  attributes: 16,
  attributeKeyLength: 32,
  attributeStringLength: 128,
} as const;

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
