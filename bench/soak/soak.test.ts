import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('the soak, short form', () => {
  it('keeps 10 arena bots over UDP and WebSocket for 40 s: none fails, drops or rejoins, nothing logged as an error', () => {
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=shardline-source',
        'bench/soak/run.ts',
        '--minutes',
        String(40 / 60),
        '--bots',
        '10',
        '--check',
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.stdout).toMatch(/botsDropped: 0 \(target 0; 0 failed to join\), errorsLogged: 0/);
    expect(run.stdout).toMatch(/\| udp \| 5 \| 0 \| 0 \| 0 \|/);
    expect(run.stdout).toMatch(/\| websocket \| 5 \| 0 \| 0 \| 0 \|/);
    expect(run.status, run.stdout + run.stderr).toBe(0);
  }, 150_000);
});
