/** The server side: `npx shardline start --game ./server.ts`. */
import type { EntityId, Player as Seat, ShardlineGame } from '@shardline/server';
import { serveWorld } from '@shardline/server';
import { dice, Player } from './game.js';

export const game: ShardlineGame = {
  worlds: [
    serveWorld(dice, (world) => {
      const players = new Map<Seat, { id: EntityId<typeof Player>; score: number }>();
      return {
        join(seat) {
          const id = world.spawn(Player, { name: seat.name ?? seat.id }, { owner: seat });
          players.set(seat, { id, score: 0 });
        },
        leave: (seat) => world.despawn(players.get(seat)!.id),
        rpc: {
          roll({ sides }, { player }) {
            const value = 1 + Math.floor(Math.random() * sides);
            const me = players.get(player)!;
            me.score += value;
            world.set(me.id, { score: me.score });
            return { value };
          },
        },
      };
    }),
  ],
};
