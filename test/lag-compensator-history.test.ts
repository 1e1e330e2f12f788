/**
 * LagCompensator keeps its history in typed rings (issue 18: a second of frames in objects was the
 * arena soak's largest survivor of young collections). Its contract is the one it had with a list
 * of frames of Maps: this file checks it against that implementation, kept here as the model, over
 * random histories (entities coming and going, ids given twice, z given or not, frames dropped as
 * they age, rings growing). It lives here while packages/core/test is being mutation-tested.
 */
import { type HitSphere, LagCompensator, type Ray, rayHitsSphere } from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** The list-of-Maps history LagCompensator had before its rings (its record, volumesAt, raycast). */
class ModelHistory {
  private readonly frames: { timeMs: number; volumes: Map<number, HitSphere> }[] = [];
  constructor(
    private readonly historyMs: number,
    private readonly maxRewindMs: number,
  ) {}

  record(timeMs: number, volumes: Iterable<[number, HitSphere]>): void {
    const last = this.frames[this.frames.length - 1];
    if (last && timeMs <= last.timeMs) throw new Error('VALUE_INVALID');
    this.frames.push({ timeMs, volumes: new Map([...volumes].map(([id, v]) => [id, { ...v }])) });
    while (this.frames.length > 2 && this.frames[1]!.timeMs <= timeMs - this.historyMs) this.frames.shift();
  }

  volumesAt(nowMs: number, atMs: number): Map<number, HitSphere> {
    if (nowMs - atMs > this.maxRewindMs) throw new Error('REWIND_TOO_FAR');
    const frames = this.frames;
    if (frames.length === 0) return new Map();
    if (atMs < frames[0]!.timeMs) throw new Error('REWIND_TOO_FAR');
    const after = frames.findIndex((frame) => frame.timeMs >= atMs);
    if (after < 0) return new Map(frames[frames.length - 1]!.volumes);
    if (frames[after]!.timeMs === atMs || after === 0) return new Map(frames[after]!.volumes);
    const a = frames[after - 1]!;
    const b = frames[after]!;
    const t = (atMs - a.timeMs) / (b.timeMs - a.timeMs);
    const mix = (x: number, y: number) => x + (y - x) * t;
    const volumes = new Map<number, HitSphere>();
    for (const [id, from] of a.volumes) {
      const to = b.volumes.get(id);
      volumes.set(
        id,
        to
          ? {
              x: mix(from.x, to.x),
              y: mix(from.y, to.y),
              z: mix(from.z ?? 0, to.z ?? 0),
              radius: mix(from.radius, to.radius),
            }
          : from,
      );
    }
    return volumes;
  }

  raycast(nowMs: number, atMs: number, ray: Ray, ignore?: number) {
    let nearest: { id: number; distance: number } | undefined;
    for (const [id, sphere] of this.volumesAt(nowMs, atMs)) {
      if (id === ignore) continue;
      const distance = rayHitsSphere(ray, sphere);
      if (distance !== undefined && (!nearest || distance < nearest.distance)) nearest = { id, distance };
    }
    return nearest;
  }
}

/** What a call gave: its value, or the code it threw. */
function outcome<T>(run: () => T): T | string {
  try {
    return run();
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).message;
    return `threw ${code}`;
  }
}

const sphere = fc.record(
  {
    x: fc.integer({ min: -50, max: 50 }),
    y: fc.integer({ min: -50, max: 50 }),
    z: fc.integer({ min: -5, max: 5 }),
    radius: fc.integer({ min: 1, max: 4 }),
  },
  { requiredKeys: ['x', 'y', 'radius'] },
);
/** A frame: up to 48 volumes of ids 1–60 (ids given twice now and then; past 32 the lookup changes). */
const frame = fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), sphere), { maxLength: 48 });

describe('LagCompensator history', () => {
  it('records, rewinds, blends and raycasts as the list of frames did', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), frame), { minLength: 1, maxLength: 90 }),
        fc.array(fc.tuple(fc.integer({ min: -300, max: 40 }), fc.integer({ min: -20, max: 20 })), {
          minLength: 1,
          maxLength: 12,
        }),
        (historyMs, frames, queries) => {
          const maxRewindMs = Math.floor(historyMs * 0.8);
          const history = new LagCompensator({ historyMs, maxRewindMs });
          const model = new ModelHistory(historyMs, maxRewindMs);
          let timeMs = 0;
          for (const [step, volumes] of frames) {
            timeMs += step;
            // The caller's tuples are reused (the arena's do): the history must have copied them.
            history.record(timeMs, volumes);
            model.record(timeMs, volumes);
            for (const [, volume] of volumes) volume.x += 1000;
            for (const [backMs, aim] of queries) {
              const atMs = timeMs + backMs;
              expect(outcome(() => history.volumesAt(timeMs, atMs))).toEqual(
                outcome(() => model.volumesAt(timeMs, atMs)),
              );
              const ray = { origin: { x: aim, y: -60 }, direction: { x: 0, y: 1 }, maxDistance: 200 };
              expect(outcome(() => history.raycast(timeMs, atMs, ray, 3))).toEqual(
                outcome(() => model.raycast(timeMs, atMs, ray, 3)),
              );
            }
            for (const [, volume] of volumes) volume.x -= 1000;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps order and volumes across ring growth, and a frame of a thousand', () => {
    const history = new LagCompensator({ historyMs: 10_000 });
    const model = new ModelHistory(10_000, 10_000);
    for (let tick = 1; tick <= 300; tick++) {
      const volumes: [number, HitSphere][] = [];
      const count = tick === 150 ? 1000 : 10 + (tick % 7);
      for (let i = 0; i < count; i++) volumes.push([(i * 7919 + tick) % 2003, { x: i, y: tick, radius: 1 }]);
      history.record(tick * 10, volumes);
      model.record(tick * 10, volumes);
    }
    for (const atMs of [10, 1495, 1500, 1505, 2995, 3000, 5000]) {
      expect(history.volumesAt(3000, atMs)).toEqual(model.volumesAt(3000, atMs));
    }
  });

  it('refuses times that do not increase', () => {
    const history = new LagCompensator();
    history.record(10, [[1, { x: 0, y: 0, radius: 1 }]]);
    expect(outcome(() => history.record(10, []))).toBe('threw VALUE_INVALID');
    expect(outcome(() => history.record(5, []))).toBe('threw VALUE_INVALID');
  });
});
