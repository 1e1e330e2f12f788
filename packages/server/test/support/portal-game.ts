import { type EntityId, StarterBody, starterWorld } from '@shardline/core';
import {
  type ClusterConfig,
  type Player,
  parseClusterConfig,
  type ShardlineGame,
  serveWorld,
} from '@shardline/server';
import { TEST_POSTGRES_URL } from './postgres.js';

/**
 * A two-world game for portal tests: the starter world as Forest and Caves, paired by a sinkhole
 * in the Forest and stairs in the Caves. Each player is a body it owns and a bag of items (the
 * game's record of it): new players get two items named after them; items travel through portals
 * and are kept with the world that holds the player. `holdings()` says, per world, whose items it
 * holds now (seated players and those it keeps while away): the ledger a test checks.
 */
export const FOREST_SINKHOLE = { world: 'forest', portal: 'sinkhole' } as const;
export const CAVES_STAIRS = { world: 'caves', portal: 'stairs' } as const;

/** Per arrival, whether the world could read the body it respawned (`world.get`, at once). */
export const bodiesSeenOnArrival: boolean[] = [];

/** Per world id: each player's items, for seated players. */
export const seatedItems = new Map<string, Map<string, string[]>>();

export function portalGame(options: { cooldownMs?: number; transferTimeoutMs?: number } = {}): ShardlineGame {
  return {
    worlds: [
      serveWorld(starterWorld, (world) => {
        const bodies = new Map<Player, EntityId<typeof StarterBody>>();
        const items = new Map<string, string[]>();
        seatedItems.set(world.id, items);
        const seat = (player: Player, bag: string[]) => {
          items.set(player.id, bag);
        };
        return {
          join: (player) => {
            bodies.set(player, world.spawn(StarterBody, { x: 1, y: 2 }, { owner: player }));
            seat(player, [`${player.id}-sword`, `${player.id}-shield`]);
          },
          arrive: (player, arrival) => {
            const [body] = arrival.entities.values();
            if (body !== undefined) bodies.set(player, body as EntityId<typeof StarterBody>);
            bodiesSeenOnArrival.push(
              body !== undefined && world.get(body as EntityId<typeof StarterBody>) !== undefined,
            );
            seat(player, (arrival.data.items as string[] | undefined) ?? []);
          },
          savePlayer: (player) => ({ items: items.get(player.id) ?? [] }),
          leave: (player) => {
            const body = bodies.get(player);
            if (body !== undefined && world.get(body)) world.despawn(body);
            bodies.delete(player);
            items.delete(player.id);
          },
        };
      }),
    ],
    cluster: {
      portals: {
        pairs: [[FOREST_SINKHOLE, CAVES_STAIRS]],
        ...(options.cooldownMs !== undefined ? { cooldownMs: options.cooldownMs } : {}),
        ...(options.transferTimeoutMs !== undefined ? { transferTimeoutMs: options.transferTimeoutMs } : {}),
      },
    },
  };
}

/** Forest (master) and Caves on the in-process engine, each its own server with its own shard index. */
export function portalCluster(
  dataDir: string,
  name: string,
  postgresSchema?: string,
  server: Record<string, unknown> = {},
): ClusterConfig {
  return parseClusterConfig({
    cluster: { name, description: 'Above and below', maxPlayers: 64 },
    engine: 'in-process',
    leaseMs: 600,
    server: {
      host: '127.0.0.1',
      dataDir,
      logLevel: 'silent',
      httpPort: 0,
      udpPort: 0,
      wsPort: 0,
      // Accounts shared (a player signed in through one shard is the same player on the other).
      ...(postgresSchema ? { postgresUrl: TEST_POSTGRES_URL, postgresSchema } : {}),
      ...server,
    },
    shards: {
      forest: { role: 'master', worlds: [{ kind: 'starter', id: 'forest' }] },
      caves: { role: 'secondary', standby: true, worlds: [{ kind: 'starter', id: 'caves' }] },
    },
  });
}
