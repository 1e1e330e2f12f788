import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RankIndex } from '../src/services/leaderboards/rank-index.js';
import { compareIds, type RankKey } from '../src/services/leaderboards/rank-key.js';

const sign = (n: number) => Math.sign(n);
const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The naive model: every entry in an array, sorted from scratch for each question. */
class SortedArray {
  readonly entries = new Map<string, { key: RankKey; revision: number }>();
  set(userId: string, key: RankKey, revision: number): boolean {
    const current = this.entries.get(userId);
    if (current && revision <= current.revision) return false;
    this.entries.set(userId, { key, revision });
    return true;
  }
  ranked() {
    return [...this.entries.entries()]
      .sort(
        ([idA, { key: a }], [idB, { key: b }]) =>
          a.scoreKey - b.scoreKey ||
          a.subscoreKey - b.subscoreKey ||
          a.reachedAtMs - b.reachedAtMs ||
          utf8Order(idA, idB),
      )
      .map(([userId, { key }], index) => ({ rank: index + 1, userId, key }));
  }
}

describe('compareIds', () => {
  it('orders ids as their UTF-8 bytes do (the databases collate bytewise)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(sign(compareIds(a, b))).toBe(sign(utf8Order(a, b)));
        expect(sign(compareIds(a, a + b))).toBe(b ? -1 : 0);
      }),
      { numRuns: 200 },
    );
    // Where UTF-16 code units disagree with UTF-8: U+FFFD sorts before U+1F600.
    expect(compareIds('\u{fffd}', '\u{1f600}')).toBeLessThan(0);
    expect('\u{fffd}' < '\u{1f600}').toBe(false);
  });
});

describe('RankIndex', () => {
  // Few ids, scores and times, so keys tie on every part; some ids beyond U+FFFF.
  const userId = fc.constantFrom('a', 'b', 'c', 'ab', 'B', '\u{fffd}', '\u{1f600}', 'é', 'z0', 'z1', 'z2');
  const key = fc.record({
    scoreKey: fc.oneof(
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
    ),
    subscoreKey: fc.integer({ min: -1, max: 1 }),
    reachedAtMs: fc.integer({ min: 0, max: 2 }),
  });
  const operation = fc.oneof(
    {
      arbitrary: fc.tuple(fc.constant('set' as const), userId, key, fc.integer({ min: 0, max: 6 })),
      weight: 4,
    },
    { arbitrary: fc.tuple(fc.constant('remove' as const), userId), weight: 1 },
  );

  it('ranks, places and pages every user as a sorted array does, through splits and merges', () => {
    fc.assert(
      fc.property(
        fc.array(operation, { maxLength: 120 }),
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 13 }),
        (operations, blockBits, count) => {
          const index = new RankIndex(blockBits);
          const model = new SortedArray();
          for (const [kind, user, ...rest] of operations) {
            if (kind === 'remove') {
              expect(index.remove(user)).toBe(model.entries.delete(user));
            } else {
              const [nextKey, revision] = rest as [RankKey, number];
              expect(index.set(user, nextKey, revision)).toBe(model.set(user, nextKey, revision));
            }
          }
          const expected = model.ranked();
          expect(index.size).toBe(expected.length);
          for (const place of expected) expect(index.placeOf(place.userId)).toEqual(place);
          expect(index.rankOf('nobody')).toBeUndefined();
          for (let from = 1; from <= expected.length + 1; from++) {
            expect(index.range(from, count)).toEqual(expected.slice(from - 1, from - 1 + count));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps order across many moves of many users (blocks of 8)', () => {
    const index = new RankIndex(3);
    const model = new SortedArray();
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let step = 1; step <= 5000; step++) {
      const user = `user-${random(400)}`;
      if (random(5) === 0) {
        expect(index.remove(user)).toBe(model.entries.delete(user));
      } else {
        const key = { scoreKey: random(50), subscoreKey: random(3), reachedAtMs: random(4) };
        expect(index.set(user, key, step)).toBe(model.set(user, key, step));
      }
    }
    const expected = model.ranked();
    expect(index.range(1, expected.length + 1)).toEqual(expected);
    for (const place of expected) expect(index.rankOf(place.userId)).toBe(place.rank);
  });
});
