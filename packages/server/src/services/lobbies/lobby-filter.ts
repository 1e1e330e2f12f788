import { type AttributeValue, type LobbyFilter, ShardlineError } from '@shardline/core';
import { checkAttributes, LOBBY_LIMITS } from './lobby.js';

/** A filter with its defaults filled in and its values checked. */
export interface CheckedFilter {
  openSlots: number;
  limit: number;
  equals: Record<string, AttributeValue>;
  ranges: [string, { min: number; max: number }][];
  near: { key: string; value: number } | undefined;
}

export const MAX_FIND_RESULTS = 50;

interface Searchable {
  maxPlayers: number;
  members: readonly unknown[];
  attributes: Record<string, AttributeValue>;
}

/** LOBBY_INVALID for a malformed filter; otherwise the filter with its defaults. */
export function normaliseFilter(filter: LobbyFilter): CheckedFilter {
  const whole = (value: unknown, min: number, max: number, name: string) => {
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      throw new ShardlineError('LOBBY_INVALID', `${name} must be a whole number ${min}–${max}`);
    }
    return value as number;
  };
  const ranges = Object.entries(filter.ranges ?? {});
  if (ranges.length > LOBBY_LIMITS.attributes) {
    throw new ShardlineError('LOBBY_INVALID', `at most ${LOBBY_LIMITS.attributes} ranges`);
  }
  const near = filter.near;
  if (near !== undefined && (!Number.isFinite(near.value) || typeof near.key !== 'string')) {
    throw new ShardlineError('LOBBY_INVALID', 'near needs a key and a finite value');
  }
  return {
    openSlots: whole(filter.openSlots ?? 1, 0, LOBBY_LIMITS.maxPlayers, 'openSlots'),
    limit: whole(filter.limit ?? 10, 1, MAX_FIND_RESULTS, 'limit'),
    equals: checkAttributes(filter.equals ?? {}),
    ranges: ranges.map(([key, range]) => [
      key,
      { min: range.min ?? Number.NEGATIVE_INFINITY, max: range.max ?? Number.POSITIVE_INFINITY },
    ]),
    near,
  };
}

/** Whether a lobby passes a filter's conditions (free places, equal attributes, ranges). */
export function matchesFilter(lobby: Searchable, filter: CheckedFilter): boolean {
  if (lobby.maxPlayers - lobby.members.length < filter.openSlots) return false;
  for (const [key, value] of Object.entries(filter.equals)) {
    if (lobby.attributes[key] !== value) return false;
  }
  for (const [key, { min, max }] of filter.ranges) {
    const value = lobby.attributes[key];
    if (typeof value !== 'number' || value < min || value > max) return false;
  }
  return true;
}

/** How far a lobby is from the filter's `near` target (0 without one; Infinity without the attribute). */
export function nearness(lobby: Searchable, filter: CheckedFilter): number {
  if (!filter.near) return 0;
  const value = lobby.attributes[filter.near.key];
  return typeof value === 'number' ? Math.abs(value - filter.near.value) : Number.POSITIVE_INFINITY;
}
