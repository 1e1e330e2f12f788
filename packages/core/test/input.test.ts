import {
  defineEntity,
  InputSender,
  isShardlineError,
  LinkConditioner,
  ServerWorld,
  ShardlineError,
  t,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const Ship = defineEntity('Ship', {
  x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
  thrust: t.quantized({ min: 0, max: 1, precision: 1 / 256 }),
});
const Steer = defineEntity('Steer', {
  step: t.u16(),
  thrust: t.quantized({ min: 0, max: 1, precision: 1 / 256 }),
  fire: t.bool(),
});

function expectCode(run: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ShardlineError);
  expect((thrown as ShardlineError).code).toBe(code);
}

function shipWorld(maxInputsPerTick = 4) {
  const world = new ServerWorld({ schemas: [Ship], tickHz: 30, input: Steer, maxInputsPerTick }, 0);
  world.addClient('alice');
  world.addClient('bob');
  const ship = world.spawn(Ship, Ship.create(), { owner: 'alice' });
  return { world, ship };
}

describe('client authority over its input', () => {
  it('applies the owner input through 25% loss, duplication and reordering, never a stale or repeated one', () => {
    const { world, ship } = shipWorld();
    const applied: number[] = [];
    world.onInput = (client, entity, input) => {
      expect(client).toBe('alice');
      expect(entity).toBe(ship);
      applied.push(input.step as number);
      world.set(entity, { thrust: input.thrust as number });
    };
    const link = new LinkConditioner(
      {
        latencyMs: 100,
        jitterMs: 40,
        lossPercent: 25,
        duplicatePercent: 25,
        reorderPercent: 20,
        reorderDelayMs: 60,
      },
      11,
    );
    const sender = new InputSender(Steer);
    let duplicatesOrLate = 0;
    for (let now = 0, step = 0; now < 10_000; now += 1000 / 30, step++) {
      link.send(sender.encode(ship, Steer.create({ step, thrust: (step % 256) / 256 })), now);
      for (const bytes of link.receive(now)) if (!world.receiveInput('alice', bytes)) duplicatesOrLate++;
      world.update(now);
    }
    for (let i = 1; i < applied.length; i++) expect(applied[i]).toBeGreaterThan(applied[i - 1]!);
    expect(applied.length).toBeGreaterThan(150); // ~300 sent, 25% lost, some late
    expect(duplicatesOrLate).toBeGreaterThan(30);
    const last = applied.at(-1)!;
    world.update(20_000);
    expect(world.get(ship)?.thrust as number).toBeCloseTo((last % 256) / 256, 2); // within 1/256
  });

  it('rejects input for an entity the client does not own, or that is gone, and leaves the world as it was', () => {
    const { world, ship } = shipWorld();
    let applied = 0;
    world.onInput = () => applied++;
    const sender = new InputSender(Steer);
    const input = Steer.create({ thrust: 1 });
    expectCode(() => world.receiveInput('bob', sender.encode(ship, input)), 'NOT_OWNER');
    expectCode(() => world.receiveInput('alice', sender.encode(ship + 1, input)), 'NOT_OWNER');
    world.update(40);
    expect(world.get(ship)?.thrust).toBe(0);
    expect(world.receiveInput('alice', sender.encode(ship, input))).toBe(true);

    world.setOwner(ship, 'bob');
    expect(world.ownerOf(ship)).toBe('bob');
    expectCode(() => world.receiveInput('alice', sender.encode(ship, input)), 'NOT_OWNER');
    expect(world.receiveInput('bob', new InputSender(Steer).encode(ship, input))).toBe(true);
    world.removeClient('bob');
    expect(world.ownerOf(ship)).toBeUndefined();
    expectCode(() => world.receiveInput('bob', sender.encode(ship, input)), 'NOT_OWNER');

    world.setOwner(ship, 'alice');
    world.despawn(ship);
    expect(world.ownerOf(ship)).toBeUndefined();
    expectCode(() => world.receiveInput('alice', sender.encode(ship, input)), 'NOT_OWNER');
    expectCode(() => world.setOwner(ship, 'alice'), 'VALUE_INVALID');
    expect(applied).toBe(2);
  });

  it('rate-limits each client per tick and lets it send again next tick', () => {
    const { world, ship } = shipWorld(2);
    world.spawn(Ship, Ship.create(), { owner: 'bob' });
    const sender = new InputSender(Steer);
    const input = Steer.create();
    expect(world.receiveInput('alice', sender.encode(ship, input))).toBe(true);
    expect(world.receiveInput('alice', sender.encode(ship, input))).toBe(true);
    expectCode(() => world.receiveInput('alice', sender.encode(ship, input)), 'RATE_LIMITED');
    expectCode(() => world.receiveInput('bob', Uint8Array.of(0xff)), 'WIRE_TRUNCATED'); // bob's own count
    world.update(40);
    expect(world.receiveInput('alice', sender.encode(ship, input))).toBe(true);
  });

  it("accepts a rejoining owner's new sender from sequence 0, and keeps its ownership", () => {
    const { world, ship } = shipWorld(1000);
    const before = new InputSender(Steer);
    for (let i = 0; i < 500; i++) world.receiveInput('alice', before.encode(ship, Steer.create()));
    world.removeClient('alice', { keepOwnership: true }); // link dropped
    expect(world.ownerOf(ship)).toBe('alice');
    world.addClient('alice'); // back, with a fresh InputSender
    const after = new InputSender(Steer);
    expect(world.receiveInput('alice', after.encode(ship, Steer.create({ thrust: 1 })))).toBe(true);
  });

  it('keeps accepting across the 16-bit sequence wrap', () => {
    const { world, ship } = shipWorld(70_000);
    const sender = new InputSender(Steer);
    for (let i = 0; i < 70_000; i++)
      expect(world.receiveInput('alice', sender.encode(ship, Steer.create()))).toBe(true);
  });

  it('throws only ShardlineError for random or mutated input bytes, and applies only declared values', () => {
    const valid = new InputSender(Steer).encode(1, Steer.create({ step: 9, thrust: 0.5, fire: true }));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 16 }),
          fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => {
            const copy = valid.slice();
            copy[at] = byte;
            return copy;
          }),
        ),
        (bytes) => {
          const { world } = shipWorld(1000);
          world.onInput = (_client, _entity, input) => {
            expect(Steer.create(input as never)).toEqual(input);
            expect(input.thrust as number).toBeGreaterThanOrEqual(0);
            expect(input.thrust as number).toBeLessThanOrEqual(1);
          };
          try {
            world.receiveInput('alice', bytes);
          } catch (error) {
            expect(isShardlineError(error)).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
