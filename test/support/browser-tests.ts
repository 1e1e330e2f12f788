/**
 * Whether `npm test` runs the browser tests: files named `browser.test.ts` or `*.browser.test.ts`,
 * which drive Chromium through playwright-core. vitest.config.ts asks this once per run.
 *
 * Without a Chromium they are left out with a notice naming the fix, so `npm test` passes on a
 * machine that lacks one; with SHARDLINE_REQUIRE_BROWSER=1 (what .ci/run sets) a missing Chromium
 * fails the run instead, so CI never passes without them.
 */
import { existsSync } from 'node:fs';

/** Test files that need a browser. */
export const BROWSER_TEST_FILES = ['**/browser.test.ts', '**/*.browser.test.ts'];

/** Where the browser tests look for Chromium (examples/arena/browser.test.ts reads the same variable). */
export function chromiumPath(env: NodeJS.ProcessEnv): string {
  return env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

export interface BrowserTestsPlan {
  /** Globs to leave out of the run (none when a Chromium is there). */
  exclude: string[];
  /** Why they are left out and how to bring them back, when they are. */
  notice: string | undefined;
}

/** Throws when SHARDLINE_REQUIRE_BROWSER=1 and there is no Chromium at chromiumPath(env). */
export function planBrowserTests(env: NodeJS.ProcessEnv): BrowserTestsPlan {
  const chromium = chromiumPath(env);
  if (existsSync(chromium)) return { exclude: [], notice: undefined };
  const fix = `no Chromium at ${chromium}: apt-get install -y chromium (or set CHROMIUM_PATH)`;
  if (env.SHARDLINE_REQUIRE_BROWSER === '1')
    throw new Error(`the browser tests must run (SHARDLINE_REQUIRE_BROWSER=1), but there is ${fix}`);
  return {
    exclude: BROWSER_TEST_FILES,
    notice: `browser tests skipped: ${fix}; SHARDLINE_REQUIRE_BROWSER=1 makes this an error`,
  };
}
