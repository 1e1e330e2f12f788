import { SeededRandom } from '../lib/random.js';

/**
 * The fan-out benchmark's world, identical for both servers: units {x, y} on a square map; the same
 * seeded movers walk every tick (turning a little, bouncing off the edges); the rest stand still.
 * Bot i watches the viewpoint `viewpoints[i]` (interest variant only). A variant with rooms runs
 * that many such worlds in the one server, each seeded apart, with `botsPerRoom` bots in each.
 */
export interface Variant {
  name: 'everyone' | 'interest' | 'rooms';
  /** Worlds (rooms) the server runs. */
  rooms: number;
  /** Bots in each room; undefined: the runner's SL_BOTS, in the one world. */
  botsPerRoom: number | undefined;
  /** Units per room. */
  entities: number;
  movers: number;
  /** The map is [0, mapSize) on both axes, world units. */
  mapSize: number;
  /** What one client sees around its viewpoint; undefined: everything. */
  viewRadius: number | undefined;
}

export const TICK_HZ = 20;
/** Walking speed of a mover, world units per second. */
const SPEED = 60;
const MAX_TURN_RADIANS = 0.3;
const SEED = 0xfa_17e;
/** Room r's world is seeded SEED + r · this (room 0: the single-world variants' seed). */
const ROOM_SEED_STRIDE = 0x1_0000;

export const VARIANTS: readonly Variant[] = [
  {
    name: 'everyone',
    rooms: 1,
    botsPerRoom: undefined,
    entities: 1000,
    movers: 100,
    mapSize: 2000,
    viewRadius: undefined,
  },
  // 2,000 units on 4,000²: a circle of radius 505 holds about 100 of them (2000 · π · 505² / 4000²).
  {
    name: 'interest',
    rooms: 1,
    botsPerRoom: undefined,
    entities: 2000,
    movers: 200,
    mapSize: 4000,
    viewRadius: 505,
  },
  // Small matches: 100 rooms of 8 players, everyone in a room sees all 50 of its units, all walking.
  {
    name: 'rooms',
    rooms: 100,
    botsPerRoom: 8,
    entities: 50,
    movers: 50,
    mapSize: 1000,
    viewRadius: undefined,
  },
];

/** How many bots a variant takes: its rooms' seats, or `defaultBots` in its one world. */
export function botsOf(variant: Variant, defaultBots: number): number {
  return variant.botsPerRoom === undefined ? defaultBots : variant.rooms * variant.botsPerRoom;
}

/** The room bot `index` plays in (bots fill rooms in order). */
export function roomOf(variant: Variant, index: number): number {
  return variant.botsPerRoom === undefined ? 0 : Math.floor(index / variant.botsPerRoom);
}

export function variantNamed(name: string): Variant {
  const variant = VARIANTS.find((candidate) => candidate.name === name);
  if (!variant) throw new Error(`unknown variant ${name}`);
  return variant;
}

export interface Unit {
  x: number;
  y: number;
}

/** The moving world: `step()` advances one tick and returns the indices of the units that moved. */
export class FanoutWorld {
  readonly units: Unit[];
  private readonly headings: number[];
  private readonly random: SeededRandom;
  private readonly moverIndices: number[];

  /** `room`: which of the variant's rooms (each is seeded apart). */
  constructor(
    readonly variant: Variant,
    room = 0,
  ) {
    this.random = new SeededRandom(SEED + ROOM_SEED_STRIDE * room);
    const { entities, movers, mapSize } = variant;
    this.units = Array.from({ length: entities }, () => ({
      x: this.random.range(0, mapSize),
      y: this.random.range(0, mapSize),
    }));
    this.headings = this.units.map(() => this.random.range(-Math.PI, Math.PI));
    // Movers spread over the ids (every k-th unit), so they are spread over the map too.
    this.moverIndices = Array.from({ length: movers }, (_, i) => Math.floor((i * entities) / movers));
  }

  step(): readonly number[] {
    const stepUnits = SPEED / TICK_HZ;
    const size = this.variant.mapSize;
    for (const index of this.moverIndices) {
      const unit = this.units[index]!;
      let heading = this.headings[index]! + this.random.range(-MAX_TURN_RADIANS, MAX_TURN_RADIANS);
      let x = unit.x + Math.cos(heading) * stepUnits;
      let y = unit.y + Math.sin(heading) * stepUnits;
      if (x < 0 || x >= size || y < 0 || y >= size) {
        heading += Math.PI; // bounce back the way it came
        x = Math.min(size - 0.01, Math.max(0, x));
        y = Math.min(size - 0.01, Math.max(0, y));
      }
      this.headings[index] = heading;
      unit.x = x;
      unit.y = y;
    }
    return this.moverIndices;
  }
}

/** Where bot `index` looks from: seeded, anywhere on the map. */
export function viewpointOf(variant: Variant, index: number): Unit {
  const random = new SeededRandom(SEED + 1 + index);
  return { x: random.range(0, variant.mapSize), y: random.range(0, variant.mapSize) };
}
