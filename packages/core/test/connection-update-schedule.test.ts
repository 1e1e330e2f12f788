import { SCHEDULE_GRANULARITY_MS, type Scheduled, UpdateSchedule } from '@shardline/core';
import { describe, expect, it } from 'vitest';

type Item = Scheduled & { name: string };
const item = (name: string): Item => ({
  name,
  dueNow: false,
  nextRunMs: Number.POSITIVE_INFINITY,
  dropped: false,
});

function runAt(schedule: UpdateSchedule<Item>, nowMs: number): string[] {
  const visited: string[] = [];
  schedule.run(nowMs, (visit) => visited.push(visit.name));
  return visited;
}

describe('UpdateSchedule: exact run times (8 ms buckets)', () => {
  it('runs an item scheduled on a bucket edge exactly then, not a millisecond before', () => {
    expect(SCHEDULE_GRANULARITY_MS).toBe(8);
    const schedule = new UpdateSchedule<Item>();
    const a = item('a');
    schedule.schedule(a, 16);
    expect(schedule.nextRunAtMs()).toBe(16);
    expect(runAt(schedule, 15)).toEqual([]);
    expect(runAt(schedule, 16)).toEqual(['a']);
    expect(a.nextRunMs).toBe(Number.POSITIVE_INFINITY);
    expect(runAt(schedule, 100)).toEqual([]);
    expect(schedule.nextRunAtMs()).toBe(Number.POSITIVE_INFINITY);
  });

  it('runs an item scheduled between edges at the next edge: never early, at most 8 ms late', () => {
    const schedule = new UpdateSchedule<Item>();
    schedule.schedule(item('a'), 17);
    expect(schedule.nextRunAtMs()).toBe(24);
    expect(runAt(schedule, 23)).toEqual([]);
    expect(runAt(schedule, 24)).toEqual(['a']);
  });

  it('runs an item whose time passed long before the first run', () => {
    const schedule = new UpdateSchedule<Item>();
    schedule.schedule(item('a'), 16);
    expect(runAt(schedule, 1_000)).toEqual(['a']);
  });

  it('runs every item of one bucket', () => {
    const schedule = new UpdateSchedule<Item>();
    schedule.schedule(item('a'), 9);
    schedule.schedule(item('b'), 12);
    schedule.schedule(item('c'), 16);
    expect(runAt(schedule, 16)).toEqual(['a', 'b', 'c']);
  });

  it('skips an item marked due since it was scheduled, there and then', () => {
    const schedule = new UpdateSchedule<Item>();
    const a = item('a');
    const b = item('b');
    schedule.schedule(a, 16);
    schedule.schedule(b, 16);
    const visited: string[] = [];
    schedule.run(16, (visit) => {
      visited.push(visit.name);
      if (visit === a) schedule.markDue(b);
    });
    expect(visited).toEqual(['a']);
    expect(runAt(schedule, 17)).toEqual(['b']);
  });

  it('runs a time already past at the next run', () => {
    const schedule = new UpdateSchedule<Item>();
    expect(runAt(schedule, 100)).toEqual([]);
    schedule.schedule(item('late'), 40);
    expect(runAt(schedule, 101)).toEqual(['late']);
  });

  it('a later schedule replaces an earlier one; an earlier one replaces a later one', () => {
    const schedule = new UpdateSchedule<Item>();
    const a = item('a');
    const b = item('b');
    schedule.schedule(a, 8);
    schedule.schedule(a, 32);
    schedule.schedule(b, 32);
    schedule.schedule(b, 8);
    expect(runAt(schedule, 8)).toEqual(['b']);
    expect(runAt(schedule, 31)).toEqual([]);
    expect(runAt(schedule, 32)).toEqual(['a']);
  });

  it('runs an item scheduled twice for one bucket once', () => {
    const schedule = new UpdateSchedule<Item>();
    const a = item('a');
    schedule.schedule(a, 9);
    schedule.schedule(a, 10);
    expect(runAt(schedule, 16)).toEqual(['a']);
  });

  it('never runs an item scheduled at +∞', () => {
    const schedule = new UpdateSchedule<Item>();
    schedule.schedule(item('never'), Number.POSITIVE_INFINITY);
    expect(schedule.nextRunAtMs()).toBe(Number.POSITIVE_INFINITY);
    expect(runAt(schedule, 1e12)).toEqual([]);
  });
});

describe('UpdateSchedule: items marked due', () => {
  it('run at the next run whatever the time, once, and say so through nextRunAtMs (−∞)', () => {
    const schedule = new UpdateSchedule<Item>();
    const a = item('a');
    schedule.schedule(a, 800);
    schedule.markDue(a);
    schedule.markDue(a);
    expect(a.dueNow).toBe(true);
    expect(schedule.nextRunAtMs()).toBe(Number.NEGATIVE_INFINITY);
    expect(runAt(schedule, 0)).toEqual(['a']);
    expect(a.dueNow).toBe(false);
    // Its old schedule was replaced: nothing at 800.
    expect(runAt(schedule, 800)).toEqual([]);
  });

  it('ignore a schedule while due', () => {
    const schedule = new UpdateSchedule<Item>();
    const a = item('a');
    schedule.markDue(a);
    schedule.schedule(a, 16);
    expect(a.nextRunMs).toBe(Number.POSITIVE_INFINITY);
    expect(runAt(schedule, 0)).toEqual(['a']);
    expect(runAt(schedule, 16)).toEqual([]);
  });

  it('marked due during a run wait for the next run', () => {
    const schedule = new UpdateSchedule<Item>();
    const a = item('a');
    schedule.markDue(a);
    const visited: string[] = [];
    schedule.run(0, (visit) => {
      visited.push(visit.name);
      schedule.markDue(visit);
    });
    expect(visited).toEqual(['a']);
    expect(schedule.nextRunAtMs()).toBe(Number.NEGATIVE_INFINITY);
    expect(runAt(schedule, 1)).toEqual(['a']);
    expect(runAt(schedule, 2)).toEqual([]);
  });
});

describe('UpdateSchedule: dropped items', () => {
  it('are never run, whether due or scheduled, and cannot be marked or scheduled again', () => {
    const schedule = new UpdateSchedule<Item>();
    const due = item('due');
    const later = item('later');
    schedule.markDue(due);
    schedule.schedule(later, 8);
    due.dropped = true;
    later.dropped = true;
    expect(runAt(schedule, 100)).toEqual([]);
    schedule.markDue(due);
    schedule.schedule(later, 200);
    expect(due.dueNow).toBe(false);
    expect(later.nextRunMs).toBe(8); // as it was when dropped
    expect(runAt(schedule, 300)).toEqual([]);
  });
});

describe('UpdateSchedule: nextRunAtMs', () => {
  it('is the start of the earliest bucket holding an item', () => {
    const schedule = new UpdateSchedule<Item>();
    expect(schedule.nextRunAtMs()).toBe(Number.POSITIVE_INFINITY);
    schedule.schedule(item('b'), 40);
    schedule.schedule(item('a'), 25);
    schedule.schedule(item('c'), 64);
    expect(schedule.nextRunAtMs()).toBe(32);
    expect(runAt(schedule, 32)).toEqual(['a']);
    expect(schedule.nextRunAtMs()).toBe(40);
    expect(runAt(schedule, 63)).toEqual(['b']);
    expect(schedule.nextRunAtMs()).toBe(64);
  });
});
