import { SeededRandom } from '../lib/random.js';

/**
 * The fan-out benchmark's world, identical for both servers: units {x, y} on a square map; the same
 * seeded movers walk every tick (turning a little, bouncing off the edges); the rest stand still.
 * Bot i watches the viewpoint `viewpoints[i]` (interest variant only).
 */
export interface Variant {
  name: 'everyone' | 'interest';
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

export const VARIANTS: readonly Variant[] = [
  { name: 'everyone', entities: 1000, movers: 100, mapSize: 2000, viewRadius: undefined },
  // 2,000 units on 4,000²: a circle of radius 505 holds about 100 of them (2000 · π · 505² / 4000²).
  { name: 'interest', entities: 2000, movers: 200, mapSize: 4000, viewRadius: 505 },
];

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
  private readonly random = new SeededRandom(SEED);
  private readonly moverIndices: number[];

  constructor(readonly variant: Variant) {
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
