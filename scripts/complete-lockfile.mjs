#!/usr/bin/env node
/**
 * Run after `npm install` changes package-lock.json (npm run lockfile).
 *
 * The registry reachable from our machines does not carry every platform's build of packages such as
 * @biomejs/cli-*, @rollup/rollup-* or @esbuild/*. `npm install` then silently leaves those optional
 * packages out of package-lock.json, and `npm ci` refuses the lock as out of sync. This adds an entry
 * for each optional dependency the lock lacks, marked optional, so `npm ci` accepts the lock and skips
 * what it cannot install, exactly as `npm install` did. See docs/decisions/0004-lockfile.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = location ? `${location}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    packages[`node_modules/${name}`] = {
      version: range.replace(/^[\^~=]/, ''),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
    };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(path, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
console.log(`package-lock.json: added ${added} optional entries the registry could not provide`);
