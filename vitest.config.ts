import { configDefaults, defineConfig } from 'vitest/config';
import { planBrowserTests } from './test/support/browser-tests.js';

// Without a Chromium the browser tests are left out, said at the start and again at the end of the
// run (test/support/browser-tests.ts); SHARDLINE_REQUIRE_BROWSER=1 makes that an error instead.
const browserTests = planBrowserTests(process.env);
const notice = browserTests.notice && `\n⚠ ${browserTests.notice}\n`;
if (notice) console.warn(notice);

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the "shardline-source" export condition).
  // No 'import' here: the list also reaches Node's own resolver, where it would make CommonJS
  // packages (pg) require the ESM builds of their dependencies.
  resolve: { conditions: ['shardline-source', 'module', 'default'] },
  ssr: { resolve: { conditions: ['shardline-source', 'module', 'node', 'default'] } },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'docs/**/*.test.ts',
      'bench/**/*.test.ts',
      'examples/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: [...configDefaults.exclude, ...browserTests.exclude],
    reporters: notice ? ['default', { onFinished: () => console.warn(notice) }] : ['default'],
    pool: 'threads',
  },
});
