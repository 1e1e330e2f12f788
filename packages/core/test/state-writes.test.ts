import { describe, expect, it } from 'vitest';
import { defineEntity, ServerWorld, t } from '../src/index.js';

const Ship = defineEntity('Ship', {
  x: t.quantized({ min: -16, max: 16, precision: 0.01 }),
  y: t.quantized({ min: -16, max: 16, precision: 0.01, outOfRange: 'clamp' }),
  hp: t.int({ min: 0, max: 100 }),
  mode: t.enum(['idle', 'flying']),
  name: t.string({ maxBytes: 8 }),
  gun: t.struct({ heat: t.quantized({ min: 0, max: 1, bits: 8 }) }),
});

function world() {
  return new ServerWorld({ schemas: [Ship], tickHz: 10 }, 0);
}

describe('state writes are checked at the call', () => {
  it('refuse a misspelled field, naming it, and leave the entity as it was', () => {
    const w = world();
    const id = w.spawn(Ship, { hp: 50, name: 'wolf' });
    // @ts-expect-error hq is not a field of Ship: typed ids catch it at compile time
    expect(() => w.set(id, { hq: 10 })).toThrow(/VALUE_INVALID.*no field "hq"/);
    const untyped: number = id; // untyped callers get the same answer at run time
    expect(() => w.set(untyped, { hq: 10 } as never)).toThrow(/no field "hq"/);
    w.update(100);
    expect(w.get(id)).toMatchObject({ hp: 50, name: 'wolf' });
    expect(w.metrics().valuesRefused).toBe(2);
  });

  it('refuse values the field cannot carry at the call, not when the tick is encoded', () => {
    const w = world();
    const id = w.spawn(Ship, {});
    // @ts-expect-error 'landed' is not one of the enum's values
    expect(() => w.set(id, { mode: 'landed' })).toThrow(/VALUE_INVALID.*mode/);
    expect(() => w.set(id, { name: 'a name too long' })).toThrow(/VALUE_INVALID.*name/);
    expect(() => w.set(id, { hp: 101 })).toThrow(/^VALUE_INVALID: hp: 101 is not an integer in \[0, 100\]$/);
    expect(() => w.set(id, { x: Number.NaN })).toThrow(/VALUE_INVALID.*x must be a number/);
    expect(() => w.set(id, { gun: { heat: 2 } })).toThrow(/gun\.heat = 2 is outside/);
    expect(() => w.update(100)).not.toThrow();
    expect(w.get(id)).toMatchObject({ mode: 'idle', name: '', hp: 0 });
  });

  it('refuse a quantized value past its range unless the field clamps, and count the clamps', () => {
    const w = world();
    const id = w.spawn(Ship, {});
    expect(() => w.set(id, { x: 1e6 })).toThrow(/x = 1000000 is outside its range \[-16, 16\]/);
    w.set(id, { x: 16.005 }); // within a step: a rounding hair, clamped quietly
    w.set(id, { y: 1e6 }); // declared outOfRange: 'clamp'
    w.update(100);
    expect(w.get(id)).toMatchObject({ x: 16, y: 16 });
    expect(w.metrics()).toMatchObject({ valuesRefused: 1, valuesClamped: 1 });
  });

  it('check quantized values inside optionals, arrays and vectors as at the top', () => {
    const Drone = defineEntity('Drone', {
      target: t.optional(t.quantized({ min: 0, max: 10, precision: 0.1 })),
      path: t.array(t.quantized({ min: 0, max: 10, precision: 0.1, outOfRange: 'clamp' }), { maxLength: 3 }),
      at: t.vec2({ min: -1, max: 1, precision: 0.01 }),
    });
    const w = new ServerWorld({ schemas: [Drone], tickHz: 10 }, 0);
    const id = w.spawn(Drone, {});
    expect(() => w.set(id, { target: 50 })).toThrow(
      /^VALUE_INVALID: target = 50 is outside its range \[0, 10\]$/,
    );
    w.set(id, { target: null });
    expect(() => w.set(id, { path: [1, 2, 3, 4] })).toThrow(/path: has 4 elements, declared at most 3/);
    expect(() => w.set(id, { path: [1, Number.NaN] })).toThrow(/path\[1\] must be a number/);
    w.set(id, { path: [1, 50, -5] }); // the elements declare clamp: two clamped
    // @ts-expect-error z is not an axis of a vec2
    expect(() => w.set(id, { at: { x: 0, y: 0, z: 1 } })).toThrow(/at must be a vector \{ x, y \}/);
    expect(() => w.set(id, { at: { x: 2, y: 0 } })).toThrow(/at\.x = 2 is outside/);
    expect(() => w.update(100)).not.toThrow();
    expect(w.get(id)).toMatchObject({ target: null, at: { x: 0, y: 0 } });
    expect(w.metrics()).toMatchObject({ valuesRefused: 5, valuesClamped: 2 });
  });

  it('spawn fields left out with their defaults, and refuse a bad spawn without using an id', () => {
    const w = world();
    // @ts-expect-error speed is not a field of Ship
    expect(() => w.spawn(Ship, { speed: 3 })).toThrow(/no field "speed"/);
    const id = w.spawn(Ship, { name: 'ok' });
    expect(id).toBe(1);
    w.update(100);
    expect(w.get(id)).toEqual({ x: 0, y: 0, hp: 0, mode: 'idle', name: 'ok', gun: { heat: 0 } });
  });
});
