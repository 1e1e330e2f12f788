/**
 * The browser build of @shardline/client (packages/client/scripts/bundle-browser.mjs, shipped as
 * `@shardline/client/browser`): one ES module that needs nothing else — no import left, so no Node
 * built-in — and exports the browser API.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '..', 'packages', 'client', 'scripts', 'bundle-browser.mjs');
const directory = mkdtempSync(join(tmpdir(), 'shardline-bundle-'));
const bundle = join(directory, 'shardline-client.js');
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('the browser bundle of @shardline/client', () => {
  it('imports nothing (so no Node built-in), and exports the client without the Node transports', async () => {
    execFileSync(process.execPath, [SCRIPT, bundle]);
    // esbuild reads the bundle as a browser build would and lists every import it makes.
    const { metafile } = await build({
      entryPoints: [bundle],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
    });
    const [input] = Object.values(metafile.inputs);
    expect(Object.keys(metafile.inputs)).toHaveLength(1);
    expect(input!.imports).toEqual([]);

    const client = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
    for (const name of [
      'GameClient',
      'WebSocketClientTransport',
      'ShardlineClient',
      'ClientWorld',
      'defineEntity',
    ])
      expect(typeof client[name], name).toBe('function');
    expect(client.UdpClientTransport).toBeUndefined(); // @shardline/client/node only
  }, 60_000);

  it('fails to build if the client graph imports a Node built-in', async () => {
    // What the bundle script's settings do with one: platform 'browser' cannot resolve it.
    const attempt = build({
      stdin: {
        contents: "import { createSocket } from 'node:dgram'; export { createSocket };",
        loader: 'ts',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      logLevel: 'silent',
    });
    await expect(attempt).rejects.toThrow(/node:dgram/);
  });
});
