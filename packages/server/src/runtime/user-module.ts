import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** File names Node 20 cannot import without a TypeScript loader. */
const TYPESCRIPT_FILE = /\.(c|m)?tsx?$/;

/** A module specifier: a path (resolved against the working directory) or a package name. */
function moduleUrl(specifier: string): string {
  return specifier.startsWith('.') || isAbsolute(specifier)
    ? pathToFileURL(resolve(specifier)).href
    : specifier;
}

/**
 * Imports a module the user named on the command line (`--game`, `--bot`): a path, resolved against
 * the working directory, or a package name. A TypeScript file that Node cannot load by itself (Node 20
 * strips no types; a process started through tsx can) is loaded with tsx's `tsImport` when the project
 * has tsx installed; without tsx, the process exits with code 2 and one line saying so.
 */
export async function importUserModule(specifier: string, option: string): Promise<unknown> {
  const url = moduleUrl(specifier);
  try {
    return await import(url);
  } catch (error) {
    const unknownExtension = (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION';
    if (!unknownExtension || !TYPESCRIPT_FILE.test(specifier)) throw error;
  }
  let tsx: { tsImport(specifier: string, parentUrl: string): Promise<unknown> };
  try {
    tsx = (await import('tsx/esm/api')) as typeof tsx;
  } catch {
    process.stderr.write(
      `${option} ${specifier}: a TypeScript module needs tsx (npm install --save-dev tsx), or compile it to JavaScript\n`,
    );
    process.exit(2);
  }
  return tsx.tsImport(url, import.meta.url);
}
