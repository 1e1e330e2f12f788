import {
  BitReader,
  BitWriter,
  defineEntity,
  EntitySnapshot,
  type FieldMap,
  type FieldsOf,
  type Infer,
  layoutOf,
  ShardlineError,
  SnapshotCodec,
  type StructType,
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
type EverythingState = Infer<typeof Everything>;
const unitCodec = new SnapshotCodec(Unit);
const everythingCodec = new SnapshotCodec(Everything);

function encodeSnapshot<F extends FieldMap>(
  codec: SnapshotCodec<F>,
  current: EntitySnapshot<F>,
  baseline?: EntitySnapshot<F>,
): Uint8Array {
  const writer = new BitWriter();
  codec.encode(writer, current, baseline);
  return writer.toBytes();
}

type Entries<T> = [number, T][];

/** Up to `max` entities with distinct ids below 200 and random states. */
function entriesArbitrary<T>(values: fc.Arbitrary<T>, max: number): fc.Arbitrary<Entries<T>> {
  return fc.uniqueArray(fc.tuple(fc.nat({ max: 199 }), values), { maxLength: max, selector: ([id]) => id });
}

/** The next world: each entity kept (maybe with a new state) or despawned, and a few spawned. */
function evolve<T>(values: fc.Arbitrary<T>, previous: Entries<T>): fc.Arbitrary<Entries<T>> {
  return fc
    .tuple(
      fc.array(fc.boolean(), { minLength: previous.length, maxLength: previous.length }),
      fc.array(fc.option(values), { minLength: previous.length, maxLength: previous.length }),
      entriesArbitrary(values, 6),
    )
    .map(([keep, replace, fresh]) => {
      const next = new Map<number, T>();
      previous.forEach(([id, value], i) => {
        if (keep[i]) next.set(id, replace[i] ?? value);
      });
      for (const [id, value] of fresh) if (!next.has(id)) next.set(id, value);
      return [...next];
    });
}

function expectHolds<F extends FieldMap>(
  schema: StructType<F>,
  snapshot: EntitySnapshot<F>,
  entries: Entries<unknown>,
) {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  expect([...snapshot.ids]).toEqual(sorted.map(([id]) => id));
  for (const [id, value] of sorted) expect(sameOnWire(schema, snapshot.get(id), value)).toBe(true);
}

describe('packed snapshots', () => {
  it('encode every field kind in full exactly as the field kinds themselves do, and see the same changes', () => {
    const values = arbitraryFor(Everything) as fc.Arbitrary<EverythingState>;
    const layout = layoutOf(Everything);
    fc.assert(
      fc.property(values, values, (base, value) => {
        const snapshot = EntitySnapshot.from(Everything, [
          [1, base],
          [2, value],
        ]);
        const packed = new BitWriter();
        layout.writeFull(packed, snapshot.codes, snapshot.objects, 1);
        const plain = new BitWriter();
        Everything.write(plain, value);
        expect(packed.toBytes()).toEqual(plain.toBytes());

        const mask = layout.changedMask(
          snapshot.codes,
          snapshot.objects,
          1,
          snapshot.codes,
          snapshot.objects,
          0,
        );
        expect(mask).toBe(Everything.changedMask(snapshot.get(2)!, snapshot.get(1)!));
      }),
      { numRuns: 200 },
    );
  });

  it('tell 0 from -0 in float fields, as their bits differ on the wire', () => {
    const layout = layoutOf(Everything);
    const snapshot = EntitySnapshot.from(Everything, [
      [1, Everything.create({ precise: 0, ratio: 0 })],
      [2, Everything.create({ precise: -0, ratio: -0 })],
    ]);
    const mask = layout.changedMask(snapshot.codes, snapshot.objects, 1, snapshot.codes, snapshot.objects, 0);
    expect(mask).toBe(Everything.changedMask(snapshot.get(2)!, snapshot.get(1)!));
    expect(mask).not.toBe(0);
  });

  it('quantize values when stored and build new snapshots without touching the old one', () => {
    const first = EntitySnapshot.from(Unit, [[4, Unit.create({ x: 1.001, hp: 10 })]]);
    expect(first.get(4)!.x).toBeCloseTo(1, 1);
    expect(first.field(4, 'hp')).toBe(10);
    const builder = first.edit();
    builder.patch(4, { hp: 11 }).set(9, Unit.create({ hp: 1 }));
    expect(builder.delete(4)).toBe(true);
    expect(builder.delete(4)).toBe(false);
    const second = builder.build();
    expect([...second.ids]).toEqual([9]);
    expect(first.get(4)!.hp).toBe(10);
    expect(() => builder.set(1, Unit.create())).toThrow(/already built/);
    expect([...second.entries()]).toEqual([[9, second.get(9)]]);
  });

  it("copies arrays and objects in, so mutating the caller's value later neither alters nor hides changes", () => {
    const slots = [1, 2];
    const first = EntitySnapshot.from(Everything, [[1, Everything.create({ slots })]]);
    slots.push(3);
    expect(first.get(1)!.slots).toEqual([1, 2]);
    const second = first.edit().patch(1, { slots }).build();
    expect(second.get(1)!.slots).toEqual([1, 2, 3]);
    const writer = new BitWriter();
    everythingCodec.encode(writer, second, first);
    const decoded = everythingCodec.decode(new BitReader(writer.toBytes()), first);
    expect(decoded.updated).toEqual([1]);
    expect(() => (second.get(1)!.slots as number[]).push(4)).toThrow(TypeError);
  });

  it('rejects bad values at the call that stores them and leaves the entity unchanged (VALUE_INVALID)', () => {
    const builder = EntitySnapshot.from(Unit, [[1, Unit.create({ hp: 5, x: 3 })]]).edit();
    expectCode('VALUE_INVALID', () => builder.set(1, { ...Unit.create({ x: 7 }), hp: 300 }));
    expectCode('VALUE_INVALID', () => builder.patch(1, { x: Number.NaN }));
    expectCode('VALUE_INVALID', () => builder.patch(2, { hp: 1 }));
    expectCode('VALUE_INVALID', () => builder.set(-1, Unit.create()));
    expectCode('VALUE_INVALID', () => builder.set(3, { ...Unit.create(), hp: -1 }));
    const after = builder.build();
    expect(after.get(1)!.hp).toBe(5);
    expect(after.get(1)!.x).toBeCloseTo(3, 1);
    expect(after.has(3)).toBe(false);
    expectCode('VALUE_INVALID', () =>
      EntitySnapshot.from(Unit, [
        [1, Unit.create()],
        [1, Unit.create()],
      ]),
    );
  });
});

describe('snapshot codec', () => {
  it('round-trips a chain of worlds of every field kind, each encoded against an earlier one', () => {
    const values = arbitraryFor(Everything) as fc.Arbitrary<EverythingState>;
    const chain = entriesArbitrary(values, 8).chain((first) =>
      evolve(values, first).chain((second) => evolve(values, second).map((third) => [first, second, third])),
    );
    fc.assert(
      fc.property(chain, ([first, second, third]) => {
        const sent1 = EntitySnapshot.from(Everything, first!);
        const received1 = everythingCodec.decode(
          new BitReader(encodeSnapshot(everythingCodec, sent1)),
        ).snapshot;
        expectHolds(Everything, received1, first!);
        for (const next of [second!, third!]) {
          const sent = EntitySnapshot.from(Everything, next);
          const reader = new BitReader(encodeSnapshot(everythingCodec, sent, sent1));
          const decoded = everythingCodec.decode(reader, received1);
          reader.expectEnd();
          expectHolds(Everything, decoded.snapshot, next);
          const sentIds = new Set(next.map(([id]) => id));
          const baseIds = new Set(first!.map(([id]) => id));
          expect(decoded.despawned).toEqual([...received1.ids].filter((id) => !sentIds.has(id)));
          expect(decoded.spawned).toEqual([...sent.ids].filter((id) => !baseIds.has(id)));
          // The encoder compares the sender's own states; a decoded quaternion may re-encode with another
          // largest component, so the received baseline is not the oracle for change masks.
          decoded.updated.forEach((id, i) => {
            expect(decoded.changedMasks[i]).toBe(Everything.changedMask(sent.get(id)!, sent1.get(id)!));
          });
        }
      }),
      { numRuns: 150 },
    );
  });

  it('round-trips a chain predicted from the baseline before, whatever the span and steps', () => {
    const values = arbitraryFor(Everything) as fc.Arbitrary<EverythingState>;
    const ticks = fc.integer({ min: 1, max: 255 });
    const chain = entriesArbitrary(values, 8).chain((first) =>
      evolve(values, first).chain((second) => evolve(values, second).map((third) => [first, second, third])),
    );
    fc.assert(
      fc.property(chain, ticks, ticks, ([first, second, third], span, steps) => {
        const [sent1, sent2, sent3] = [first!, second!, third!].map((entries) =>
          EntitySnapshot.from(Everything, entries),
        );
        const received1 = everythingCodec.decode(
          new BitReader(encodeSnapshot(everythingCodec, sent1!)),
        ).snapshot;
        const received2 = everythingCodec.decode(
          new BitReader(encodeSnapshot(everythingCodec, sent2!, sent1)),
          received1,
        ).snapshot;
        const writer = new BitWriter();
        everythingCodec.encode(writer, sent3!, sent2, { prior: sent1!, span, steps });
        const reader = new BitReader(writer.toBytes());
        const decoded = everythingCodec.decode(reader, received2, { prior: received1, span, steps });
        reader.expectEnd();
        expectHolds(Everything, decoded.snapshot, third!);
        expect([...decoded.snapshot.codes]).toEqual([...sent3!.codes]);
      }),
      { numRuns: 150 },
    );
  });

  it('predicts steady motion: ten units moving on a line cost a bit per moving coordinate', () => {
    const at = (tick: number) =>
      EntitySnapshot.from(
        Unit,
        Array.from({ length: 10 }, (_, i): [number, UnitState] => [
          i,
          Unit.create({ x: i + tick / 2, y: -tick / 4, angle: 1, hp: 50 }),
        ]),
      );
    const [prior, baseline, current] = [at(0), at(1), at(2)];
    const writer = new BitWriter();
    unitCodec.encode(writer, current, baseline, { prior, span: 1, steps: 1 });
    // Counts 3×8 bits; gap order 0 (2 bits); ids 0…9 (1 bit each); fields changed 0b0011 (4 bits); orders
    // of x and y (19-bit slots: 5 bits each); common mask 0b0011 (4 bits); per unit a common-mask bit and
    // residuals of 0 for x and y at order 0 (1 bit each).
    expect(writer.bitLength).toBe(24 + 2 + 10 + 4 + 2 * 5 + 4 + 10 * (1 + 1 + 1));
    const decoded = unitCodec.decode(new BitReader(writer.toBytes()), baseline, { prior, span: 1, steps: 1 });
    expect([...decoded.snapshot.codes]).toEqual([...current.codes]);
    // Unpredicted, each coordinate's residual is the whole step of motion.
    expect(encodeSnapshot(unitCodec, current, baseline).length * 8).toBeGreaterThan(writer.bitLength + 40);
  });

  it('rejects update heads and residuals a writer could not have made (WIRE_INVALID)', () => {
    const baseline = EntitySnapshot.from(Unit, [[3, Unit.create({ x: 1 })]]);
    /** One update: fields changed 0b0001 (x), x's order, no common mask; entity 3, `mask`, a residual. */
    const update = (order: number, mask: number, residual: number) => {
      const writer = new BitWriter();
      writer.writeVarUint(0);
      writer.writeVarUint(0);
      writer.writeVarUint(1);
      writer.writeUint(0, 2); // gap-code order 0
      writer.writeUint(0b0001, 4);
      writer.writeUint(order, 5);
      writer.writeUint(0, 4);
      writer.writeExpGolomb(3, 0);
      writer.writeUint(mask, 4);
      writer.writeExpGolomb(residual, order);
      return new BitReader(writer.toBytes());
    };
    // zigzag 2 is +1: x one code up (x is the first code slot).
    expect(unitCodec.decode(update(0, 0b0001, 2), baseline).snapshot.codes[0]).toBe(baseline.codes[0]! + 1);
    expectCode('WIRE_INVALID', () => unitCodec.decode(update(19, 0b0001, 2), baseline)); // order ≥ 19 bits
    expectCode('WIRE_INVALID', () => unitCodec.decode(update(0, 0b0011, 2), baseline)); // y not in the head
    expectCode('WIRE_INVALID', () => unitCodec.decode(update(0, 0b0001, 0), baseline)); // x unchanged
    expectCode('WIRE_INVALID', () => unitCodec.decode(update(0, 0b0001, 2 ** 19), baseline)); // past 19 bits
  });

  it('sends three empty counts when nothing changed', () => {
    const world = EntitySnapshot.from(Unit, [
      [1, Unit.create({ x: 1 })],
      [7, Unit.create({ x: 2 })],
    ]);
    const same = world
      .edit()
      .patch(1, { x: world.get(1)!.x + 1e-6 })
      .build();
    expect(encodeSnapshot(unitCodec, same, world).length).toBe(3);
  });

  it('gap-codes ids: ten neighbouring updates cost a few bits of id each', () => {
    const entries: [number, UnitState][] = Array.from({ length: 100 }, (_, i) => [1000 + i, Unit.create()]);
    const before = EntitySnapshot.from(Unit, entries);
    const builder = before.edit();
    for (let i = 0; i < 100; i += 10) builder.patch(1000 + i, { hp: 9 });
    const bytes = encodeSnapshot(unitCodec, builder.build(), before);
    // Counts 3×8 bits; gap order 2 (2 bits); first gap 1000 as expgolomb(2) (17 bits), then 9 gaps of 9
    // (5 bits each); the fields changed and the common mask, both 0b1000 (4 bits each; hp is absolute,
    // so no residual orders); per entity a common-mask bit and hp (8 bits).
    expect(bytes.length).toBe(Math.ceil((24 + 2 + 17 + 9 * 5 + 4 + 4 + 10 * (1 + 8)) / 8));
  });

  it('shares the id list with the baseline when nothing spawns or despawns', () => {
    const before = EntitySnapshot.from(Unit, [[1, Unit.create()]]);
    const after = before.edit().patch(1, { hp: 1 }).build();
    const decoded = unitCodec.decode(new BitReader(encodeSnapshot(unitCodec, after, before)), before);
    expect(decoded.snapshot.ids).toBe(before.ids);
    expect(decoded.updated).toEqual([1]);
    expect(decoded.changedMasks).toEqual([0b1000]);
    expect(before.get(1)!.hp).toBe(0);
  });

  it('refuses snapshots of another schema (VALUE_INVALID)', () => {
    const other = EntitySnapshot.from(Everything, []);
    expectCode('VALUE_INVALID', () =>
      unitCodec.encode(new BitWriter(), other as unknown as EntitySnapshot<FieldsOf<typeof Unit>>),
    );
  });

  it('rejects records that do not fit the baseline (WIRE_INVALID) and counts over the cap (WIRE_LIMIT)', () => {
    const baseline = EntitySnapshot.from(Unit, [[3, Unit.create()]]);
    const despawn = (id: number) => {
      const writer = new BitWriter();
      writer.writeVarUint(1);
      writer.writeUint(0, 2); // gap-code order 0
      writer.writeExpGolomb(id, 0); // the gap from −1: id − (−1) − 1 = id
      writer.writeVarUint(0);
      writer.writeVarUint(0);
      return writer.toBytes();
    };
    // Well formed but for the id: despawning id 3 decodes, id 4 (not in the baseline) does not.
    expect(unitCodec.decode(new BitReader(despawn(3)), baseline).despawned).toEqual([3]);
    expectCode('WIRE_INVALID', () => unitCodec.decode(new BitReader(despawn(4)), baseline));

    const spawnExisting = encodeSnapshot(unitCodec, EntitySnapshot.from(Unit, [[3, Unit.create()]]));
    expectCode('WIRE_INVALID', () => unitCodec.decode(new BitReader(spawnExisting), baseline));

    const small = new SnapshotCodec(Unit, { maxEntities: 2 });
    const three = EntitySnapshot.from(
      Unit,
      [1, 2, 3].map((id): [number, UnitState] => [id, Unit.create()]),
    );
    expectCode('WIRE_LIMIT', () => small.decode(new BitReader(encodeSnapshot(unitCodec, three))));

    const hugeCount = new BitWriter();
    hugeCount.writeVarUint(60_000);
    expectCode('WIRE_TRUNCATED', () => unitCodec.decode(new BitReader(hugeCount.toBytes())));
  });

  it('throws only ShardlineError for random or mutated snapshot bytes, and leaves the baseline intact', () => {
    const entries = Array.from({ length: 20 }, (_, i): [number, EverythingState] => [
      i * 3,
      Everything.create({ hp: i }),
    ]);
    const baseline = EntitySnapshot.from(Everything, entries);
    const prior = EntitySnapshot.from(
      Everything,
      entries.map(([id, state]): [number, EverythingState] => [id, { ...state, heading: 2, hp: 1 }]),
    );
    const codesBefore = baseline.codes.slice();
    const values = arbitraryFor(Everything) as fc.Arbitrary<EverythingState>;
    const valid = evolve(values, entries).map((next) =>
      encodeSnapshot(everythingCodec, EntitySnapshot.from(Everything, next), baseline),
    );
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
        for (const prediction of [undefined, { prior, span: 3, steps: 2 }]) {
          try {
            everythingCodec.decode(new BitReader(bytes), baseline, prediction);
          } catch (error) {
            if (!(error instanceof ShardlineError)) throw error;
          }
        }
      }),
      { numRuns: 1000 },
    );
    expect(baseline.codes).toEqual(codesBefore);
  });
});
