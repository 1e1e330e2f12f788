import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the "shardline-source" export condition).
  resolve: { conditions: ['shardline-source', 'import', 'module', 'default'] },
  ssr: { resolve: { conditions: ['shardline-source', 'import', 'module', 'node', 'default'] } },
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
