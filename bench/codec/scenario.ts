import { SeededRandom } from '../lib/random.js';

/**
 * The codec benchmark's world, identical for every contender: ENTITY_COUNT entities {x, y, angle, hp};
 * each tick MOVERS_PER_TICK distinct entities (seeded choice) turn a little and step forward.
 */
export const ENTITY_COUNT = 1000;
export const MOVERS_PER_TICK = 100;
export const WARMUP_TICKS = 500;
export const MEASURED_TICKS = 3000;
export const SEED = 0x5eed_c0de;

/** World bounds (units) and motion: 6 units/s at 30 Hz, turning up to 0.1 rad per tick. */
export const WORLD_HALF_SIZE = 4096;
const SPAWN_HALF_SIZE = 1000;
const STEP_UNITS = 6 / 30;
const MAX_TURN_RADIANS = 0.1;

export interface UnitState {
  x: number;
  y: number;
  angle: number;
  hp: number;
}

/** The changed entities of one tick: ascending ids and their new states. */
export interface TickChanges {
  ids: number[];
  states: UnitState[];
}

export interface Scenario {
  initial: UnitState[];
  ticks: TickChanges[];
}

function wrapAngle(radians: number): number {
  return radians - 2 * Math.PI * Math.floor((radians + Math.PI) / (2 * Math.PI));
}

export function buildScenario(tickCount = WARMUP_TICKS + MEASURED_TICKS): Scenario {
  const random = new SeededRandom(SEED);
  const initial: UnitState[] = Array.from({ length: ENTITY_COUNT }, () => ({
    x: random.range(-SPAWN_HALF_SIZE, SPAWN_HALF_SIZE),
    y: random.range(-SPAWN_HALF_SIZE, SPAWN_HALF_SIZE),
    angle: random.range(-Math.PI, Math.PI),
    hp: 1 + random.index(100),
  }));
  const current = initial.map((state) => ({ ...state }));
  const ticks: TickChanges[] = [];
  for (let tick = 0; tick < tickCount; tick++) {
    const ids = random.sample(ENTITY_COUNT, MOVERS_PER_TICK);
    const states = ids.map((id) => {
      const before = current[id]!;
      const angle = wrapAngle(before.angle + random.range(-MAX_TURN_RADIANS, MAX_TURN_RADIANS));
      const after = {
        x: before.x + Math.cos(angle) * STEP_UNITS,
        y: before.y + Math.sin(angle) * STEP_UNITS,
        angle,
        hp: before.hp,
      };
      current[id] = after;
      return after;
    });
    ticks.push({ ids, states });
  }
  return { initial, ticks };
}
