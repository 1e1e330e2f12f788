/**
 * SnapshotBuilder's stores without a closure or a key array per write (issue 18: a tick's writes
 * made them by the thousand): a patch that fails halfway leaves the row as it was, and only a
 * patch's own keys are stored, as with Object.keys. Here while packages/core/test is mutation-tested.
 */
import { defineEntity, EntitySnapshot, t } from '@shardline/core';
import { describe, expect, it } from 'vitest';

const Cell = defineEntity('Cell', {
  a: t.int({ min: 0, max: 100 }),
  b: t.int({ min: 0, max: 100 }),
  tag: t.string({ maxBytes: 8 }),
});

describe('SnapshotBuilder stores', () => {
  it('puts a row back when a patch or set fails after storing some of its fields', () => {
    const builder = EntitySnapshot.from(Cell, [[1, { a: 1, b: 2, tag: 'x' }]]).edit();
    expect(() => builder.patch(1, { a: 50, tag: 'y', b: 300 })).toThrow(/VALUE_INVALID|range/);
    expect(() => builder.patch(1, { a: 60, nope: 1 } as never)).toThrow(/VALUE_INVALID|no field/);
    expect(() => builder.set(1, { a: 70, b: 200, tag: 'z' })).toThrow(/VALUE_INVALID|range/);
    builder.patch(1, { b: 3 });
    const built = builder.build();
    expect(built.get(1)).toEqual({ a: 1, b: 3, tag: 'x' });
    expect(built.lineage?.touchedRows).toEqual([0]);
  });

  it('stores a patch’s own keys only, in their order', () => {
    const inherited = Object.create({ a: 99 }) as { b: number };
    inherited.b = 7;
    const built = EntitySnapshot.from(Cell, [[4, { a: 1, b: 2, tag: '' }]])
      .edit()
      .patch(4, inherited as never)
      .build();
    expect(built.get(4)).toEqual({ a: 1, b: 7, tag: '' });
  });
});
