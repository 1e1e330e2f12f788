import { type EntityId, StarterBody, starterWorld } from '@shardline/core';
import type { Player } from '../worlds/player.js';
import { serveWorld } from '../worlds/serve-world.js';
import type { ShardlineGame } from './start.js';

/**
 * What `shardline start` runs without a game: the `starter` world (declared in @shardline/core, so
 * any client can join it), a body per player placed where it joined, removed when it leaves.
 */
export const starterGame: ShardlineGame = {
  worlds: [
    serveWorld(starterWorld, (world, { logger }) => {
      const bodies = new Map<Player, EntityId<typeof StarterBody>>();
      return {
        join: (player) => bodies.set(player, world.spawn(StarterBody, { x: 0, y: 0 }, { owner: player })),
        leave: (player, reason) => {
          const body = bodies.get(player);
          if (body !== undefined) world.despawn(body);
          bodies.delete(player);
          logger?.info({ world: world.id, seat: player.seat, reason }, 'seat given up');
        },
      };
    }),
  ],
};
