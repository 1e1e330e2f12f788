import { describe, expect, it } from 'vitest';
import { DisplayRows } from '../src/services/leaderboards/display-rows.js';

const row = (userId: string, username = userId) => ({
  userId,
  key: { scoreKey: 0, subscoreKey: 0, reachedAtMs: 0 },
  revision: 1,
  username,
  metadata: null,
  updatedAtMs: 0,
});

describe('DisplayRows', () => {
  it('finds what was set, per board, and lists the rest as missing', () => {
    const rows = new DisplayRows();
    rows.set('kills', row('ann'));
    rows.set('wins', row('bob'));
    expect(rows.lookup('kills', ['ann', 'bob'])).toEqual({ found: [row('ann')], missing: ['bob'] });
    rows.set('kills', row('ann', 'Ann'));
    expect(rows.lookup('kills', ['ann']).found).toEqual([row('ann', 'Ann')]);
    rows.delete('kills', 'ann');
    rows.clear('wins');
    expect(rows.lookup('kills', ['ann']).missing).toEqual(['ann']);
    expect(rows.lookup('wins', ['bob']).missing).toEqual(['bob']);
  });

  it('keeps the most recently used rows of a board within its bound', () => {
    const rows = new DisplayRows(10);
    for (let i = 0; i < 10; i++) rows.set('kills', row(`u${i}`));
    rows.lookup('kills', ['u0']); // u0 is now the most recently used
    rows.set('kills', row('u10')); // past the bound: the oldest go, down to 90% of it
    const { found, missing } = rows.lookup(
      'kills',
      Array.from({ length: 11 }, (_, i) => `u${i}`),
    );
    expect(missing).toEqual(['u1', 'u2']);
    expect(found.map((r) => r.userId)).toEqual(['u0', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8', 'u9', 'u10']);
  });
});
