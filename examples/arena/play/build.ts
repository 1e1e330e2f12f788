/**
 * Bundles the arena's browser page (main.ts and what it imports) into play/dist/play.js, where the
 * game's assets point. `npm run build:demo` runs this file; tests call buildDemo().
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const DEMO_BUNDLE = fileURLToPath(new URL('./dist/play.js', import.meta.url));

export async function buildDemo(): Promise<void> {
  await build({
    entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
    outfile: DEMO_BUNDLE,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    // The workspace packages' TypeScript sources, as in development.
    conditions: ['shardline-source'],
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDemo();
