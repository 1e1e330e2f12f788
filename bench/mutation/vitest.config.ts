import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { MUTATION_TESTS_VARIABLE } from './folders.js';

// The tests mutation testing runs: the mutated folder's own (run.ts names them, comma-separated), or
// all of core's. Stryker copies the project into a sandbox and mutates the copy, but `@shardline/core`
// would resolve through node_modules (a link to the original checkout) to unmutated sources, so the
// alias points it at the sandbox's own src.
const coreSource = fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url));
const tests = process.env[MUTATION_TESTS_VARIABLE]?.split(',') ?? ['packages/core/test/**/*.test.ts'];

export default defineConfig({
  resolve: { alias: { '@shardline/core': coreSource } },
  test: {
    include: tests,
    // Stryker's instrumented code runs several times slower; property tests need the room.
    testTimeout: 60_000,
    root: fileURLToPath(new URL('../..', import.meta.url)),
  },
});
