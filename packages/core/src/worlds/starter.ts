import { defineEntity } from '../schema/entity.js';
import { t } from '../schema/t.js';
import { defineWorld } from './define-world.js';

/** The starter world's one entity: a body per player, placed where it joined. */
export const StarterBody = defineEntity('Body', {
  x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
  y: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
});

/** What `shardline start` runs without a game: a `starter` world where each player gets a body. */
export const starterWorld = defineWorld('starter', { entities: [StarterBody], tickHz: 30, maxPlayers: 64 });
