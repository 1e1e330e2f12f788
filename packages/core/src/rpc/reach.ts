import { ShardlineError } from '../errors.js';

/** A position in world units (z optional: 2D games leave it out). */
export interface Point {
  x: number;
  y: number;
  z?: number;
}

function distanceSquared(a: Point, b: Point): number {
  const dx = a.x - b.x;
  const dy = a.y - b.y;
  const dz = (a.z ?? 0) - (b.z ?? 0);
  return dx * dx + dy * dy + dz * dz;
}

/**
 * Whether `target` lies within `maxDistance` of `from` (the caller's authoritative position): the
 * check for "use, hit or pick up something over there". Non-finite coordinates are never in reach.
 */
export function withinReach(from: Point, target: Point, maxDistance: number): boolean {
  const squared = distanceSquared(from, target);
  return Number.isFinite(squared) && squared <= maxDistance * maxDistance;
}

/**
 * Movement a client claims, checked against a top speed: each new position must be reachable from
 * the last accepted one in the time since, at `maxSpeed` (units per second) plus `slack` units for
 * timing jitter. The classic teleport exploit fails here; the server keeps the last good position.
 */
export class MovementCheck {
  private readonly last = new Map<string, { position: Point; atMs: number }>();
  private readonly maxSpeed: number;
  private readonly slack: number;

  constructor(options: { maxSpeed: number; slack?: number }) {
    if (!(options.maxSpeed > 0)) throw new ShardlineError('VALUE_INVALID', 'maxSpeed must be positive');
    this.maxSpeed = options.maxSpeed;
    this.slack = options.slack ?? 0;
  }

  /** Accepts (and remembers) `position` if `client` could have got there; false leaves the last one. */
  accept(client: string, position: Point, nowMs: number): boolean {
    const previous = this.last.get(client);
    if (previous) {
      const seconds = Math.max(0, nowMs - previous.atMs) / 1000;
      if (!withinReach(previous.position, position, this.maxSpeed * seconds + this.slack)) return false;
    } else if (!withinReach(position, position, 0)) {
      return false; // not finite
    }
    this.last.set(client, { position: { ...position }, atMs: nowMs });
    return true;
  }

  /** The last accepted position of `client`, if any. */
  positionOf(client: string): Point | undefined {
    return this.last.get(client)?.position;
  }

  /** Moves the client without a check (a spawn, a teleport the server made). */
  place(client: string, position: Point, nowMs: number): void {
    this.last.set(client, { position: { ...position }, atMs: nowMs });
  }

  remove(client: string): void {
    this.last.delete(client);
  }
}
