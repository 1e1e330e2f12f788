/**
 * `npm test` without a Chromium: the browser tests are left out with a notice naming the fix, unless
 * SHARDLINE_REQUIRE_BROWSER=1 (CI), which fails the run. Checked on the real config, by listing the
 * files vitest would run.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planBrowserTests } from './support/browser-tests.js';

const ROOT = join(import.meta.dirname, '..');
const MISSING = join(ROOT, 'no-such-dir', 'chromium');

/** `vitest list --filesOnly` under `env`: its exit code, the files it would run, and what it printed. */
function listTestFiles(env: Record<string, string>) {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'list', '--filesOnly'],
    {
      cwd: ROOT,
      env: { ...process.env, SHARDLINE_REQUIRE_BROWSER: '', ...env },
      encoding: 'utf8',
    },
  );
  return { status: run.status, files: run.stdout.split('\n'), output: run.stdout + run.stderr };
}

describe('the browser tests without a Chromium', () => {
  it('are left out of the run with a notice that names the fix', () => {
    const plan = planBrowserTests({ CHROMIUM_PATH: MISSING });
    expect(plan.exclude).toEqual(['**/browser.test.ts', '**/*.browser.test.ts']);
    expect(plan.notice).toBe(
      `browser tests skipped: no Chromium at ${MISSING}: apt-get install -y chromium (or set CHROMIUM_PATH); SHARDLINE_REQUIRE_BROWSER=1 makes this an error`,
    );
    const listed = listTestFiles({ CHROMIUM_PATH: MISSING });
    expect(listed.status).toBe(0);
    expect(listed.files).not.toContain('examples/arena/browser.test.ts');
    expect(listed.files).toContain('test/browser-tests.test.ts');
    expect(listed.output).toContain(plan.notice);
  }, 60_000);

  it('fail the run when SHARDLINE_REQUIRE_BROWSER=1', () => {
    expect(() => planBrowserTests({ CHROMIUM_PATH: MISSING, SHARDLINE_REQUIRE_BROWSER: '1' })).toThrow(
      `the browser tests must run (SHARDLINE_REQUIRE_BROWSER=1), but there is no Chromium at ${MISSING}`,
    );
    const listed = listTestFiles({ CHROMIUM_PATH: MISSING, SHARDLINE_REQUIRE_BROWSER: '1' });
    expect(listed.status).not.toBe(0);
    expect(listed.output).toContain('the browser tests must run (SHARDLINE_REQUIRE_BROWSER=1)');
  }, 60_000);

  it('are run when there is one', () => {
    // Only the file's existence is looked at here; the browser tests themselves launch it.
    const present = { CHROMIUM_PATH: process.execPath, SHARDLINE_REQUIRE_BROWSER: '1' };
    expect(planBrowserTests(present)).toEqual({ exclude: [], notice: undefined });
    const listed = listTestFiles(present);
    expect(listed.status).toBe(0);
    expect(listed.files).toContain('examples/arena/browser.test.ts');
    expect(listed.output).not.toContain('browser tests skipped');
  }, 60_000);
});
