import { type ErrorCode, isShardlineError } from '@shardline/core';
import { expect } from 'vitest';

/** Runs `run` and asserts it throws a ShardlineError with `code` whose message is exactly `message`. */
export function expectError(code: ErrorCode, message: string, run: () => unknown): void {
  try {
    run();
  } catch (error) {
    expect(isShardlineError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
    expect((error as Error).message).toBe(`${code}: ${message}`);
    return;
  }
  expect.fail(`expected ${code}, nothing was thrown`);
}
