import {
  assertSameFingerprint,
  BitCounter,
  BitReader,
  BitWriter,
  defineEntity,
  type Infer,
  readFingerprint,
  ShardlineError,
  schemaFingerprint,
  t,
  writeFingerprint,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { arbitraryFor, sameOnWire } from './support/arbitraries.js';
import { Everything } from './support/everything.js';
import { expectCode } from './support/expect-code.js';

type EverythingState = Infer<typeof Everything>;
const everythingArbitrary = arbitraryFor(Everything) as fc.Arbitrary<EverythingState>;

function encode(write: (writer: BitWriter) => void): Uint8Array {
  const writer = new BitWriter();
  write(writer);
  return writer.toBytes();
}

/** Runs `decode` on hostile bytes: it may succeed or throw ShardlineError, nothing else. */
function decodeHostile(bytes: Uint8Array, decode: (reader: BitReader) => unknown): void {
  try {
    decode(new BitReader(bytes));
  } catch (error) {
    if (!(error instanceof ShardlineError)) throw error;
  }
}

const mutatedBytes = (valid: fc.Arbitrary<Uint8Array>) =>
  fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 7 })), { minLength: 1, maxLength: 4 }), fc.nat())
    .map(([bytes, flips, cut]) => {
      const out = bytes.slice(0, bytes.length === 0 ? 0 : 1 + (cut % bytes.length));
      for (const [index, bit] of flips) if (out.length > 0) out[index % out.length]! ^= 1 << bit;
      return out;
    });

describe('schema declarations', () => {
  it('infers the value type from the declaration', () => {
    expectTypeOf<EverythingState['flag']>().toEqualTypeOf<boolean>();
    expectTypeOf<EverythingState['mood']>().toEqualTypeOf<'calm' | 'angry' | 'scared'>();
    expectTypeOf<EverythingState['target']>().toEqualTypeOf<number | null>();
    expectTypeOf<EverythingState['pos']>().toEqualTypeOf<{ x: number; y: number }>();
    expectTypeOf<EverythingState['slots']>().toEqualTypeOf<number[]>();
    expectTypeOf<EverythingState['stats']>().toEqualTypeOf<{ strength: number; agility: number }>();
    expectTypeOf<EverythingState['buff']>().toEqualTypeOf<{
      kind: 'haste' | 'shield';
      ticksLeft: number;
    } | null>();
  });

  it('creates default states and overlays given values', () => {
    const state = Everything.create({ hp: 42, name: 'wolf' });
    expect(state.hp).toBe(42);
    expect(state.name).toBe('wolf');
    expect(state.flag).toBe(false);
    expect(state.mood).toBe('calm');
    expect(state.rgb).toEqual([0, 0, 0]);
    expect(state.buff).toBeNull();
    expect(state.rot).toEqual({ x: 0, y: 0, z: 0, w: 1 });
  });

  it('rejects malformed declarations with SCHEMA_INVALID', () => {
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`f${i}`, t.bool()]));
    expectCode('SCHEMA_INVALID', () => t.struct(many));
    expectCode('SCHEMA_INVALID', () => t.array(t.struct({}), { maxLength: 4 }));
    expectCode('SCHEMA_INVALID', () => t.array(t.u8(), { length: 2, maxLength: 4 }));
    expectCode('SCHEMA_INVALID', () => t.string({ maxBytes: -1 }));
    expectCode('SCHEMA_INVALID', () => t.int({ min: 5, max: 1 }));
    expectCode('SCHEMA_INVALID', () => t.uint(33));
    expectCode('SCHEMA_INVALID', () => t.enum([]));
    expectCode('SCHEMA_INVALID', () => t.enum(['a', 'a']));
    expectCode('SCHEMA_INVALID', () => t.quantized({ min: 0, max: 1 }));
    expectCode('SCHEMA_INVALID', () => defineEntity('bad name', {}));
  });

  it('asserts on values that do not fit their declaration (VALUE_INVALID)', () => {
    const writer = new BitWriter();
    expectCode('VALUE_INVALID', () => Everything.write(writer, Everything.create({ hp: 101 })));
    expectCode('VALUE_INVALID', () => Everything.write(writer, Everything.create({ byte: 3.5 })));
    expectCode('VALUE_INVALID', () =>
      Everything.write(writer, { ...Everything.create(), mood: 'sleepy' as 'calm' }),
    );
    expectCode('VALUE_INVALID', () => Everything.write(writer, Everything.create({ rgb: [1, 2] })));
    expectCode('VALUE_INVALID', () => Everything.write(writer, Everything.create({ name: 'x'.repeat(25) })));
    expectCode('VALUE_INVALID', () => Everything.write(writer, Everything.create({ x: Number.NaN })));
  });
});

describe('full encoding', () => {
  it('round-trips every field kind within its declared precision; measure mode agrees', () => {
    fc.assert(
      fc.property(everythingArbitrary, (value) => {
        const bytes = encode((w) => Everything.write(w, value));
        const counter = new BitCounter();
        Everything.write(counter, value);
        expect(counter.byteLength).toBe(bytes.length);
        const reader = new BitReader(bytes);
        const decoded = Everything.read(reader);
        reader.expectEnd();
        expect(sameOnWire(Everything, decoded, value)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('delta encoding', () => {
  it('round-trips a delta of each field kind against any baseline', () => {
    for (let i = 0; i < Everything.fieldCount; i++) {
      const field = Everything.fields[i]!;
      const values = arbitraryFor(field);
      fc.assert(
        fc.property(values, values, (base, value) => {
          if (field.equals(value, base)) return;
          // The receiver holds the baseline as it decoded it, so start from the decoded base.
          const receivedBase = field.read(new BitReader(encode((w) => field.write(w, base))));
          const senderBase = receivedBase;
          const bytes = encode((w) => field.writeDelta(w, value, senderBase));
          const reader = new BitReader(bytes);
          const decoded = field.readDelta(reader, receivedBase);
          reader.expectEnd();
          expect(sameOnWire(field, decoded, value), field.descriptor).toBe(true);
        }),
        { numRuns: 150 },
      );
    }
  });

  it('sends only changed fields, behind a change mask', () => {
    const base = Everything.create({ x: 100, hp: 50 });
    const moved = { ...base, x: 100.5 };
    const bytes = encode((w) => Everything.writeDelta(w, moved, base));
    // mask (26 bits) + relative x: 5-bit length prefix + 5 bits for a 32-step move
    expect(bytes.length).toBe(Math.ceil((26 + 5 + 5) / 8));
    expect(Everything.changedMask(moved, base)).toBe(1 << Everything.keys.indexOf('x'));
    const decoded = Everything.readDelta(new BitReader(bytes), base);
    expect(decoded.x).toBeCloseTo(100.5, 1);
    expect(decoded.hp).toBe(50);
  });

  it('treats changes below the declared precision as no change', () => {
    const xField = Everything.fields[Everything.keys.indexOf('x')] as ReturnType<typeof t.quantized>;
    const onGrid = xField.quantizer.round(10);
    const base = Everything.create({ x: onGrid });
    expect(Everything.changedMask({ ...base, x: onGrid + xField.quantizer.step / 4 }, base)).toBe(0);
    expect(Everything.changedMask({ ...base, x: onGrid + xField.quantizer.step }, base)).not.toBe(0);
    expect(Everything.changedMask({ ...base, ratio: 1 + 1e-12 }, { ...base, ratio: 1 })).toBe(0);
  });

  it('codes a relative change across the angle seam in a few bits', () => {
    const heading = t.angle();
    const bytes = encode((w) => heading.writeDelta(w, -Math.PI + 0.0001, Math.PI - 0.0001));
    expect(bytes.length).toBe(1);
  });

  it('spends zero bits on a changed bool (its mask bit says it flipped)', () => {
    const State = t.struct({ alive: t.bool() });
    const bytes = encode((w) => State.writeDelta(w, { alive: false }, { alive: true }));
    expect(bytes).toEqual(new Uint8Array([1]));
    expect(State.readDelta(new BitReader(bytes), { alive: true })).toEqual({ alive: false });
  });

  it('rejects non-canonical deltas that change nothing (WIRE_INVALID)', () => {
    const State = t.struct({ hp: t.u8(), pos: t.vec2({ min: 0, max: 10, bits: 8 }) });
    expectCode('WIRE_INVALID', () => State.readDelta(new BitReader(new Uint8Array([0])), State.create()));
    // mask = pos only; both "component changed" bits clear
    expectCode('WIRE_INVALID', () => State.readDelta(new BitReader(new Uint8Array([0b010])), State.create()));
  });
});

describe('hostile input', () => {
  it('random bytes into full and delta decoding throw only ShardlineError', () => {
    const base = Everything.create();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        decodeHostile(bytes, (r) => Everything.read(r));
        decodeHostile(bytes, (r) => Everything.readDelta(r, base));
        for (const field of Everything.fields) {
          decodeHostile(bytes, (r) => field.read(r));
          decodeHostile(bytes, (r) => field.readDelta(r, field.defaultValue));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('mutated and truncated valid encodings throw only ShardlineError', () => {
    const valid = fc.tuple(everythingArbitrary, everythingArbitrary).map(([a, b]) =>
      encode((w) => {
        Everything.write(w, a);
        if (!Everything.equals(b, a)) Everything.writeDelta(w, b, a);
      }),
    );
    fc.assert(
      fc.property(mutatedBytes(valid), (bytes) => {
        decodeHostile(bytes, (r) => {
          const first = Everything.read(r);
          return Everything.readDelta(r, first);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('names the error for each kind of bad value', () => {
    const mood = t.enum(['a', 'b', 'c']);
    expectCode('WIRE_INVALID', () => mood.read(new BitReader(new Uint8Array([3]))));
    const percent = t.int({ min: 0, max: 100 });
    expectCode('WIRE_INVALID', () => percent.read(new BitReader(new Uint8Array([127]))));
    const list = t.array(t.u8(), { maxLength: 2 });
    expectCode('WIRE_LIMIT', () => list.read(new BitReader(new Uint8Array([0xff]))));
    const big = t.array(t.u32(), { maxLength: 60_000 });
    const claim = encode((w) => w.writeUint(60_000, 16));
    expectCode('WIRE_TRUNCATED', () => big.read(new BitReader(claim)));
  });
});

describe('schema fingerprints', () => {
  it('is stable for the same declaration and changes with any declared detail', () => {
    const declare = (hpMax: number, name = 'Unit') =>
      defineEntity(name, {
        x: t.quantized({ min: -10, max: 10, bits: 12 }),
        hp: t.int({ min: 0, max: hpMax }),
      });
    expect(declare(100).fingerprint).toBe(declare(100).fingerprint);
    expect(declare(100).fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(declare(101).fingerprint).not.toBe(declare(100).fingerprint);
    expect(declare(100, 'Other').fingerprint).not.toBe(declare(100).fingerprint);
    expect(schemaFingerprint(declare(100), Everything)).not.toBe(schemaFingerprint(Everything, declare(100)));
  });

  it('fails fast with SCHEMA_MISMATCH when peers declared different schemas', () => {
    const ours = defineEntity('Unit', { hp: t.u8() });
    const theirs = defineEntity('Unit', { hp: t.u16() });
    const hello = encode((w) => writeFingerprint(w, theirs.fingerprint));
    const remote = readFingerprint(new BitReader(hello));
    expect(remote).toBe(theirs.fingerprint);
    expectCode('SCHEMA_MISMATCH', () => assertSameFingerprint(ours.fingerprint, remote));
    expect(() => assertSameFingerprint(theirs.fingerprint, remote)).not.toThrow();
  });
});
