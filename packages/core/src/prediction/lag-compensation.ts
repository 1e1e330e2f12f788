import { ShardlineError } from '../errors.js';

/** A hit volume: a sphere (z 0 for 2D games). */
export interface HitSphere {
  x: number;
  y: number;
  z?: number;
  radius: number;
}

export interface Ray {
  origin: { x: number; y: number; z?: number };
  /** Need not be unit length. */
  direction: { x: number; y: number; z?: number };
  maxDistance: number;
}

export interface Hit {
  id: number;
  /** Along the ray, world units. */
  distance: number;
}

interface Frame {
  timeMs: number;
  volumes: Map<number, HitSphere>;
}

/**
 * Lag compensation on the server: a short history of every entity's hit volume by server time, so
 * an action can be judged against the world as the acting client saw it. The client sends the
 * server time it was rendering (its interpolation time); the server rewinds to it, no further back
 * than `maxRewindMs` (further is refused: REWIND_TOO_FAR), blending the two recorded frames around
 * it, and tests the hit there. Pure: time is always an argument.
 */
export class LagCompensator {
  private readonly frames: Frame[] = [];
  private readonly historyMs: number;
  private readonly maxRewindMs: number;

  /**
   * `maxRewindMs` (default 1,000, as much as `historyMs`): a shot is judged at the time its client
   * rendered, which is a round trip plus the interpolation delay ago (about 270 ms at 150 ms RTT,
   * 560 ms at 300 ms RTT with loss). Lower it to limit how far into the past a lagging or lying
   * client can shoot, at the cost of refusing the shots of players with worse links.
   */
  constructor(options: { historyMs?: number; maxRewindMs?: number } = {}) {
    this.historyMs = options.historyMs ?? 1_000;
    this.maxRewindMs = options.maxRewindMs ?? this.historyMs;
    if (!(this.maxRewindMs >= 0) || !(this.historyMs >= this.maxRewindMs)) {
      throw new ShardlineError('VALUE_INVALID', 'need 0 ≤ maxRewindMs ≤ historyMs');
    }
  }

  /** Records every entity's hit volume at server time `timeMs` (call once per tick, times increasing). */
  record(timeMs: number, volumes: Iterable<[number, HitSphere]>): void {
    const last = this.frames[this.frames.length - 1];
    if (last && timeMs <= last.timeMs)
      throw new ShardlineError('VALUE_INVALID', 'record times must increase');
    this.frames.push({ timeMs, volumes: new Map([...volumes].map(([id, v]) => [id, { ...v }])) });
    while (this.frames.length > 2 && this.frames[1]!.timeMs <= timeMs - this.historyMs) this.frames.shift();
  }

  /**
   * The hit volumes as they were at `atMs` (now being `nowMs`): between two recorded frames, each
   * entity present in both is blended; one present in only the earlier frame is where it was.
   * REWIND_TOO_FAR past maxRewindMs or before the history; a time after the newest frame is the newest.
   */
  volumesAt(nowMs: number, atMs: number): Map<number, HitSphere> {
    if (nowMs - atMs > this.maxRewindMs) {
      throw new ShardlineError(
        'REWIND_TOO_FAR',
        `rewind of ${nowMs - atMs} ms exceeds ${this.maxRewindMs} ms`,
        {
          rewindMs: nowMs - atMs,
        },
      );
    }
    const frames = this.frames;
    if (frames.length === 0) return new Map();
    if (atMs < frames[0]!.timeMs) {
      throw new ShardlineError('REWIND_TOO_FAR', 'rewind before the recorded history');
    }
    const after = frames.findIndex((frame) => frame.timeMs >= atMs);
    if (after < 0) return new Map(frames[frames.length - 1]!.volumes);
    if (frames[after]!.timeMs === atMs || after === 0) return new Map(frames[after]!.volumes);
    const a = frames[after - 1]!;
    const b = frames[after]!;
    const t = (atMs - a.timeMs) / (b.timeMs - a.timeMs);
    const volumes = new Map<number, HitSphere>();
    for (const [id, from] of a.volumes) {
      const to = b.volumes.get(id);
      volumes.set(id, to ? blendSphere(from, to, t) : from);
    }
    return volumes;
  }

  /** The nearest volume a ray hits at time `atMs` (see volumesAt), skipping `ignore` (the shooter). */
  raycast(nowMs: number, atMs: number, ray: Ray, ignore?: number): Hit | undefined {
    let nearest: Hit | undefined;
    for (const [id, sphere] of this.volumesAt(nowMs, atMs)) {
      if (id === ignore) continue;
      const distance = rayHitsSphere(ray, sphere);
      if (distance !== undefined && (!nearest || distance < nearest.distance)) nearest = { id, distance };
    }
    return nearest;
  }
}

function blendSphere(a: HitSphere, b: HitSphere, t: number): HitSphere {
  const mix = (x: number, y: number) => x + (y - x) * t;
  return { x: mix(a.x, b.x), y: mix(a.y, b.y), z: mix(a.z ?? 0, b.z ?? 0), radius: mix(a.radius, b.radius) };
}

/** Distance along the ray to where it enters the sphere (0 if it starts inside), or undefined for a miss. */
export function rayHitsSphere(ray: Ray, sphere: HitSphere): number | undefined {
  const { origin, direction } = ray;
  const length = Math.hypot(direction.x, direction.y, direction.z ?? 0);
  if (!(length > 0)) return undefined;
  const dx = direction.x / length;
  const dy = direction.y / length;
  const dz = (direction.z ?? 0) / length;
  const ox = origin.x - sphere.x;
  const oy = origin.y - sphere.y;
  const oz = (origin.z ?? 0) - (sphere.z ?? 0);
  const along = -(ox * dx + oy * dy + oz * dz); // closest approach, along the ray
  const closestSquared = ox * ox + oy * oy + oz * oz - along * along;
  const radiusSquared = sphere.radius * sphere.radius;
  if (closestSquared > radiusSquared) return undefined;
  const half = Math.sqrt(radiusSquared - closestSquared);
  const enter = along - half;
  const exit = along + half;
  if (exit < 0) return undefined; // behind the origin
  const distance = Math.max(0, enter);
  return distance <= ray.maxDistance ? distance : undefined;
}
