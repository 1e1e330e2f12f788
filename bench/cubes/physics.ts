/**
 * The cubes scene from Glenn Fiedler's snapshot compression articles, re-created as a small physics
 * toy: 900 small cubes (1 m) resting in a 30 × 30 grid and one large cube (6 m) driven around the
 * field, pushing them; pushed cubes tumble, knock into their neighbours, slide and come to rest.
 * Units: metres, seconds; y is up. Deterministic for a seed.
 */
import { SeededRandom } from '../lib/random.js';

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}
export interface Quat {
  x: number;
  y: number;
  z: number;
  w: number;
}

export interface Cube {
  position: Vec3;
  orientation: Quat;
  velocity: Vec3;
  spin: Vec3;
  half: number;
  /** Moving, or touched by something moving, this step. */
  interacting: boolean;
  resting: boolean;
}

export const FIELD_HALF = 60;
const SMALL_HALF = 0.5;
const LARGE_HALF = 3;
const GRAVITY = 9.81;
/** Below these speeds (m/s, rad/s) a grounded cube falls asleep. */
const REST_SPEED = 0.05;

export class CubeScene {
  readonly cubes: Cube[] = [];
  private time = 0;
  private readonly random: SeededRandom;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
    this.cubes.push(cube({ x: -40, y: LARGE_HALF, z: 0 }, LARGE_HALF));
    for (let row = 0; row < 30; row++) {
      for (let column = 0; column < 30; column++) {
        this.cubes.push(cube({ x: (column - 14.5) * 2.5, y: SMALL_HALF, z: (row - 14.5) * 2.5 }, SMALL_HALF));
      }
    }
  }

  step(dt: number): void {
    this.time += dt;
    this.driveLargeCube(dt);
    for (const small of this.cubes.slice(1)) small.interacting = false;
    this.pushSmallCubes();
    this.separateNeighbours();
    for (const small of this.cubes.slice(1)) this.integrate(small, dt);
  }

  /** A figure-of-eight across the field with a slow yaw, up to about 12 m/s, pausing now and then. */
  private driveLargeCube(dt: number): void {
    const large = this.cubes[0]!;
    const phase = this.time * 0.2;
    const pause = Math.sin(this.time * 0.21) > 0.8; // about a seventh of the time the scene settles
    const before = { ...large.position };
    if (!pause) {
      large.position = { x: 42 * Math.sin(phase), y: LARGE_HALF, z: 30 * Math.sin(2 * phase) };
      large.orientation = yaw(phase * 3);
    }
    large.velocity = scale(subtract(large.position, before), 1 / dt);
    large.interacting = !pause;
  }

  private pushSmallCubes(): void {
    const large = this.cubes[0]!;
    const reach = LARGE_HALF + SMALL_HALF;
    for (const small of this.cubes.slice(1)) {
      const dx = small.position.x - large.position.x;
      const dz = small.position.z - large.position.z;
      const distance = Math.hypot(dx, dz);
      if (distance >= reach || distance === 0) continue;
      const nx = dx / distance;
      const nz = dz / distance;
      small.position.x = large.position.x + nx * reach;
      small.position.z = large.position.z + nz * reach;
      const speed = Math.hypot(large.velocity.x, large.velocity.z);
      small.velocity = {
        x: large.velocity.x + nx * speed * 0.5,
        y: small.velocity.y + this.random.range(0.5, 2.5),
        z: large.velocity.z + nz * speed * 0.5,
      };
      // Tumble about the horizontal axis across the push.
      small.spin = { x: nz * speed * 1.5, y: this.random.range(-1, 1), z: -nx * speed * 1.5 };
      small.resting = false;
      small.interacting = true;
    }
  }

  /** Overlapping small cubes push apart and share momentum, so one shove spreads to its neighbours. */
  private separateNeighbours(): void {
    const cells = new Map<number, Cube[]>();
    const key = (x: number, z: number) => (Math.floor(x) + 1000) * 4096 + (Math.floor(z) + 1000);
    for (const small of this.cubes.slice(1)) {
      const k = key(small.position.x, small.position.z);
      const list = cells.get(k);
      if (list) list.push(small);
      else cells.set(k, [small]);
    }
    for (const a of this.cubes.slice(1)) {
      if (a.resting) continue;
      const cx = Math.floor(a.position.x);
      const cz = Math.floor(a.position.z);
      for (let ox = -1; ox <= 1; ox++) {
        for (let oz = -1; oz <= 1; oz++) {
          for (const b of cells.get(key(cx + ox, cz + oz)) ?? []) {
            if (b !== a) collide(a, b);
          }
        }
      }
    }
  }

  private integrate(small: Cube, dt: number): void {
    if (small.resting) return;
    small.velocity.y -= GRAVITY * dt;
    small.position = add(small.position, scale(small.velocity, dt));
    small.orientation = rotate(small.orientation, small.spin, dt);
    const grounded = small.position.y <= SMALL_HALF;
    if (grounded) {
      small.position.y = SMALL_HALF;
      small.velocity.y = Math.abs(small.velocity.y) > 1 ? -small.velocity.y * 0.3 : 0;
      const friction = Math.max(0, 1 - 2 * dt);
      small.velocity.x *= friction;
      small.velocity.z *= friction;
      small.spin = scale(small.spin, Math.max(0, 1 - 2 * dt));
    }
    for (const axis of ['x', 'z'] as const) {
      const limit = FIELD_HALF - SMALL_HALF;
      if (Math.abs(small.position[axis]) > limit) {
        small.position[axis] = Math.sign(small.position[axis]) * limit;
        small.velocity[axis] = -small.velocity[axis] * 0.5;
      }
    }
    const moving = Math.hypot(small.velocity.x, small.velocity.y, small.velocity.z);
    const spinning = Math.hypot(small.spin.x, small.spin.y, small.spin.z);
    if (grounded && moving < REST_SPEED && spinning < REST_SPEED) {
      small.velocity = { x: 0, y: 0, z: 0 };
      small.spin = { x: 0, y: 0, z: 0 };
      small.resting = true;
    } else {
      small.interacting = true;
    }
  }
}

function collide(a: Cube, b: Cube): void {
  const dx = b.position.x - a.position.x;
  const dz = b.position.z - a.position.z;
  const distance = Math.hypot(dx, dz);
  const reach = a.half + b.half;
  if (distance >= reach || distance === 0) return;
  const nx = dx / distance;
  const nz = dz / distance;
  const overlap = (reach - distance) / 2;
  a.position.x -= nx * overlap;
  a.position.z -= nz * overlap;
  b.position.x += nx * overlap;
  b.position.z += nz * overlap;
  const closing = (a.velocity.x - b.velocity.x) * nx + (a.velocity.z - b.velocity.z) * nz;
  if (closing > 0) {
    const impulse = closing * 0.8;
    a.velocity.x -= nx * impulse;
    a.velocity.z -= nz * impulse;
    b.velocity.x += nx * impulse;
    b.velocity.z += nz * impulse;
    b.spin = { x: b.spin.x + nz * impulse, y: b.spin.y, z: b.spin.z - nx * impulse };
  }
  b.resting = false;
  b.interacting = true;
}

function cube(position: Vec3, half: number): Cube {
  return {
    position,
    orientation: { x: 0, y: 0, z: 0, w: 1 },
    velocity: { x: 0, y: 0, z: 0 },
    spin: { x: 0, y: 0, z: 0 },
    half,
    interacting: false,
    resting: true,
  };
}

function yaw(angle: number): Quat {
  return { x: 0, y: Math.sin(angle / 2), z: 0, w: Math.cos(angle / 2) };
}

/** q advanced by angular velocity `w` (rad/s) over dt: q + dt/2 · (w, 0) · q, renormalized. */
function rotate(q: Quat, w: Vec3, dt: number): Quat {
  const h = dt / 2;
  const next = {
    x: q.x + h * (w.x * q.w + w.y * q.z - w.z * q.y),
    y: q.y + h * (w.y * q.w + w.z * q.x - w.x * q.z),
    z: q.z + h * (w.z * q.w + w.x * q.y - w.y * q.x),
    w: q.w - h * (w.x * q.x + w.y * q.y + w.z * q.z),
  };
  const length = Math.hypot(next.x, next.y, next.z, next.w);
  return { x: next.x / length, y: next.y / length, z: next.z / length, w: next.w / length };
}

function add(a: Vec3, b: Vec3): Vec3 {
  return { x: a.x + b.x, y: a.y + b.y, z: a.z + b.z };
}
function subtract(a: Vec3, b: Vec3): Vec3 {
  return { x: a.x - b.x, y: a.y - b.y, z: a.z - b.z };
}
function scale(a: Vec3, k: number): Vec3 {
  return { x: a.x * k, y: a.y * k, z: a.z * k };
}
