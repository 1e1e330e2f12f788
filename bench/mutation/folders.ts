/** The folders mutation testing covers (npm run test:mutation), each run on its own. */
export const MUTATION_FOLDERS = {
  wire: 'packages/core/src/wire',
  reliable: 'packages/core/src/reliable',
  connection: 'packages/core/src/connection',
} as const;

export type MutationFolder = keyof typeof MUTATION_FOLDERS;

export function isMutationFolder(name: string): name is MutationFolder {
  return Object.hasOwn(MUTATION_FOLDERS, name);
}
