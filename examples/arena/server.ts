/**
 * The arena's server rules, served as the `arena` world kind: inputs, movement, lag-compensated
 * shots, kills. Run as a cluster (`cluster.json`: the Forest and the Caves, each an arena on a shard
 * of its own) each world has a portal to the other, walked into by fighters, and the Caves have a
 * boss whose defeat is a global event every world shows its players.
 */
import { fileURLToPath } from 'node:url';
import {
  type EntityId,
  type HitSphere,
  isShardlineError,
  LagCompensator,
  ShardlineError,
  t,
} from '@shardline/core';
import {
  clusterEvent,
  defineCluster,
  defineClusterEvents,
  type OnlineServices,
  type Player,
  type PlayerTicket,
  type ShardlineGame,
  type ShardOf,
  serveWorld,
} from '@shardline/server';
import type { Logger } from 'pino';
import {
  ARENA,
  arena,
  arenaRpcs,
  BOSS_HEALTH,
  BOSS_RADIUS,
  type Body,
  Boss,
  DAMAGE,
  Fighter,
  HIT_RADIUS,
  PORTAL_RADIUS,
  Portal,
  RANGE,
  step,
} from './game.js';

interface Seated {
  id: EntityId<typeof Fighter>;
  name: string;
  body: Body;
  health: number;
  score: number;
  /** Its hit volume as the lag compensator records it each tick (updated in place: it copies). */
  volume: [number, HitSphere];
  /** The portal it stands in: it goes through on stepping in, not again until it steps out. */
  inPortal: string | undefined;
  /** Ms spent touching the boss since its last bite. */
  bittenMs: number;
}

/** Where a fighter (re)spawns: spread around the arena by a simple sequence (no randomness needed). */
function spawnPoint(n: number): Body {
  const angle = n * 2.399963; // the golden angle: successive points spread evenly
  const radius = ARENA * 0.6 * Math.sqrt(((n % 16) + 1) / 16);
  return { x: Math.cos(angle) * radius, y: Math.sin(angle) * radius };
}

/** Where a fighter coming out of a portal stands: a step from it toward the middle, outside its ring. */
function besidePortal(portal: Body): Body {
  const length = Math.hypot(portal.x, portal.y) || 1;
  const step = PORTAL_RADIUS + 2.5;
  return { x: portal.x - (portal.x / length) * step, y: portal.y - (portal.y / length) * step };
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** The kills board and the achievements a kill can earn: only the server writes them. */
export const KILLS_BOARD = 'kills';
const HUNTER_KILLS = 10;

// ── The cluster: two worlds joined by a portal, a boss below ─────────────────────────────────────

/** The portal pair: a sinkhole in the Forest drops into the Caves, whose stairs lead back up. */
export const FOREST_SINKHOLE = { world: 'forest', portal: 'sinkhole' } as const;
export const CAVES_STAIRS = { world: 'caves', portal: 'stairs' } as const;
/** Where each world's portals stand (world id → portal id → place), in opposite corners. */
export const PORTAL_SPOTS: Readonly<Record<string, Readonly<Record<string, Body>>>> = {
  forest: { sinkhole: { x: 26, y: 26 } },
  caves: { stairs: { x: -26, y: -26 } },
};
/** The world with the boss, and the boss. */
export const BOSS_WORLD = 'caves';
export const BOSS_NAME = 'Mole King';
/** What defeating the boss scores. */
const BOSS_SCORE = 5;
/** The boss's bite: health a touching fighter loses, every BITE_MS. */
const BITE = 5;
const BITE_MS = 250;
/** A boss defeat older than this when a world hears it (a catch-up after a restart) is not shown. */
const NEWS_MS = 60_000;

/** The cluster's global events: a boss defeated (one subject per boss, so catch-up gives the newest). */
const arenaClusterEvents = defineClusterEvents({
  bossDefeated: clusterEvent({
    params: {
      boss: t.string({ maxBytes: 32 }),
      by: t.string({ maxBytes: 64 }),
      world: t.string({ maxBytes: 64 }),
    },
    // A subject key is letters, digits, _ and - (the log's subject names): "Mole King" → mole-king.
    key: (defeat) => defeat.boss.toLowerCase().replace(/[^a-z0-9_-]+/g, '-'),
  }),
});

export interface ArenaGameOptions {
  /** How long the boss stays down, ms. Default 30 s. */
  bossRespawnMs?: number;
  /** How long after a move a fighter may not move again, ms. Default 3 s. */
  portalCooldownMs?: number;
}

/** Records a signed-in player's kill: +1 on the board, first blood, progress toward Hunter. */
async function recordKill(
  services: OnlineServices,
  killer: PlayerTicket,
  logger: Logger | undefined,
): Promise<void> {
  const server = { fromClient: false };
  try {
    const entry = await services.leaderboards.submit(
      KILLS_BOARD,
      { id: killer.userId, username: killer.username },
      1,
      {},
      server,
    );
    await services.achievements.unlock(killer.userId, 'first-blood', server);
    await services.achievements.progress(
      killer.userId,
      'hunter',
      Math.min(entry.score, HUNTER_KILLS),
      server,
    );
  } catch (error) {
    logger?.warn({ err: error, userId: killer.userId }, 'could not record a kill');
  }
}

/** Why a portal would not take a fighter, in words for the page. */
function refusal(error: unknown): string {
  if (isShardlineError(error, 'PORTAL_CLOSED')) {
    const why = error.details?.reason;
    return why === 'full' ? 'the other side is full' : 'the other side is down';
  }
  if (isShardlineError(error, 'PORTAL_COOLDOWN')) return 'you just came through: step out and try again';
  return 'the move did not go through: try again';
}

/** The game: the arena kind, its page, its services, and its cluster side. */
export function arenaGame(options: ArenaGameOptions = {}): ShardlineGame {
  const bossRespawnMs = options.bossRespawnMs ?? 30_000;
  const cluster = defineCluster({
    events: arenaClusterEvents,
    portals: {
      pairs: [[FOREST_SINKHOLE, CAVES_STAIRS]],
      cooldownMs: options.portalCooldownMs ?? 3_000,
    },
  });

  /** One arena instance: a fighter per player, moved by its stick, hit by lag-compensated shots. */
  const arenaServer = serveWorld(arena, (world, context) => {
    const { services, logger } = context;
    const shard = context.cluster as ShardOf<typeof cluster> | undefined;
    const history = new LagCompensator({ historyMs: 1_000 });
    const fighters = new Map<Player, Seated>();
    /** Every fighter's `volume` (and the boss's, while it stands), in the order they joined. */
    let volumes: Seated['volume'][] = [];
    let spawns = 0;

    // The portals the cluster pairs with this world (none outside a cluster), drawn where they stand.
    const portals = world.portals.map((name, index) => {
      const at = PORTAL_SPOTS[world.id]?.[name] ?? spawnPoint(index + 7);
      const state = world.portal(name);
      const id = world.spawn(Portal, { ...at, name, to: state.to.world, open: state.open });
      return { name, at, id, open: state.open };
    });
    // Listed with its portals (GET /v1/worlds): the page joins this world by id in a cluster.
    if (portals.length > 0) world.setMetadata({ portals: portals.map((portal) => portal.name) });
    const portalAt = (body: Body) =>
      portals.find((portal) => Math.hypot(body.x - portal.at.x, body.y - portal.at.y) < PORTAL_RADIUS);

    // The boss, in its world.
    const boss =
      world.id === BOSS_WORLD
        ? {
            id: world.spawn(Boss, { x: 0, y: 0, health: BOSS_HEALTH, name: BOSS_NAME }),
            health: BOSS_HEALTH,
            body: { x: 0, y: 0 },
            volume: [0, { x: 0, y: 0, radius: BOSS_RADIUS }] as Seated['volume'],
            downUntilMs: 0,
          }
        : undefined;
    if (boss) {
      boss.volume[0] = boss.id;
      volumes.push(boss.volume);
    }

    // A boss defeated anywhere in the cluster: this world's players hear of it (its own included).
    const stopHearing = shard?.onEvent('bossDefeated', (defeat, info) => {
      if (Date.now() - info.timeMs > NEWS_MS) return; // old news caught up on after a restart
      world.broadcast(arenaRpcs.definitions.bossDefeated, defeat);
    });

    /** Seats a fighter: a new one, or one that came back or through a portal with its record. */
    function seat(player: Player, fighter: Omit<Seated, 'volume' | 'inPortal' | 'bittenMs'>): void {
      const volume: Seated['volume'] = [fighter.id, { ...fighter.body, radius: HIT_RADIUS }];
      fighters.set(player, { ...fighter, volume, inPortal: undefined, bittenMs: 0 });
      volumes.push(volume);
    }

    /** The fighter walked into a portal: it moves to the other world, or is told why not. */
    function enter(player: Player, portal: string): void {
      world.migrate(player, portal).catch((error: unknown) => {
        if (!fighters.has(player)) return;
        logger?.info({ world: world.id, portal, err: error }, 'a fighter could not go through');
        world.call(player, arenaRpcs.definitions.portalRefused, { portal, reason: refusal(error) });
      });
    }

    function defeatBoss(shooter: Seated): void {
      if (!boss) return;
      shooter.score += BOSS_SCORE;
      boss.downUntilMs = world.timeMs + bossRespawnMs;
      volumes = volumes.filter((volume) => volume !== boss.volume);
      world.broadcast(arenaRpcs.definitions.kill, { killer: shooter.name, victim: BOSS_NAME });
      const defeat = { boss: BOSS_NAME, by: shooter.name, world: world.id };
      if (!shard) {
        world.broadcast(arenaRpcs.definitions.bossDefeated, defeat);
        return;
      }
      // Every world of the cluster hears it, once (their onEvent above), this one included.
      shard
        .report('bossDefeated', defeat)
        .catch((error: unknown) => logger?.warn({ err: error }, 'the boss defeat was not reported'));
    }

    function bossTick(dtMs: number): void {
      if (!boss) return;
      if (boss.health === 0 && world.timeMs >= boss.downUntilMs) {
        boss.health = BOSS_HEALTH;
        volumes.push(boss.volume);
      }
      // It circles the middle of the arena (slowly: a moving target for lag compensation).
      const angle = (world.timeMs / 20_000) * 2 * Math.PI;
      boss.body = { x: Math.cos(angle) * 10, y: Math.sin(angle) * 10 };
      boss.volume[1].x = boss.body.x;
      boss.volume[1].y = boss.body.y;
      const returnsIn = boss.health === 0 ? Math.ceil((boss.downUntilMs - world.timeMs) / 1000) : 0;
      world.set(boss.id, { ...boss.body, health: boss.health, returnsIn });
      if (boss.health === 0) return;
      for (const fighter of fighters.values()) {
        const touching =
          Math.hypot(fighter.body.x - boss.body.x, fighter.body.y - boss.body.y) < BOSS_RADIUS + HIT_RADIUS;
        fighter.bittenMs = touching ? fighter.bittenMs + dtMs : 0;
        if (fighter.bittenMs < BITE_MS) continue;
        fighter.bittenMs -= BITE_MS;
        fighter.health = Math.max(0, fighter.health - BITE);
        if (fighter.health === 0) {
          fighter.health = 100;
          fighter.body = spawnPoint(spawns++);
          world.broadcast(arenaRpcs.definitions.kill, { killer: BOSS_NAME, victim: fighter.name });
        }
      }
    }

    let lastPortalCheckMs = 0;
    return {
      join(player) {
        const name = player.name ?? player.id;
        const body = spawnPoint(spawns++);
        const id = world.spawn(Fighter, { ...body, health: 100, name, connected: true }, { owner: player });
        seat(player, { id, name, body, health: 100, score: 0 });
      },
      // The game's record of a player: what travels through a portal, and what a world keeps while
      // the player is away (its fighter entity travels and is kept with it by the runtime).
      savePlayer(player) {
        const fighter = fighters.get(player);
        return fighter ? { score: fighter.score, health: fighter.health } : {};
      },
      // Through a portal (its fighter already respawned here, owned): beside the portal it came out
      // of, a step toward the middle so it does not stand in it; back from being away: a spawn point.
      arrive(player, { data, entities, portal }) {
        const name = player.name ?? player.id;
        const came = portals.find((each) => each.name === portal);
        const body = came ? besidePortal(came.at) : spawnPoint(spawns++);
        const health = typeof data.health === 'number' ? data.health : 100;
        const score = typeof data.score === 'number' ? data.score : 0;
        const state = { ...body, health, score, name, connected: true };
        // Its fighter, respawned with the state it left with (a record without one: a new fighter).
        const [kept] = entities.values();
        const id =
          kept === undefined
            ? world.spawn(Fighter, state, { owner: player })
            : (kept as EntityId<typeof Fighter>);
        if (kept !== undefined) world.set(id, state);
        seat(player, { id, name, body, health, score });
      },
      drop: (player) => {
        const fighter = fighters.get(player);
        if (fighter) world.set(fighter.id, { connected: false });
      },
      rejoin: (player) => {
        const fighter = fighters.get(player);
        if (fighter) world.set(fighter.id, { connected: true });
      },
      leave(player, reason) {
        const fighter = fighters.get(player);
        if (fighter) {
          // Through a portal too: the fighter lives on in the other world, from the record taken.
          world.despawn(fighter.id);
          volumes = volumes.filter((volume) => volume !== fighter.volume);
        }
        fighters.delete(player);
        logger?.info({ world: world.id, seat: player.seat, reason }, 'fighter left');
      },
      input(player, stick) {
        const fighter = fighters.get(player);
        if (fighter) fighter.body = step(fighter.body, stick, arena.tickMs);
      },
      tick(dtMs) {
        bossTick(dtMs);
        for (const [player, fighter] of fighters) {
          const { id, body, health, score, volume } = fighter;
          world.set(id, { x: body.x, y: body.y, health, score });
          volume[1].x = body.x;
          volume[1].y = body.y;
          // Stepping into a portal takes the fighter through it (the server decides, not the page).
          const portal = portalAt(body)?.name;
          if (portal !== fighter.inPortal) {
            fighter.inPortal = portal;
            if (portal !== undefined) enter(player, portal);
          }
        }
        history.record(world.timeMs, volumes);
        // Whether each portal leads anywhere now (the other world up, with room), once a second.
        if (portals.length > 0 && world.timeMs - lastPortalCheckMs >= 1_000) {
          lastPortalCheckMs = world.timeMs;
          for (const portal of portals) {
            const { open } = world.portal(portal.name);
            if (open === portal.open) continue;
            portal.open = open;
            world.set(portal.id, { open });
          }
        }
      },
      // A persistent world's save keeps its entities no player owns (portals, the boss) and this:
      // the restored copies go (setup made them afresh), the boss keeps its health.
      save: () => ({ bossHealth: boss?.health ?? 0 }),
      restore({ data, entities }) {
        for (const id of entities.values()) world.despawn(id);
        if (boss && typeof data.bossHealth === 'number' && data.bossHealth > 0) {
          boss.health = Math.min(BOSS_HEALTH, data.bossHealth);
        }
      },
      dispose: () => stopHearing?.(),
      rpc: {
        fire(shot, { player, timeMs }) {
          const shooter = fighters.get(player);
          if (!shooter) return { victim: '' };
          let hit: ReturnType<typeof history.raycast>;
          try {
            hit = history.raycast(
              timeMs,
              Math.min(timeMs, shot.renderTimeMs),
              { origin: shooter.body, direction: { x: shot.dx, y: shot.dy }, maxDistance: RANGE },
              shooter.id,
            );
          } catch (error) {
            if (!isShardlineError(error, 'REWIND_TOO_FAR')) throw error;
            throw new ShardlineError('RPC_NOT_ALLOWED', 'a shot from too far in the past');
          }
          if (boss && hit?.id === boss.id) {
            if (boss.health === 0) return { victim: '' };
            boss.health = Math.max(0, boss.health - DAMAGE);
            if (boss.health === 0) defeatBoss(shooter);
            return { victim: BOSS_NAME };
          }
          const victim = hit && [...fighters].find(([, fighter]) => fighter.id === hit.id);
          if (!victim) return { victim: '' };
          const target = victim[1];
          target.health = Math.max(0, target.health - DAMAGE);
          if (target.health === 0) {
            shooter.score++;
            target.health = 100;
            target.body = spawnPoint(spawns++);
            if (services && player.ticket) void recordKill(services, player.ticket, logger);
            world.broadcast(arenaRpcs.definitions.kill, { killer: shooter.name, victim: target.name });
          }
          return { victim: target.name };
        },
      },
    };
  });

  return {
    worlds: [arenaServer],
    // The browser page; its bundle comes from `npm run build:demo` (npm start runs it). Every shard
    // serves it: a page from the Forest's shard plays in the Forest, one from the Caves' in the Caves.
    assets: {
      '/play': here('./play/index.html'),
      '/play.js': here('./play/dist/play.js'),
      '/play.js.map': here('./play/dist/play.js.map'),
    },
    services: {
      leaderboards: [{ id: KILLS_BOARD, order: 'desc', operator: 'increment', authoritative: true }],
      achievements: [
        { id: 'first-blood', title: 'First blood', description: 'Win a duel', authoritative: true },
        {
          id: 'hunter',
          title: 'Hunter',
          description: `${HUNTER_KILLS} kills`,
          target: HUNTER_KILLS,
          authoritative: true,
        },
      ],
      // A formed match plays in a private arena of its own.
      matchmaking: { world: arena.name },
    },
    // Used when it runs as a cluster (`shardline cluster start examples/arena/cluster.json`).
    cluster,
  };
}

/** The game `shardline start --game` and `shardline cluster start --game` load. */
export const game: ShardlineGame = arenaGame();
