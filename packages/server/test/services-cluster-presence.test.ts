import { type PresenceDesk, PresenceReporter, PresenceTally } from '@shardline/server';
import { describe, expect, it } from 'vitest';

describe('presence across processes: the tally', () => {
  it('keeps a user present while any process holds them', () => {
    const tally = new PresenceTally(30_000);
    tally.held('a', ['ann', 'bob'], 0);
    tally.held('b', ['ann'], 0);
    expect(tally.released('a', ['ann', 'bob'], 10)).toEqual(['bob']); // ann is still held by b
    expect(tally.released('b', ['ann', 'nobody'], 20)).toEqual(['ann']);
    expect(tally.released('b', ['ann'], 30)).toEqual([]); // released once only
  });

  it("takes a resync's parts as one list: users left out are released once the last part comes", () => {
    const tally = new PresenceTally(30_000);
    tally.held('a', ['ann', 'bob', 'cat'], 0);
    expect(tally.beat('a', 0)).toBe(false); // no whole list yet
    expect(tally.resync('a', 1, ['cat'], false, 1)).toEqual([]);
    expect(tally.resync('a', 1, ['dan'], true, 2)).toEqual(['ann', 'bob']);
    expect(tally.beat('a', 3)).toBe(true);
    // A round abandoned half way does not leak into the next one.
    tally.resync('a', 2, ['eve'], false, 4);
    expect(tally.resync('a', 3, ['cat'], true, 5).sort()).toEqual(['dan']);
  });

  it('drops a process not heard from for the expiry time, with its users', () => {
    const tally = new PresenceTally(1_000);
    tally.held('a', ['ann'], 0);
    tally.held('b', ['ann', 'bob'], 0);
    tally.beat('a', 900);
    expect(tally.expire(1_000)).toEqual(['bob']); // b went quiet; ann is still held by a
    expect(tally.expire(1_900)).toEqual(['ann']);
  });
});

describe('presence across processes: the reporter', () => {
  it('reports changes in order, and its whole list to a coordinator that does not know it', async () => {
    const calls: string[] = [];
    let known = false;
    const desk: PresenceDesk = {
      held: async (process, userIds) => void calls.push(`${process} held ${userIds}`),
      released: async (process, userIds) => void calls.push(`${process} released ${userIds}`),
      resync: async (process, round, userIds, done) => {
        calls.push(`${process} resync ${round} ${userIds} ${done}`);
        known = true;
      },
      beat: async () => known,
    };
    const holding = new Set(['ann']);
    const reporter = new PresenceReporter({
      desk,
      process: 'p',
      heldUsers: () => [...holding],
      beatMs: 20,
      onError: (error) => {
        throw error;
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls).toEqual(['p resync 1 ann true']); // the first beat: the coordinator had no list
    holding.add('bob');
    reporter.held('bob');
    reporter.released('ann');
    holding.delete('ann');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(calls.slice(1)).toEqual(['p held bob', 'p released ann']);
    known = false; // a new coordinator
    await new Promise((resolve) => setTimeout(resolve, 40));
    reporter.close();
    expect(calls.slice(3, 4)).toEqual(['p resync 2 bob true']);
  });
});
