import { describe, expect, it } from 'vitest';
import { runArena } from './arena.js';

/**
 * End to end through the link conditioner: bots predicting themselves, interpolating each other and
 * shooting, over a broadband-like link (75 ms each way, 20 ms jitter, 5% loss), 15 simulated seconds.
 */
describe('the feel arena over a lossy, jittery link', () => {
  it('answers input at once, barely corrects, rarely guesses, and judges shots as the shooter saw them', () => {
    const result = runArena({ latencyMs: 75, jitterMs: 20, lossPercent: 5 }, 4, 15, 11);
    expect(result.inputDelayFrames).toBe(0);
    expect(result.reconciliations).toBeGreaterThan(500);
    expect(result.p99Correction).toBeLessThan(0.1);
    expect(result.frames).toBeGreaterThan(2_000);
    expect(result.stallFraction).toBeLessThan(0.02);
    expect(result.shots).toBeGreaterThan(50);
    expect(result.hitConfirmed).toBeGreaterThanOrEqual(0.95);
    expect(result.missConfirmed).toBe(0);
  });
});
