import {
  BitReader,
  BitWriter,
  defineEntity,
  EMPTY_SNAPSHOT,
  type EntitySnapshot,
  type Infer,
  ShardlineError,
  SnapshotCodec,
  snapshotFromEntries,
  t,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbitraryFor, sameOnWire } from './support/arbitraries.js';
import { Everything } from './support/everything.js';
import { expectCode } from './support/expect-code.js';

const Unit = defineEntity('Unit', {
  x: t.quantized({ min: -4096, max: 4096, bits: 19 }),
  y: t.quantized({ min: -4096, max: 4096, bits: 19 }),
  angle: t.angle(),
  hp: t.u8(),
});
type UnitState = Infer<typeof Unit>;
const unitCodec = new SnapshotCodec(Unit);

function encodeSnapshot<T>(
  codec: { encode(w: BitWriter, c: EntitySnapshot<T>, b?: EntitySnapshot<T>): void },
  current: EntitySnapshot<T>,
  baseline?: EntitySnapshot<T>,
): Uint8Array {
  const writer = new BitWriter();
  codec.encode(writer, current, baseline);
  return writer.toBytes();
}

/** A random world: up to `maxEntities` distinct ids below 200 with random states. */
function snapshotArbitrary<T>(values: fc.Arbitrary<T>, maxEntities: number): fc.Arbitrary<EntitySnapshot<T>> {
  return fc
    .uniqueArray(fc.tuple(fc.nat({ max: 199 }), values), { maxLength: maxEntities, selector: ([id]) => id })
    .map((entries) => snapshotFromEntries(entries));
}

/** The next world from `previous`: some entities despawn, some move, some spawn. */
function evolve<T>(values: fc.Arbitrary<T>, previous: EntitySnapshot<T>): fc.Arbitrary<EntitySnapshot<T>> {
  return fc
    .tuple(
      fc.array(fc.boolean(), { minLength: previous.ids.length, maxLength: previous.ids.length }),
      fc.array(fc.option(values), { minLength: previous.ids.length, maxLength: previous.ids.length }),
      snapshotArbitrary(values, 6),
    )
    .map(([keep, replace, fresh]) => {
      const entries = new Map<number, T>();
      previous.ids.forEach((id, i) => {
        if (keep[i]) entries.set(id, replace[i] ?? previous.values[i]!);
      });
      fresh.ids.forEach((id, i) => {
        if (!entries.has(id)) entries.set(id, fresh.values[i]!);
      });
      return snapshotFromEntries(entries);
    });
}

function expectSameSnapshot<T>(
  schema: typeof Everything | typeof Unit,
  actual: EntitySnapshot<T>,
  expected: EntitySnapshot<T>,
) {
  expect(actual.ids).toEqual(expected.ids);
  actual.values.forEach((value, i) => {
    expect(sameOnWire(schema, value, expected.values[i])).toBe(true);
  });
}

describe('snapshot codec', () => {
  it('round-trips a chain of worlds, each encoded against an earlier one', () => {
    const values = arbitraryFor(Everything) as fc.Arbitrary<Infer<typeof Everything>>;
    const codec = new SnapshotCodec(Everything);
    const chain = snapshotArbitrary(values, 8).chain((first) =>
      evolve(values, first).chain((second) => evolve(values, second).map((third) => [first, second, third])),
    );
    fc.assert(
      fc.property(chain, ([first, second, third]) => {
        // The receiver's baselines are what it decoded, never the sender's exact floats.
        const received1 = codec.decode(new BitReader(encodeSnapshot(codec, first!))).snapshot;
        expectSameSnapshot(Everything, received1, first!);
        for (const [baseline, sent] of [
          [received1, second],
          [received1, third],
        ] as const) {
          const reader = new BitReader(encodeSnapshot(codec, sent!, baseline));
          const decoded = codec.decode(reader, baseline);
          reader.expectEnd();
          expectSameSnapshot(Everything, decoded.snapshot, sent!);
          const baseIds = new Set(baseline.ids);
          const sentIds = new Set(sent!.ids);
          expect(decoded.despawned).toEqual(baseline.ids.filter((id) => !sentIds.has(id)));
          expect(decoded.spawned.map((s) => s.id)).toEqual(sent!.ids.filter((id) => !baseIds.has(id)));
          for (const { id, changedMask } of decoded.updated) {
            const before = baseline.values[baseline.ids.indexOf(id)]!;
            const after = sent!.values[sent!.ids.indexOf(id)]!;
            expect(changedMask).toBe(Everything.changedMask(after, before));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('sends nothing but three empty counts when nothing changed', () => {
    const world = snapshotFromEntries([
      [1, Unit.create({ x: 1 })],
      [7, Unit.create({ x: 2 })],
    ]);
    const copy = snapshotFromEntries(world.ids.map((id, i) => [id, { ...world.values[i]! }]));
    expect(encodeSnapshot(unitCodec, copy, world).length).toBe(3);
  });

  it('gap-codes ids: ten neighbouring updates cost a few bits of id each', () => {
    const entries: [number, UnitState][] = Array.from({ length: 100 }, (_, i) => [1000 + i, Unit.create()]);
    const before = snapshotFromEntries(entries);
    const after = snapshotFromEntries(
      entries.map(([id, value], i): [number, UnitState] => [id, i % 10 === 0 ? { ...value, hp: 9 } : value]),
    );
    const bytes = encodeSnapshot(unitCodec, after, before);
    // counts 3×8 bits; first id gap 1000 (15 bits); then 9 gaps of 9 (5 bits); per entity mask 4 + hp 8
    expect(bytes.length).toBe(Math.ceil((24 + 15 + 9 * 5 + 10 * 12) / 8));
  });

  it('treats an empty baseline as a full state', () => {
    const world = snapshotFromEntries([[5, Unit.create({ hp: 3 })]]);
    const decoded = unitCodec.decode(new BitReader(encodeSnapshot(unitCodec, world)), EMPTY_SNAPSHOT);
    expect(decoded.spawned).toEqual([{ id: 5, value: Unit.create({ hp: 3 }) }]);
    expect(decoded.snapshot.ids).toEqual([5]);
  });

  it('shares the id list with the baseline when nothing spawns or despawns', () => {
    const before = snapshotFromEntries([[1, Unit.create()]]);
    const after = snapshotFromEntries([[1, Unit.create({ hp: 1 })]]);
    const decoded = unitCodec.decode(new BitReader(encodeSnapshot(unitCodec, after, before)), before);
    expect(decoded.snapshot.ids).toBe(before.ids);
    expect(before.values[0]!.hp).toBe(0);
  });

  it('rejects unsorted or duplicate ids on the sending side (VALUE_INVALID)', () => {
    const writer = new BitWriter();
    const value = Unit.create();
    expectCode('VALUE_INVALID', () => unitCodec.encode(writer, { ids: [2, 1], values: [value, value] }));
    expectCode('VALUE_INVALID', () =>
      snapshotFromEntries([
        [1, value],
        [1, value],
      ]),
    );
    expectCode('VALUE_INVALID', () => snapshotFromEntries([[-1, value]]));
  });

  it('rejects records that do not fit the baseline (WIRE_INVALID) and counts over the cap (WIRE_LIMIT)', () => {
    const baseline = snapshotFromEntries([[3, Unit.create()]]);
    const despawnUnknown = new BitWriter();
    despawnUnknown.writeVarUint(1);
    despawnUnknown.writeVarUint(4, 4); // despawn id 4: not in the baseline
    despawnUnknown.writeVarUint(0);
    despawnUnknown.writeVarUint(0);
    expectCode('WIRE_INVALID', () => unitCodec.decode(new BitReader(despawnUnknown.toBytes()), baseline));

    const spawnExisting = encodeSnapshot(unitCodec, snapshotFromEntries([[3, Unit.create()]]));
    expectCode('WIRE_INVALID', () => unitCodec.decode(new BitReader(spawnExisting), baseline));

    const small = new SnapshotCodec(Unit, { maxEntities: 2 });
    const three = snapshotFromEntries([1, 2, 3].map((id): [number, UnitState] => [id, Unit.create()]));
    expectCode('WIRE_LIMIT', () => small.decode(new BitReader(encodeSnapshot(unitCodec, three))));

    const hugeCount = new BitWriter();
    hugeCount.writeVarUint(60_000);
    expectCode('WIRE_TRUNCATED', () => unitCodec.decode(new BitReader(hugeCount.toBytes())));
  });

  it('throws only ShardlineError for random or mutated snapshot bytes', () => {
    const baseline = snapshotFromEntries(
      Array.from({ length: 20 }, (_, i): [number, UnitState] => [i * 3, Unit.create({ x: i, hp: i })]),
    );
    const values = arbitraryFor(Unit) as fc.Arbitrary<UnitState>;
    const valid = evolve(values, baseline).map((next) => encodeSnapshot(unitCodec, next, baseline));
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(valid, fc.nat(), fc.nat({ max: 7 }), fc.nat()).map(([bytes, at, bit, cut]) => {
        const out = bytes.slice(0, 1 + (cut % Math.max(bytes.length, 1)));
        if (out.length > 0) out[at % out.length]! ^= 1 << bit;
        return out;
      }),
    );
    fc.assert(
      fc.property(hostile, (bytes) => {
        try {
          unitCodec.decode(new BitReader(bytes), baseline);
        } catch (error) {
          if (!(error instanceof ShardlineError)) throw error;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
