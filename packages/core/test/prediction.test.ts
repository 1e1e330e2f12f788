import {
  defineEntity,
  InputQueue,
  InputStream,
  InterpolationBuffer,
  InterpolationDelay,
  LagCompensator,
  Predictor,
  rayHitsSphere,
  t,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCode } from './support/expect-code.js';

interface Body {
  x: number;
  y: number;
}
interface Move {
  dx: number;
  dy: number;
}
const SPEED = 0.01; // units per ms per unit of input
/** A deterministic step with a wall at x = 50 the client may not know about (see `wallAt`). */
const stepWith =
  (wallAt = Number.POSITIVE_INFINITY) =>
  (state: Body, input: Move, dtMs: number): Body => ({
    x: Math.min(wallAt, state.x + input.dx * SPEED * dtMs),
    y: state.y + input.dy * SPEED * dtMs,
  });
const distance = (a: Body, b: Body) => Math.hypot(a.x - b.x, a.y - b.y);
const offset = (state: Body, from: Body, to: Body, weight: number): Body => ({
  x: state.x + (from.x - to.x) * weight,
  y: state.y + (from.y - to.y) * weight,
});
const move = fc.record({ dx: fc.integer({ min: -1, max: 1 }), dy: fc.integer({ min: -1, max: 1 }) });

describe('client prediction and reconciliation', () => {
  it('replays unacknowledged inputs onto the server state and lands exactly where the server will', () => {
    fc.assert(
      fc.property(
        fc.array(move, { minLength: 1, maxLength: 80 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (inputs, acks) => {
          const step = stepWith();
          const predictor = new Predictor({ step, initial: { x: 0, y: 0 }, distance, offset });
          for (const [i, input] of inputs.entries()) predictor.apply((i + 65_530) & 0xffff, input, 16); // wraps
          const serverStates = [{ x: 0, y: 0 }];
          for (const input of inputs) serverStates.push(step(serverStates.at(-1)!, input, 16));
          for (const ack of [...acks.map((a) => a % inputs.length)].sort((a, b) => a - b)) {
            const correction = predictor.reconcile(serverStates[ack + 1]!, (ack + 65_530) & 0xffff, 0);
            expect(correction).toBe(0);
            expect(predictor.state).toEqual(serverStates.at(-1));
            expect(predictor.pendingCount).toBe(inputs.length - ack - 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('after a misprediction converges to the server, easing small corrections and snapping big ones', () => {
    const server = stepWith(50);
    const predictor = new Predictor({
      step: stepWith(),
      initial: { x: 40, y: 0 },
      distance,
      offset,
      snapDistance: 5,
      smoothingMs: 100,
    });
    let truth = { x: 40, y: 0 };
    for (let i = 0; i < 10; i++) {
      predictor.apply(i, { dx: 1, dy: 0 }, 100); // the client walks through the wall it does not know
      truth = server(truth, { dx: 1, dy: 0 }, 100);
    }
    expect(predictor.state.x).toBeCloseTo(50, 9); // 10 × 1 unit: no difference yet at the wall
    predictor.apply(10, { dx: 1, dy: 0 }, 100);
    predictor.apply(11, { dx: 1, dy: 0 }, 100);
    truth = server(truth, { dx: 1, dy: 0 }, 100);
    const small = predictor.reconcile(truth, 10, 1_000); // the server stopped at x = 50
    expect(small).toBeCloseTo(1, 9); // predicted 52, now 51 (input 11 replayed, through the wall)
    expect(predictor.displayed(1_000).x).toBeCloseTo(52, 9); // eases from what was shown
    expect(predictor.displayed(1_050).x).toBeCloseTo(51.5, 9);
    expect(predictor.displayed(1_100).x).toBeCloseTo(51, 9);
    const big = predictor.reconcile({ x: 0, y: 30 }, 11, 1_200); // a teleport
    expect(big).toBeGreaterThan(5);
    expect(predictor.displayed(1_200)).toEqual({ x: 0, y: 30 });
    expectCode('VALUE_INVALID', () => predictor.apply(11, { dx: 0, dy: 0 }, 16)); // not newer
  });
});

describe('snapshot interpolation', () => {
  const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

  it('blends between states, extrapolates a bounded time past the newest, then holds', () => {
    const buffer = new InterpolationBuffer({ blend: lerp, maxExtrapolationMs: 50 });
    expect(buffer.sample(0)).toEqual({ state: undefined, mode: 'empty' });
    buffer.push(100, 10);
    buffer.push(200, 20);
    buffer.push(150, 15); // late, slotted in order
    expect(buffer.sample(50)).toEqual({ state: 10, mode: 'held' });
    expect(buffer.sample(125).state).toBeCloseTo(12.5, 9);
    expect(buffer.sample(230)).toEqual({ state: 23, mode: 'extrapolated' });
    expect(buffer.sample(400)).toEqual({ state: 25, mode: 'held' });
    expect(buffer.frames).toEqual({ interpolated: 1, extrapolated: 1, held: 2, empty: 1 });
  });

  it('never renders past the newest state plus the extrapolation bound', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.integer({ min: -1_000, max: 12_000 }), { maxLength: 30 }),
        (times, bound, renders) => {
          // Position = time / 10 (steady motion): the bound in time is a bound in position.
          const buffer = new InterpolationBuffer({ blend: lerp, maxExtrapolationMs: bound });
          for (const time of times) buffer.push(time, time / 10);
          const newest = Math.max(...times);
          for (const render of renders) {
            const { state, mode } = buffer.sample(render);
            expect(state!).toBeLessThanOrEqual((newest + bound) / 10 + 1e-9);
            if (render <= newest && render >= Math.min(...times)) expect(state!).toBeCloseTo(render / 10, 6);
            if (render > newest + bound && times.length > 1) expect(mode).toBe('held');
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('renders further behind when snapshots arrive unevenly, and comes back slowly', () => {
    const delay = new InterpolationDelay({ sendIntervalMs: 50 });
    for (let i = 0; i < 40; i++) delay.observe(i * 50, i * 50 + 30); // steady: 30 ms late every time
    expect(delay.update(16)).toBeCloseTo(50, 6);
    for (let i = 40; i < 80; i++) delay.observe(i * 50, i * 50 + 30 + (i % 2 === 0 ? 40 : 0)); // ±20 ms
    const jittery = delay.update(16);
    expect(jittery).toBeGreaterThan(85);
    for (let i = 80; i < 120; i++) delay.observe(i * 50, i * 50 + 30);
    expect(delay.update(1_000)).toBeCloseTo(jittery - 10, 6); // 10 ms per second down
    expect(delay.update(60_000)).toBeCloseTo(50, 6);
    // A snapshot lost (no 6,050): the delay bridges one more interval.
    for (let i = 120; i < 125; i++) if (i !== 121) delay.observe(i * 50, i * 50 + 30);
    expect(delay.update(16)).toBeCloseTo(100, 6);
    for (let i = 125; i < 170; i++) delay.observe(i * 50, i * 50 + 30);
    expect(delay.update(60_000)).toBeCloseTo(50, 6);
    // Rendering at local time 10,000 ms: behind the mean arrival (30 ms late) by the delay.
    expect(delay.renderTimeMs(10_000)).toBeCloseTo(10_000 - 30 - 50, 6);
    expect(new InterpolationDelay({ sendIntervalMs: 50 }).renderTimeMs(0)).toBeUndefined();
  });
});

describe('lag compensation', () => {
  it('judges a shot against where the target was on the shooter’s screen, within the rewind cap', () => {
    const history = new LagCompensator({ historyMs: 1_000, maxRewindMs: 250 });
    // Target 2 walks along x at 10 units per 100 ms; the shooter (1) stands at the origin.
    for (let time = 0; time <= 1_000; time += 50) {
      history.record(time, [
        [1, { x: 0, y: 0, radius: 1 }],
        [2, { x: time / 10, y: 20, radius: 1 }],
      ]);
    }
    const aimAt = (x: number) => ({ origin: { x: 0, y: 0 }, direction: { x, y: 20 }, maxDistance: 100 });
    // At 1,000 ms the target is at x = 100; the shooter saw it at 825 ms (x = 82.5) and aimed there.
    expect(history.raycast(1_000, 825, aimAt(82.5), 1)).toMatchObject({ id: 2 });
    expect(history.raycast(1_000, 1_000, aimAt(82.5), 1)).toBeUndefined(); // where it is now: a miss
    expect(history.raycast(1_000, 825, aimAt(90), 1)).toBeUndefined(); // a clear miss stays a miss
    expectCode('REWIND_TOO_FAR', () => history.raycast(1_000, 700, aimAt(70), 1));
    expect(history.volumesAt(1_000, 775).get(2)!.x).toBeCloseTo(77.5, 9); // between two ticks
  });

  it('finds where a ray enters a sphere, from outside and inside, and misses behind or beyond reach', () => {
    const sphere = { x: 10, y: 0, radius: 2 };
    expect(
      rayHitsSphere({ origin: { x: 0, y: 0 }, direction: { x: 1, y: 0 }, maxDistance: 100 }, sphere),
    ).toBeCloseTo(8, 9);
    expect(
      rayHitsSphere({ origin: { x: 10, y: 0 }, direction: { x: 1, y: 0 }, maxDistance: 1 }, sphere),
    ).toBe(0);
    expect(
      rayHitsSphere({ origin: { x: 20, y: 0 }, direction: { x: 1, y: 0 }, maxDistance: 100 }, sphere),
    ).toBeUndefined();
    expect(
      rayHitsSphere({ origin: { x: 0, y: 0 }, direction: { x: 1, y: 0 }, maxDistance: 5 }, sphere),
    ).toBeUndefined();
    expect(
      rayHitsSphere({ origin: { x: 0, y: 3 }, direction: { x: 1, y: 0 }, maxDistance: 100 }, sphere),
    ).toBeUndefined();
  });
});

describe('input stream', () => {
  const Stick = defineEntity('Stick', { dx: t.int({ min: -1, max: 1 }), fire: t.bool() });

  it('delivers every input once, in order, through loss, duplication and reordering', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dx: fc.integer({ min: -1, max: 1 }), fire: fc.boolean() }), {
          minLength: 1,
          maxLength: 120,
        }),
        fc.array(fc.nat({ max: 99 }), { minLength: 120, maxLength: 120 }),
        (inputs, dice) => {
          const stream = new InputStream(Stick, 4);
          const queue = new InputQueue(Stick, 2);
          const inFlight: Uint8Array[] = [];
          const applied: { sequence: number; input: unknown }[] = [];
          inputs.forEach((input, i) => {
            stream.push(input);
            const message = stream.message()!;
            const roll = dice[i]!;
            if (roll >= 20) inFlight.push(message); // 20% lost
            if (roll >= 90) inFlight.push(message); // duplicated
            if (roll % 7 === 0) inFlight.reverse(); // reordered
            if (roll % 3 === 0) for (const bytes of inFlight.splice(0)) queue.receive(bytes);
            const next = queue.next();
            if (next) applied.push(next);
            if (queue.lastApplied !== undefined) stream.acknowledge(queue.lastApplied);
          });
          for (const bytes of inFlight.splice(0)) queue.receive(bytes);
          for (let next = queue.next(); next; next = queue.next()) applied.push(next);
          // In order, never twice; an input is skipped only if every message carrying it was lost.
          const sequences = applied.map((a) => a.sequence);
          expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
          expect(new Set(sequences).size).toBe(sequences.length);
          for (const { sequence, input } of applied) expect(input).toEqual(inputs[sequence]);
          // With nothing lost or reordered, everything is applied (once the jitter buffer of 2 filled).
          const lossless = dice.slice(0, inputs.length).every((roll) => roll >= 20 && roll % 7 !== 0);
          if (lossless && inputs.length >= 2) expect(sequences).toEqual(inputs.map((_, i) => i));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds a jitter buffer before the first input, and skips an input lost in every message', () => {
    const stream = new InputStream(Stick, 1); // no redundancy: a lost message loses its input
    const queue = new InputQueue(Stick, 2);
    stream.push({ dx: 1, fire: false });
    queue.receive(stream.message()!);
    expect(queue.next()).toBeUndefined(); // one buffered, depth 2
    stream.push({ dx: 0, fire: true });
    stream.message(); // lost
    stream.push({ dx: -1, fire: false });
    queue.receive(stream.message()!);
    expect(queue.next()).toEqual({ sequence: 0, input: { dx: 1, fire: false } });
    expect(queue.next()).toEqual({ sequence: 2, input: { dx: -1, fire: false } }); // 1 skipped
    expect(queue.next()).toBeUndefined();
    expect(queue.lastApplied).toBe(2);
  });
});
