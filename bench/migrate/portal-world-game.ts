/**
 * The game the portal chaos test and bench:migrate run in real shard processes
 * (`shardline shard start … --game bench/migrate/portal-world-game.ts`): three persistent worlds of
 * one small kind, `forest`, `caves` and `ruins` (each on the shard of the same name), joined in a
 * ring by portals — forest/sinkhole ↔ caves/stairs, caves/tunnel ↔ ruins/gate, ruins/door ↔
 * forest/cellar. A player is a body it owns and a bag of three items named after it
 * (`<id>-sword`, `<id>-shield`, `<id>-gem`), the game's record of it (savePlayer/arrive): the
 * ledger the chaos test checks. The to-server RPC `enterPortal({ portal })` moves the caller
 * through a portal of its world (`world.migrate`) and answers `{ code: '' }` or the refusal's code
 * (PORTAL_CLOSED, PORTAL_COOLDOWN, MIGRATION_BUSY, MIGRATION_FAILED, …); a player that moved is
 * redirected before the reply, so it never sees the empty code, only `onMigrated`.
 *
 * Environment: SHARDLINE_PORTAL_COOLDOWN_MS (default 300) and SHARDLINE_PORTAL_TRANSFER_TIMEOUT_MS
 * (default 2,000). Each move out and in is logged at info (`portal: moved out` with the source's
 * time in `migrate`, `portal: moved in`), a rollback too (`portal: rolled back`); refusals at debug.
 * SHARDLINE_MIGRATE_PROFILE=1 also times the hand-off's steps in the process (bench/migrate/profile.ts).
 */
import {
  defineRpcs,
  defineWorld,
  type EntityId,
  isShardlineError,
  rpc,
  StarterBody,
  t,
} from '@shardline/core';
import { type Player, type ShardlineGame, serveWorld } from '@shardline/server';
import { installProfile } from './profile.js';

/** The portal RPC: the reply's code is '' when the player moved (it hears `onMigrated` instead). */
export const portalRpcs = defineRpcs({
  enterPortal: rpc({
    params: { portal: t.string({ maxBytes: 64 }) },
    reply: { code: t.string({ maxBytes: 40 }) },
    rate: { perSecond: 20, burst: 20 },
  }),
});

/** A starter-like world (a body per player) with the portal RPC; room for every bot of a run. */
export const portalWorld = defineWorld('portalworld', {
  entities: [StarterBody],
  rpc: portalRpcs,
  tickHz: 30,
  maxPlayers: 400,
});

export const WORLDS = ['forest', 'caves', 'ruins'] as const;
export type WorldName = (typeof WORLDS)[number];

/** The ring of portal pairs. */
export const PORTAL_PAIRS = [
  [
    { world: 'forest', portal: 'sinkhole' },
    { world: 'caves', portal: 'stairs' },
  ],
  [
    { world: 'caves', portal: 'tunnel' },
    { world: 'ruins', portal: 'gate' },
  ],
  [
    { world: 'ruins', portal: 'door' },
    { world: 'forest', portal: 'cellar' },
  ],
] as const;

/** Each world's portals and the world each leads to. */
export const PORTALS_OF: Record<string, { portal: string; to: string }[]> = (() => {
  const ends: Record<string, { portal: string; to: string }[]> = {};
  const add = (world: string, end: { portal: string; to: string }) => {
    ends[world] = [...(ends[world] ?? []), end];
  };
  for (const [a, b] of PORTAL_PAIRS) {
    add(a.world, { portal: a.portal, to: b.world });
    add(b.world, { portal: b.portal, to: a.world });
  }
  return ends;
})();

/** The items a new player gets: what the ledger expects to find exactly once. */
export function itemsOf(userId: string): string[] {
  return [`${userId}-sword`, `${userId}-shield`, `${userId}-gem`];
}

export const COOLDOWN_ENV = 'SHARDLINE_PORTAL_COOLDOWN_MS';
export const TRANSFER_TIMEOUT_ENV = 'SHARDLINE_PORTAL_TRANSFER_TIMEOUT_MS';
export const DEFAULT_COOLDOWN_MS = 300;

function envMs(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

if (process.env.SHARDLINE_MIGRATE_PROFILE === '1') installProfile();

/** Where each portal puts an arriving body (x), so a move shows. */
const PORTAL_X: Record<string, number> = {
  sinkhole: -5,
  stairs: 5,
  tunnel: -5,
  gate: 5,
  door: -5,
  cellar: 5,
};

const portalServer = serveWorld(portalWorld, (world, { logger }) => {
  const bodies = new Map<Player, EntityId<typeof StarterBody>>();
  const items = new Map<string, string[]>();
  return {
    join: (player) => {
      bodies.set(player, world.spawn(StarterBody, { x: 0, y: 0 }, { owner: player }));
      items.set(player.id, itemsOf(player.id));
    },
    arrive: (player, arrival) => {
      const [body] = arrival.entities.values();
      if (body !== undefined) {
        bodies.set(player, body as EntityId<typeof StarterBody>);
        if (arrival.portal)
          world.set(body as EntityId<typeof StarterBody>, { x: PORTAL_X[arrival.portal] ?? 0 });
      } else {
        // A record without its body (none should be): the player gets one again, and it is said.
        logger?.warn({ user: player.id, world: world.id }, 'portal: a record came without its body');
        bodies.set(player, world.spawn(StarterBody, { x: 0, y: 0 }, { owner: player }));
      }
      const bag = arrival.data.items;
      items.set(player.id, Array.isArray(bag) ? bag.filter((item) => typeof item === 'string') : []);
      if (arrival.portal) {
        logger?.info(
          { user: player.id, world: world.id, portal: arrival.portal, from: arrival.from?.world },
          'portal: moved in',
        );
      }
    },
    savePlayer: (player) => ({ items: items.get(player.id) ?? [] }),
    leave: (player) => {
      const body = bodies.get(player);
      if (body !== undefined && world.get(body)) world.despawn(body);
      bodies.delete(player);
      items.delete(player.id);
    },
    rpc: {
      enterPortal: async ({ portal }, { player }) => {
        const startedMs = performance.now();
        try {
          await world.migrate(player, portal);
          logger?.info(
            {
              user: player.id,
              world: world.id,
              portal,
              to: world.portal(portal).to.world,
              ms: Math.round((performance.now() - startedMs) * 100) / 100,
            },
            'portal: moved out',
          );
          return { code: '' };
        } catch (error) {
          const code = isShardlineError(error) ? error.code : 'ERROR';
          if (code === 'MIGRATION_FAILED') {
            logger?.info({ user: player.id, world: world.id, portal, err: error }, 'portal: rolled back');
          } else {
            logger?.debug({ user: player.id, world: world.id, portal, code }, 'portal: refused');
          }
          return { code };
        }
      },
    },
  };
});

/** The game every shard of the portal cluster runs (`--game bench/migrate/portal-world-game.ts`). */
export const game: ShardlineGame = {
  worlds: [portalServer],
  cluster: {
    portals: {
      pairs: PORTAL_PAIRS.map(([a, b]) => [{ ...a }, { ...b }] as const),
      cooldownMs: envMs(COOLDOWN_ENV, DEFAULT_COOLDOWN_MS),
      transferTimeoutMs: Math.max(1, envMs(TRANSFER_TIMEOUT_ENV, 2_000)),
    },
  },
};
