/** The arena's server rules, served as the `arena` world kind: inputs, movement, lag-compensated shots, kills. */
import { fileURLToPath } from 'node:url';
import {
  type EntityId,
  type HitSphere,
  isShardlineError,
  LagCompensator,
  ShardlineError,
} from '@shardline/core';
import {
  type OnlineServices,
  type Player,
  type PlayerTicket,
  type ShardlineGame,
  serveWorld,
} from '@shardline/server';
import type { Logger } from 'pino';
import { ARENA, arena, arenaRpcs, type Body, DAMAGE, Fighter, HIT_RADIUS, RANGE, step } from './game.js';

interface Seated {
  id: EntityId<typeof Fighter>;
  name: string;
  body: Body;
  health: number;
  score: number;
  /** Its hit volume as the lag compensator records it each tick (updated in place: it copies). */
  volume: [EntityId<typeof Fighter>, HitSphere];
}

/** Where a fighter (re)spawns: spread around the arena by a simple sequence (no randomness needed). */
function spawnPoint(n: number): Body {
  const angle = n * 2.399963; // the golden angle: successive points spread evenly
  const radius = ARENA * 0.6 * Math.sqrt(((n % 16) + 1) / 16);
  return { x: Math.cos(angle) * radius, y: Math.sin(angle) * radius };
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** The kills board and the achievements a kill can earn: only the server writes them. */
export const KILLS_BOARD = 'kills';
const HUNTER_KILLS = 10;

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

/** One arena instance: a fighter per player, moved by its stick, hit by lag-compensated shots. */
export const arenaServer = serveWorld(arena, (world, { services, logger }) => {
  const history = new LagCompensator({ historyMs: 1_000 });
  const fighters = new Map<Player, Seated>();
  /** Every fighter's `volume`, in the order they joined. */
  let volumes: Seated['volume'][] = [];
  let spawns = 0;
  return {
    join(player) {
      const name = player.name ?? player.id;
      const body = spawnPoint(spawns++);
      const id = world.spawn(Fighter, { ...body, health: 100, name, connected: true }, { owner: player });
      const volume: Seated['volume'] = [id, { x: body.x, y: body.y, radius: HIT_RADIUS }];
      fighters.set(player, { id, name, body, health: 100, score: 0, volume });
      volumes.push(volume);
    },
    drop: (player) => world.set(fighters.get(player)!.id, { connected: false }),
    rejoin: (player) => world.set(fighters.get(player)!.id, { connected: true }),
    leave(player, reason) {
      const fighter = fighters.get(player);
      if (fighter) {
        world.despawn(fighter.id);
        volumes = volumes.filter((volume) => volume !== fighter.volume);
      }
      fighters.delete(player);
      logger?.info({ world: world.id, seat: player.seat, reason }, 'fighter left');
    },
    input(player, stick) {
      const fighter = fighters.get(player)!;
      fighter.body = step(fighter.body, stick, arena.tickMs);
    },
    tick() {
      for (const fighter of fighters.values()) {
        const { id, body, health, score, volume } = fighter;
        world.set(id, { x: body.x, y: body.y, health, score });
        volume[1].x = body.x;
        volume[1].y = body.y;
      }
      history.record(world.timeMs, volumes);
    },
    rpc: {
      fire(shot, { player, timeMs }) {
        const shooter = fighters.get(player)!;
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

export const game: ShardlineGame = {
  worlds: [arenaServer],
  // The browser page; its bundle comes from `npm run build:demo` (npm start runs it).
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
};
