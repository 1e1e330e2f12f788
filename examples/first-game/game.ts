/** A first game: everyone in a world has a score; rolling a die adds to it. Shared by server and client. */
import { defineEntity, defineRpcs, defineWorld, rpc, t } from '@shardline/core';

export const Player = defineEntity('Player', {
  name: t.string({ maxBytes: 64 }),
  score: t.int({ min: 0, max: 100_000 }),
});

export const dice = defineWorld('dice', {
  entities: [Player],
  rpc: defineRpcs({
    /** Rolls a die of `sides` sides for the caller and adds the roll to their score. */
    roll: rpc({
      params: { sides: t.int({ min: 2, max: 20 }) },
      reply: { value: t.int({ min: 1, max: 20 }) },
    }),
  }),
  maxPlayers: 8,
});
