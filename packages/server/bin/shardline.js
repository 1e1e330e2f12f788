#!/usr/bin/env node
/**
 * The `shardline` command (package.json `bin`): runs dist/cli.js. It lives outside dist/ because npm
 * links a package's bins only if their files exist when it installs, and in a clone of the Shardline
 * repository dist/ is built afterwards (by the root `prepare` script that `npm ci` runs).
 */
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    'shardline: @shardline/server is not built (no dist/cli.js); in the Shardline repository run `npm run build`\n',
  );
  process.exit(2);
}
await import(cli.href);
