import { type ErrorCode, isShardlineError } from '@shardline/core';
import { expect } from 'vitest';

/** Runs `run` and asserts it throws a ShardlineError with `code`. */
export function expectCode(code: ErrorCode, run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(isShardlineError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    return;
  }
  expect.fail(`expected ${code}, nothing was thrown`);
}
