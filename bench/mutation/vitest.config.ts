import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The test set mutation testing runs: core's own tests. Stryker copies the project into a sandbox and
// mutates the copy, but `@shardline/core` would resolve through node_modules (a link to the original
// checkout) to unmutated sources, so the alias points it at the sandbox's own src.
const coreSource = fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url));

export default defineConfig({
  resolve: { alias: { '@shardline/core': coreSource } },
  test: {
    include: ['packages/core/test/**/*.test.ts'],
    // Stryker's instrumented code runs several times slower; property tests need the room.
    testTimeout: 60_000,
    root: fileURLToPath(new URL('../..', import.meta.url)),
  },
});
