/** The arena's server rules, as a ShardlineGame: inputs, movement, lag-compensated shots, kills. */
import { fileURLToPath } from 'node:url';
import {
  type FieldsOf,
  InputQueue,
  isShardlineError,
  LagCompensator,
  ServerWorld,
  ShardlineError,
} from '@shardline/core';
import {
  type OnlineServices,
  type PlayerTicket,
  readPlayerTicket,
  type ShardlineGame,
  WorldHost,
} from '@shardline/server';
import type { Logger } from 'pino';
import {
  ACK_CHANNEL,
  ARENA,
  ARENA_CHANNELS,
  arenaRpcs,
  type Body,
  CONTROL_CHANNEL,
  DAMAGE,
  Fighter,
  HIT_RADIUS,
  INPUT_CHANNEL,
  RANGE,
  RPC_CHANNELS,
  SEND_HZ,
  SNAPSHOT_CHANNEL,
  Stick,
  step,
  TICK_HZ,
} from './game.js';

interface Seated {
  id: number;
  body: Body;
  inputs: InputQueue<FieldsOf<typeof Stick>>;
  health: number;
  score: number;
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
async function recordKill(services: OnlineServices, killer: PlayerTicket, logger: Logger): Promise<void> {
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
    logger.warn({ err: error, userId: killer.userId }, 'could not record a kill');
  }
}

export const game: ShardlineGame = {
  channels: ARENA_CHANNELS,
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
  },
  create({ server, logger, services }) {
    const world = new ServerWorld({ schemas: [Fighter], tickHz: TICK_HZ, sendHz: SEND_HZ }, Date.now());
    const host = new WorldHost({
      server,
      world,
      controlChannel: CONTROL_CHANNEL,
      snapshotChannel: SNAPSHOT_CHANNEL,
      ackChannel: ACK_CHANNEL,
      rpc: { catalog: arenaRpcs, channels: RPC_CHANNELS },
    });
    const history = new LagCompensator({ historyMs: 1_000 });
    const seated = new Map<string, Seated>();
    /** Seats of signed-in players (joined with a services connect token), for their scores. */
    const players = new Map<string, PlayerTicket>();
    let spawns = 0;
    const save = (seat: string, fighter: Seated) =>
      world.set(fighter.id, {
        x: fighter.body.x,
        y: fighter.body.y,
        health: fighter.health,
        score: fighter.score,
        lastInput: fighter.inputs.lastApplied ?? 0,
        seat,
      });

    host.onJoin = (seat, info) => {
      try {
        players.set(seat, readPlayerTicket(info.clientId, info.userData));
      } catch {
        // A development token (bots, tests): plays, but has no account to score for.
      }
      const body = spawnPoint(spawns++);
      const id = world.spawn(
        Fighter,
        { ...body, health: 100, score: 0, lastInput: 0, seat },
        { owner: seat },
      );
      seated.set(seat, { id, body, inputs: new InputQueue(Stick, 2), health: 100, score: 0 });
    };
    host.onLeave = (seat, reason) => {
      const fighter = seated.get(seat);
      if (fighter) world.despawn(fighter.id);
      seated.delete(seat);
      players.delete(seat);
      logger.info({ seat, reason }, 'fighter left');
    };
    host.onMessage = (seat, channel, bytes) => {
      if (channel !== INPUT_CHANNEL) return;
      try {
        seated.get(seat)?.inputs.receive(bytes);
      } catch {
        // A malformed input message is dropped; the stream's next message repeats what it carried.
      }
    };
    world.onTick = (tick, dtMs) => {
      for (const [seat, fighter] of seated) {
        const next = fighter.inputs.next();
        if (next) fighter.body = step(fighter.body, next.input, dtMs);
        save(seat, fighter);
      }
      history.record(
        tick * dtMs,
        [...seated.values()].map((fighter) => [fighter.id, { ...fighter.body, radius: HIT_RADIUS }]),
      );
    };
    host.rpc!.handle(arenaRpcs.definitions.fire, (shot, call) => {
      const shooter = seated.get(call.client);
      if (!shooter) return { victim: '' };
      const nowMs = world.tick * (1000 / TICK_HZ);
      let hit: ReturnType<typeof history.raycast>;
      try {
        hit = history.raycast(
          nowMs,
          Math.min(nowMs, shot.renderTimeMs),
          { origin: shooter.body, direction: { x: shot.dx, y: shot.dy }, maxDistance: RANGE },
          shooter.id,
        );
      } catch (error) {
        if (!isShardlineError(error, 'REWIND_TOO_FAR')) throw error;
        throw new ShardlineError('RPC_NOT_ALLOWED', 'a shot from too far in the past');
      }
      const victimSeat = hit && [...seated].find(([, fighter]) => fighter.id === hit.id)?.[0];
      if (!victimSeat) return { victim: '' };
      const victim = seated.get(victimSeat)!;
      victim.health = Math.max(0, victim.health - DAMAGE);
      if (victim.health === 0) {
        shooter.score++;
        victim.health = 100;
        victim.body = spawnPoint(spawns++);
        const killer = players.get(call.client);
        if (killer) void recordKill(services, killer, logger);
        host.rpc!.broadcastEvent(
          arenaRpcs.definitions.kill,
          { killer: call.client, victim: victimSeat },
          { timeMs: nowMs },
        );
      }
      return { victim: victimSeat };
    });
    return { host, world };
  },
};
