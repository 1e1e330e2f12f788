import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const corePackage = new URL('../package.json', import.meta.url);

describe('browser-safe packages', () => {
  it('@shardline/core has no runtime dependencies', () => {
    const manifest = JSON.parse(readFileSync(corePackage, 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies ?? {}).toEqual({});
  });

  it.each([
    ['@shardline/core', '../src/index.ts'],
    ['@shardline/client', '../../client/src/index.ts'],
  ])('%s bundles for the browser without Node built-ins', async (_name, entry) => {
    const result = await build({
      entryPoints: [new URL(entry, import.meta.url).pathname],
      conditions: ['shardline-source'],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.map((i) => i.path),
    );
    expect(
      imports.filter((path) => path.startsWith('node:') || /^(fs|path|crypto|buffer)$/.test(path)),
    ).toEqual([]);
    expect(result.errors).toEqual([]);
  });
});
