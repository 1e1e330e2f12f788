import { ShardlineError } from '@shardline/core';
import { isPortalName, type PortalEnd } from './player-location.js';

/** How long after moving a player may not move again by default, ms (the 10 s). */
export const DEFAULT_PORTAL_COOLDOWN_MS = 10_000;
/** How long the source waits for the target to store a transfer by default, ms. */
export const DEFAULT_TRANSFER_TIMEOUT_MS = 2_000;

/**
 * The game's portals (DST's `worldmigrator`), declared as pairs of ends in the cluster game:
 * `portals: { pairs: [[{ world: 'forest', portal: 'sinkhole' }, { world: 'caves', portal: 'stairs' }]] }`.
 * Each end is in one pair at most; a world's shard publishes the ends it has with their partners,
 * and a portal opens only where both shards publish the same pair (docs/cluster/CLUSTER.md §8).
 */
export interface PortalDeclarations {
  pairs: readonly (readonly [PortalEnd, PortalEnd])[];
  /** How long after moving a player may not move again, ms. Default DEFAULT_PORTAL_COOLDOWN_MS. */
  cooldownMs?: number;
  /** How long the source waits for the target to store a transfer before rolling back, ms. Default 2,000. */
  transferTimeoutMs?: number;
}

/** The declared pairs, checked, looked up by end. */
export class PortalPairs {
  readonly cooldownMs: number;
  readonly transferTimeoutMs: number;
  private readonly partners = new Map<string, PortalEnd>();

  constructor(declarations: PortalDeclarations = { pairs: [] }) {
    this.cooldownMs = checkedMs(declarations.cooldownMs ?? DEFAULT_PORTAL_COOLDOWN_MS, 'cooldownMs', 0);
    this.transferTimeoutMs = checkedMs(
      declarations.transferTimeoutMs ?? DEFAULT_TRANSFER_TIMEOUT_MS,
      'transferTimeoutMs',
      1,
    );
    for (const pair of declarations.pairs) {
      const [a, b] = pair;
      for (const end of [a, b]) {
        if (!isPortalName(end?.world) || !isPortalName(end?.portal)) {
          throw new ShardlineError(
            'VALUE_INVALID',
            `a portal end is { world, portal }, each 1–64 letters, digits, _ . : -; not ${JSON.stringify(end)}`,
          );
        }
        if (this.partners.has(endKey(end))) {
          throw new ShardlineError('VALUE_INVALID', `portal ${endKey(end)} is in two pairs`);
        }
      }
      if (a.world === b.world) {
        throw new ShardlineError(
          'VALUE_INVALID',
          `portal pair ${endKey(a)} ↔ ${endKey(b)} stays in one world`,
        );
      }
      this.partners.set(endKey(a), { world: b.world, portal: b.portal });
      this.partners.set(endKey(b), { world: a.world, portal: a.portal });
    }
  }

  /** The other end of `world`'s portal `portal`, or undefined if no pair names it. */
  partnerOf(world: string, portal: string): PortalEnd | undefined {
    return this.partners.get(endKey({ world, portal }));
  }

  /** The ends `world` has, each as `portal → partner world/portal` (what its shard publishes). */
  endsOf(world: string): Record<string, string> {
    const ends: Record<string, string> = {};
    for (const [key, partner] of this.partners) {
      const [endWorld, portal] = splitKey(key);
      if (endWorld === world) ends[portal] = endKey(partner);
    }
    return ends;
  }
}

/** `world/portal`: how an end is written in a shard's published status. */
export function endKey(end: PortalEnd): string {
  return `${end.world}/${end.portal}`;
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function checkedMs(value: number, name: string, least: number): number {
  if (!(Number.isFinite(value) && value >= least && value <= 3_600_000)) {
    throw new ShardlineError('VALUE_INVALID', `portals.${name} is ${least}–3,600,000 ms, not ${value}`);
  }
  return value;
}
