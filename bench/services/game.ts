/** The game `bench:services` runs: the starter world plus one leaderboard, `bench` (higher is better, best score kept). */
import { type ShardlineGame, starterGame } from '@shardline/server';

export const BENCH_BOARD = 'bench';

export const game: ShardlineGame = {
  ...starterGame,
  services: { leaderboards: [{ id: BENCH_BOARD, order: 'desc', operator: 'best' }] },
};
