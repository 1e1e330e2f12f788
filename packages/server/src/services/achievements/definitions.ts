import { ShardlineError } from '@shardline/core';

/**
 * One achievement as the game defines it (in code, never from clients). Lengths are in UTF-16 code
 * units.
 */
export interface AchievementDefinition {
  /** 1–64 of `A–Z a–z 0–9 _ . -`; stored with each user's progress, so never rename a shipped one. */
  id: string;
  /** 1–128 characters. */
  title: string;
  /** Up to 1024 characters. */
  description?: string;
  /** Withhold the title and description until the user unlocks it. */
  hidden?: boolean;
  /** For incremental achievements: the progress (a positive whole number) that unlocks it. */
  target?: number;
  /** Only the game server may write it: client writes get SERVICE_WRITE_FORBIDDEN. */
  authoritative?: boolean;
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_TITLE_LENGTH = 128;
const MAX_DESCRIPTION_LENGTH = 1024;
const KEYS = new Set(['id', 'title', 'description', 'hidden', 'target', 'authoritative']);

/**
 * The definitions by id, in the order given, each checked and copied (frozen). ACHIEVEMENT_INVALID
 * for a malformed one (unknown fields included) or an id defined twice.
 */
export function checkDefinitions(
  definitions: readonly AchievementDefinition[],
): ReadonlyMap<string, Readonly<AchievementDefinition>> {
  if (!Array.isArray(definitions)) throw invalid('the definitions must be an array');
  const byId = new Map<string, Readonly<AchievementDefinition>>();
  for (const definition of definitions) {
    const checked = checkDefinition(definition);
    if (byId.has(checked.id)) throw invalid(`achievement ${JSON.stringify(checked.id)} is defined twice`);
    byId.set(checked.id, checked);
  }
  return byId;
}

function checkDefinition(definition: AchievementDefinition): Readonly<AchievementDefinition> {
  if (typeof definition !== 'object' || definition === null) throw invalid('a definition is an object');
  const { id, title, description, hidden, target, authoritative } = definition;
  const name = JSON.stringify(id);
  if (typeof id !== 'string' || !ID.test(id)) throw invalid(`id ${name} is not 1–64 of A-Z a-z 0-9 _ . -`);
  const unknown = Object.keys(definition).find((key) => !KEYS.has(key));
  if (unknown !== undefined) throw invalid(`achievement ${name} has an unknown field ${unknown}`);
  if (typeof title !== 'string' || title.length < 1 || title.length > MAX_TITLE_LENGTH)
    throw invalid(`achievement ${name}'s title must be 1–${MAX_TITLE_LENGTH} characters`);
  if (
    description !== undefined &&
    (typeof description !== 'string' || description.length > MAX_DESCRIPTION_LENGTH)
  )
    throw invalid(`achievement ${name}'s description must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  if (target !== undefined && !(Number.isSafeInteger(target) && target > 0))
    throw invalid(`achievement ${name}'s target must be a positive whole number`);
  for (const [flag, value] of [
    ['hidden', hidden],
    ['authoritative', authoritative],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean')
      throw invalid(`achievement ${name}'s ${flag} must be true or false`);
  }
  return Object.freeze({ ...definition });
}

function invalid(message: string): ShardlineError {
  return new ShardlineError('ACHIEVEMENT_INVALID', message);
}
