/**
 * The folders mutation testing covers (npm run test:mutation), each run on its own against its own
 * tests: a folder's unit tests must notice a broken check in it, and running only them keeps a
 * folder's run to minutes (every test that merely passes through the folder would multiply it).
 */
export const MUTATION_FOLDERS = {
  wire: {
    source: 'packages/core/src/wire',
    tests: ['packages/core/test/bitstream.test.ts', 'packages/core/test/wire-*.test.ts'],
  },
  reliable: { source: 'packages/core/src/reliable', tests: ['packages/core/test/reliable*.test.ts'] },
  connection: {
    source: 'packages/core/src/connection',
    tests: ['packages/core/test/connection*.test.ts'],
  },
} as const;

export type MutationFolder = keyof typeof MUTATION_FOLDERS;

export function isMutationFolder(name: string): name is MutationFolder {
  return Object.hasOwn(MUTATION_FOLDERS, name);
}

/** The environment variable through which run.ts tells vitest.config.ts which tests to run. */
export const MUTATION_TESTS_VARIABLE = 'SHARDLINE_MUTATION_TESTS';
