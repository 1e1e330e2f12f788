import { defineConfig } from 'vitest/config';

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
    ],
    pool: 'threads',
  },
});
