#!/usr/bin/env node
/**
 * The browser build of @shardline/client: dist/browser/shardline-client.js, one ES module with
 * @shardline/core inside and no import left, plus its source map. Built from the TypeScript sources
 * (the `shardline-source` condition), so it needs no other package built first. With platform
 * 'browser' esbuild cannot resolve Node built-ins, so the build fails if anything in the graph
 * imports one; test/browser-bundle.test.ts checks what it makes. An argument writes elsewhere:
 * `node scripts/bundle-browser.mjs /tmp/out.js` (the test does, so it never reads a half-written dist/).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

await build({
  absWorkingDir: packageDir,
  entryPoints: ['src/index.ts'],
  outfile: process.argv[2] ? resolve(process.argv[2]) : 'dist/browser/shardline-client.js',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  conditions: ['shardline-source'],
  sourcemap: true,
  logLevel: 'warning',
});
