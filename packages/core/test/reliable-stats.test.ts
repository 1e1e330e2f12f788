import { describe, expect, it } from 'vitest';
import { LossTracker, RttEstimator, TrafficMeter } from '../src/reliable/stats.js';

describe('RttEstimator (RFC 6298 smoothing, ms)', () => {
  it('reads 0 and reports no sample before the first one', () => {
    const rtt = new RttEstimator();
    expect(rtt.hasSample).toBe(false);
    expect([rtt.smoothedMs, rtt.varianceMs, rtt.bestMs, rtt.worstMs]).toEqual([0, 0, 0, 0]);
  });

  it('takes the first sample as the estimate, with half of it as variance', () => {
    const rtt = new RttEstimator();
    rtt.add(100);
    expect(rtt.hasSample).toBe(true);
    expect(rtt.smoothedMs).toBe(100);
    expect(rtt.varianceMs).toBe(50);
  });

  it('moves the estimate an eighth and the variance a quarter of the way toward each later sample', () => {
    const rtt = new RttEstimator();
    rtt.add(100);
    rtt.add(180);
    // variance: 0.75 × 50 + 0.25 × |100 − 180| = 57.5; smoothed: 0.875 × 100 + 0.125 × 180 = 110.
    expect(rtt.varianceMs).toBe(57.5);
    expect(rtt.smoothedMs).toBe(110);
    rtt.add(30); // a sample below the estimate moves the variance by the same distance
    expect(rtt.varianceMs).toBe(0.75 * 57.5 + 0.25 * 80);
    expect(rtt.smoothedMs).toBe(0.875 * 110 + 0.125 * 30);
  });

  it('reports the best and worst of the recent samples only, whatever their order', () => {
    const rtt = new RttEstimator(3);
    for (const sample of [50, 10, 90]) rtt.add(sample);
    expect([rtt.bestMs, rtt.worstMs]).toEqual([10, 90]);
    rtt.add(40); // 50 leaves the window of three
    expect([rtt.bestMs, rtt.worstMs]).toEqual([10, 90]);
    rtt.add(60); // 10 leaves
    expect([rtt.bestMs, rtt.worstMs]).toEqual([40, 90]);
    rtt.add(70); // 90 leaves
    expect([rtt.bestMs, rtt.worstMs]).toEqual([40, 70]);
  });

  it('keeps 64 recent samples by default', () => {
    const rtt = new RttEstimator();
    rtt.add(1);
    for (let i = 0; i < 63; i++) rtt.add(5);
    expect(rtt.bestMs).toBe(1); // the 64th most recent is still counted
    rtt.add(5);
    expect(rtt.bestMs).toBe(5);
  });

  it('times out at smoothed + 4 × variance, clamped to [min, max], and at the initial value before any sample', () => {
    const rtt = new RttEstimator();
    expect(rtt.timeoutMs(30, 2_000, 500)).toBe(500);
    rtt.add(100); // 100 + 4 × 50 = 300
    expect(rtt.timeoutMs(30, 2_000, 500)).toBe(300);
    expect(rtt.timeoutMs(30, 250, 500)).toBe(250);
    expect(rtt.timeoutMs(400, 2_000, 500)).toBe(400);
  });
});

describe('LossTracker', () => {
  it('is the percentage of lost outcomes in the window, 0 before any', () => {
    const loss = new LossTracker(4);
    expect(loss.percent).toBe(0);
    loss.record(0, true);
    expect(loss.percent).toBe(100);
    loss.record(1, false);
    loss.record(2, false);
    loss.record(3, false);
    expect(loss.percent).toBe(25);
    expect(loss.totalLost).toBe(1);
  });

  it('forgets the oldest outcome once the window is full, but keeps it in the total', () => {
    const loss = new LossTracker(4);
    loss.record(0, true);
    for (let s = 1; s < 4; s++) loss.record(s, false);
    loss.record(4, false); // the loss at 0 leaves the window
    expect(loss.percent).toBe(0);
    expect(loss.totalLost).toBe(1);
    loss.record(5, true);
    loss.record(6, true);
    expect(loss.percent).toBe(50);
    expect(loss.totalLost).toBe(3);
  });

  it('wraps round its ring many times and keeps counting right', () => {
    const loss = new LossTracker(3);
    for (let s = 0; s < 30; s++) loss.record(s, s % 3 === 0);
    expect(loss.percent).toBeCloseTo(100 / 3, 10);
    expect(loss.totalLost).toBe(10);
  });

  it('takes back a recorded loss when its ack arrives late: from the window and the total', () => {
    const loss = new LossTracker(4);
    loss.record(7, false);
    loss.record(8, true);
    loss.record(9, false);
    loss.recant(8);
    expect(loss.percent).toBe(0);
    expect(loss.totalLost).toBe(0);
  });

  it('finds the oldest outcome still in the window, after the ring has wrapped', () => {
    const loss = new LossTracker(3);
    loss.record(1, false);
    loss.record(2, true); // the oldest of the three kept once 4 arrives
    loss.record(3, false);
    loss.record(4, false);
    expect(loss.percent).toBeCloseTo(100 / 3, 10);
    loss.recant(2);
    expect(loss.percent).toBe(0);
  });

  it('takes a loss out of the total only once it left the window, and never touches a delivered outcome', () => {
    const loss = new LossTracker(2);
    loss.record(1, true);
    loss.record(2, true);
    loss.record(3, false); // 1 leaves the window
    expect(loss.percent).toBe(50);
    loss.recant(1); // not in the window: only the total changes
    expect(loss.totalLost).toBe(1);
    expect(loss.percent).toBe(50);
    loss.recant(3); // recorded delivered: the window stays as it is
    expect(loss.percent).toBe(50);
  });

  it('takes back the newest outcome recorded for a sequence, looking back from the newest', () => {
    const loss = new LossTracker(8);
    loss.record(5, true);
    loss.record(6, true);
    loss.record(5, false); // a reused sequence: its newest outcome is a delivery
    loss.recant(5);
    expect(loss.percent).toBe(200 / 3); // neither older loss is taken back
    loss.recant(6);
    expect(loss.percent).toBe(100 / 3);
  });
});

describe('TrafficMeter buckets', () => {
  it('clears exactly the buckets skipped since the last count', () => {
    const meter = new TrafficMeter();
    meter.sent(0, 1);
    meter.sent(100, 2);
    meter.sent(250, 4);
    // Bucket 12 (1_200 ms) reuses the slot of bucket 2 and clears slots 0 and 1 on the way: only 4 remains.
    meter.sent(1_200, 8);
    expect(meter.perSecond(1_200)).toMatchObject({ packetsOut: 1, bytesOut: 8 });
    meter.received(1_299, 3);
    expect(meter.perSecond(1_299)).toEqual({ packetsOut: 1, bytesOut: 8, packetsIn: 1, bytesIn: 3 });
  });

  it('keeps the last nine buckets when moving nine ahead, and none when moving ten', () => {
    const meter = new TrafficMeter();
    meter.sent(50, 1);
    meter.sent(150, 1);
    expect(meter.perSecond(950).packetsOut).toBe(2);
    expect(meter.perSecond(1_050).packetsOut).toBe(1); // bucket 0 cleared, bucket 1 kept
    const fresh = new TrafficMeter();
    fresh.sent(150, 1);
    expect(fresh.perSecond(1_150).packetsOut).toBe(0);
  });

  it('starts and jumps at wall-clock times without walking every bucket in between', () => {
    const meter = new TrafficMeter();
    const epochMs = 1_765_000_000_000; // Date.now() in 2025: 17 billion buckets since 0
    meter.sent(epochMs, 3);
    expect(meter.perSecond(epochMs + 50)).toMatchObject({ packetsOut: 1, bytesOut: 3 });
    meter.received(2 * epochMs, 4);
    expect(meter.perSecond(2 * epochMs)).toEqual({ packetsOut: 0, bytesOut: 0, packetsIn: 1, bytesIn: 4 });
  });

  it('counts from the first call at any time, even one in the first bucket', () => {
    const meter = new TrafficMeter();
    meter.received(5_000, 10);
    expect(meter.perSecond(5_000)).toEqual({ packetsOut: 0, bytesOut: 0, packetsIn: 1, bytesIn: 10 });
    const early = new TrafficMeter();
    early.sent(0, 10);
    expect(early.perSecond(99)).toMatchObject({ packetsOut: 1, bytesOut: 10 });
  });
});
