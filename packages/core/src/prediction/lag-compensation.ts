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

/**
 * Lag compensation on the server: a short history of every entity's hit volume by server time, so
 * an action can be judged against the world as the acting client saw it. The client sends the
 * server time it was rendering (its interpolation time); the server rewinds to it, no further back
 * than `maxRewindMs` (further is refused: REWIND_TOO_FAR), blending the two recorded frames around
 * it, and tests the hit there. Pure: time is always an argument.
 *
 * The history is kept in typed rings (frames, and their volumes one after another), copied in by
 * value: recording a tick allocates nothing once the rings have grown to the history's size. A
 * second of frames held in objects would be copied by every young-generation collection it lives
 * through, then promoted, then collected again (issue 18: the arena soak's largest survivor).
 */
export class LagCompensator {
  private readonly historyMs: number;
  private readonly maxRewindMs: number;
  /** Frames in a ring: the oldest at `firstFrame`, `frameCount` of them. */
  private frameTimes = new Float64Array(64);
  /** Where each frame's volumes start in the volume ring, and how many it has. */
  private frameStarts = new Int32Array(64);
  private frameSizes = new Int32Array(64);
  private firstFrame = 0;
  private frameCount = 0;
  /** Volumes in a ring, each frame's contiguous modulo the capacity: id, centre, radius (z NaN: none given). */
  private ids = new Float64Array(1024);
  private xs = new Float64Array(1024);
  private ys = new Float64Array(1024);
  private zs = new Float64Array(1024);
  private radii = new Float64Array(1024);
  private firstVolume = 0;
  private volumeCount = 0;
  /** Scratch for large frames: where each id went in the frame being recorded (a Map has the last value). */
  private readonly slotOfId = new Map<number, number>();

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

  /**
   * Records every entity's hit volume at server time `timeMs` (call once per tick, times increasing).
   * The values are copied: the caller may reuse its tuples and spheres for the next tick. An id
   * given twice keeps its first place and its last volume.
   */
  record(timeMs: number, volumes: Iterable<readonly [number, HitSphere]>): void {
    if (this.frameCount > 0 && timeMs <= this.frameTimes[this.frameSlot(this.frameCount - 1)]!)
      throw new ShardlineError('VALUE_INVALID', 'record times must increase');
    // Old frames leave first (the newest two always stay), making room for the new one.
    while (this.frameCount >= 2 && this.frameTimes[this.frameSlot(1)]! <= timeMs - this.historyMs) {
      const oldest = this.firstFrame;
      this.firstVolume = (this.firstVolume + this.frameSizes[oldest]!) % this.ids.length;
      this.volumeCount -= this.frameSizes[oldest]!;
      this.firstFrame = (oldest + 1) % this.frameTimes.length;
      this.frameCount--;
    }
    if (this.frameCount === this.frameTimes.length) this.growFrames();
    let size = 0;
    const slotOfId = this.slotOfId;
    for (const [id, sphere] of volumes) {
      let at = -1;
      if (size > 32) at = slotOfId.get(id) ?? -1;
      else {
        for (let k = 0; k < size; k++) {
          if (this.ids[this.newVolumeSlot(k)] === id) {
            at = k;
            break;
          }
        }
      }
      if (at < 0) {
        if (this.volumeCount + size === this.ids.length) this.growVolumes();
        at = size++;
        if (size > 32) {
          // Past a handful, an id given twice is looked up, not searched for.
          if (size === 33) for (let k = 0; k < 32; k++) slotOfId.set(this.ids[this.newVolumeSlot(k)]!, k);
          slotOfId.set(id, at);
        }
      }
      const slot = this.newVolumeSlot(at);
      this.ids[slot] = id;
      this.xs[slot] = sphere.x;
      this.ys[slot] = sphere.y;
      this.zs[slot] = sphere.z ?? Number.NaN;
      this.radii[slot] = sphere.radius;
    }
    if (size > 32) slotOfId.clear();
    const frame = this.frameSlot(this.frameCount);
    this.frameTimes[frame] = timeMs;
    this.frameStarts[frame] = this.newVolumeSlot(0);
    this.frameSizes[frame] = size;
    this.frameCount++;
    this.volumeCount += size;
  }

  /**
   * The hit volumes as they were at `atMs` (now being `nowMs`): between two recorded frames, each
   * entity present in both is blended; one present in only the earlier frame is where it was.
   * REWIND_TOO_FAR past maxRewindMs or before the history; a time after the newest frame is the newest.
   * The spheres are new objects (z only where it was recorded, or blended).
   */
  volumesAt(nowMs: number, atMs: number): Map<number, HitSphere> {
    const volumes = new Map<number, HitSphere>();
    this.visitAt(nowMs, atMs, (id, x, y, z, radius) => {
      volumes.set(id, Number.isNaN(z) ? { x, y, radius } : { x, y, z, radius });
    });
    return volumes;
  }

  /** The nearest volume a ray hits at time `atMs` (see volumesAt), skipping `ignore` (the shooter). */
  raycast(nowMs: number, atMs: number, ray: Ray, ignore?: number): Hit | undefined {
    let nearest: Hit | undefined;
    const sphere = { x: 0, y: 0, z: 0, radius: 0 };
    this.visitAt(nowMs, atMs, (id, x, y, z, radius) => {
      if (id === ignore) return;
      sphere.x = x;
      sphere.y = y;
      sphere.z = Number.isNaN(z) ? 0 : z;
      sphere.radius = radius;
      const distance = rayHitsSphere(ray, sphere);
      if (distance !== undefined && (!nearest || distance < nearest.distance)) nearest = { id, distance };
    });
    return nearest;
  }

  /** Each volume at `atMs` once, in the recorded order (z NaN when not recorded and not blended). */
  private visitAt(
    nowMs: number,
    atMs: number,
    visit: (id: number, x: number, y: number, z: number, radius: number) => void,
  ): void {
    if (nowMs - atMs > this.maxRewindMs) {
      throw new ShardlineError(
        'REWIND_TOO_FAR',
        `rewind of ${nowMs - atMs} ms exceeds ${this.maxRewindMs} ms`,
        {
          rewindMs: nowMs - atMs,
        },
      );
    }
    if (this.frameCount === 0) return;
    if (atMs < this.frameTimes[this.firstFrame]!) {
      throw new ShardlineError('REWIND_TOO_FAR', 'rewind before the recorded history');
    }
    let after = 0;
    while (after < this.frameCount && this.frameTimes[this.frameSlot(after)]! < atMs) after++;
    if (after === this.frameCount || after === 0 || this.frameTimes[this.frameSlot(after)] === atMs) {
      const frame = this.frameSlot(after === this.frameCount ? after - 1 : after);
      this.visitFrame(frame, visit);
      return;
    }
    const a = this.frameSlot(after - 1);
    const b = this.frameSlot(after);
    const t = (atMs - this.frameTimes[a]!) / (this.frameTimes[b]! - this.frameTimes[a]!);
    const mix = (from: number, to: number) => from + (to - from) * t;
    const aStart = this.frameStarts[a]!;
    const bStart = this.frameStarts[b]!;
    const bSize = this.frameSizes[b]!;
    let bySlot: Map<number, number> | undefined; // built only when the frames' orders differ
    for (let k = 0; k < this.frameSizes[a]!; k++) {
      const from = this.volumeSlot(aStart, k);
      const id = this.ids[from]!;
      let to = -1;
      if (k < bSize && this.ids[this.volumeSlot(bStart, k)] === id) to = this.volumeSlot(bStart, k);
      else {
        if (!bySlot) {
          bySlot = new Map();
          for (let j = 0; j < bSize; j++)
            bySlot.set(this.ids[this.volumeSlot(bStart, j)]!, this.volumeSlot(bStart, j));
        }
        to = bySlot.get(id) ?? -1;
      }
      if (to < 0) visit(id, this.xs[from]!, this.ys[from]!, this.zs[from]!, this.radii[from]!);
      else {
        const fromZ = this.zs[from]!;
        const toZ = this.zs[to]!;
        visit(
          id,
          mix(this.xs[from]!, this.xs[to]!),
          mix(this.ys[from]!, this.ys[to]!),
          mix(Number.isNaN(fromZ) ? 0 : fromZ, Number.isNaN(toZ) ? 0 : toZ),
          mix(this.radii[from]!, this.radii[to]!),
        );
      }
    }
  }

  private visitFrame(
    frame: number,
    visit: (id: number, x: number, y: number, z: number, radius: number) => void,
  ): void {
    const start = this.frameStarts[frame]!;
    for (let k = 0; k < this.frameSizes[frame]!; k++) {
      const slot = this.volumeSlot(start, k);
      visit(this.ids[slot]!, this.xs[slot]!, this.ys[slot]!, this.zs[slot]!, this.radii[slot]!);
    }
  }

  /** The ring slot of the `n`th frame from the oldest. */
  private frameSlot(n: number): number {
    return (this.firstFrame + n) % this.frameTimes.length;
  }

  /** The ring slot of the `k`th volume of the frame being recorded (it follows the kept frames). */
  private newVolumeSlot(k: number): number {
    return (this.firstVolume + this.volumeCount + k) % this.ids.length;
  }

  private volumeSlot(start: number, k: number): number {
    return (start + k) % this.ids.length;
  }

  /** Twice the frames, oldest first from slot 0. */
  private growFrames(): void {
    const capacity = this.frameTimes.length;
    const times = new Float64Array(capacity * 2);
    const starts = new Int32Array(capacity * 2);
    const sizes = new Int32Array(capacity * 2);
    for (let n = 0; n < this.frameCount; n++) {
      const from = this.frameSlot(n);
      times[n] = this.frameTimes[from]!;
      starts[n] = this.frameStarts[from]!;
      sizes[n] = this.frameSizes[from]!;
    }
    this.frameTimes = times;
    this.frameStarts = starts;
    this.frameSizes = sizes;
    this.firstFrame = 0;
  }

  /**
   * Twice the volumes, the oldest (and then the frame being recorded, which follows the kept ones)
   * moved to slot 0; frame starts move with them.
   */
  private growVolumes(): void {
    const capacity = this.ids.length;
    const moved = (from: Float64Array) => {
      const to = new Float64Array(capacity * 2);
      // Everything in the ring: the kept frames and the part of the new frame written so far.
      for (let k = 0; k < capacity; k++) to[k] = from[(this.firstVolume + k) % capacity]!;
      return to;
    };
    this.ids = moved(this.ids);
    this.xs = moved(this.xs);
    this.ys = moved(this.ys);
    this.zs = moved(this.zs);
    this.radii = moved(this.radii);
    for (let n = 0; n < this.frameCount; n++) {
      const frame = this.frameSlot(n);
      this.frameStarts[frame] = (this.frameStarts[frame]! - this.firstVolume + capacity) % capacity;
    }
    this.firstVolume = 0;
  }
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
