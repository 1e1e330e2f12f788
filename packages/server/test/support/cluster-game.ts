import { defineRpcs, rpc, t } from '@shardline/core';
import { clusterEvent, defineClusterEvents, type ShardlineGame, starterGame } from '@shardline/server';

/** The global events of the test cluster: a boss defeated (one subject per boss). */
export const clusterEvents = defineClusterEvents({
  bossDefeated: clusterEvent({
    params: { boss: t.u8(), day: t.u16() },
    key: (params) => `boss-${params.boss}`,
    validate: (params) => (params.day === 0 ? 'no boss dies on day 0' : undefined),
  }),
});

/** The shard RPC of the test cluster: who answers. */
export const clusterRpcs = defineRpcs({
  whoAreYou: rpc({ params: {}, reply: { shard: t.string({ maxBytes: 40 }) } }),
});

/**
 * A game for cluster tests run as real processes (`shardline shard start --game`): the starter
 * world, matches of two, shard RPC answered with the shard's name, and each applied boss event
 * logged (`applied event`, with its id and sequence) so a test can count applications across
 * restarts.
 */
export const game: ShardlineGame = {
  worlds: starterGame.worlds,
  // Matches of two, each played in a starter world placed on a shard that creates them.
  services: { matchmaking: { matchSize: 2, world: 'starter' } },
  cluster: {
    rpcs: clusterRpcs,
    events: clusterEvents,
    setup: (shard, { logger }) => {
      shard.rpc.handle('whoAreYou', () => ({ shard: shard.name }));
      shard.onEvent('bossDefeated', (params, info) => {
        logger?.info(
          { event: info.id, sequence: info.sequence, boss: params.boss, day: params.day },
          'applied event',
        );
      });
    },
  },
};
