/**
 * The first-game guide cannot rot: its code blocks are the files of examples/first-game (each block
 * follows a `<!-- file: path -->` marker and must equal that file), and the game runs here — the
 * server as `shardline start` runs it, the client as a user runs it (`tsx client.ts <url>`).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_CONFIG, startShardline } from '@shardline/server';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { game } from '../../examples/first-game/server.js';

const ROOT = join(import.meta.dirname, '..', '..');
const guide = readFileSync(join(import.meta.dirname, 'first-game.md'), 'utf8');

describe('the first-game guide', () => {
  it('shows exactly the files of examples/first-game', () => {
    const blocks = [...guide.matchAll(/<!-- file: (\S+) -->\n```ts\n([\s\S]*?)```\n/g)];
    expect(blocks.map(([, path]) => path)).toEqual([
      'examples/first-game/game.ts',
      'examples/first-game/server.ts',
      'examples/first-game/client.ts',
    ]);
    for (const [, path, code] of blocks) expect(code, path).toBe(readFileSync(join(ROOT, path!), 'utf8'));
  });

  it('runs: the client joins, rolls three dice and sees its score in the replicated state', async () => {
    const server = await startShardline(
      {
        ...DEFAULT_CONFIG,
        httpPort: 0,
        udpPort: 0,
        wsPort: 0,
        dataDir: mkdtempSync(join(tmpdir(), 'first-game-')),
      },
      pino({ level: 'silent' }),
      game,
    );
    try {
      const client = join(ROOT, 'examples', 'first-game', 'client.ts');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', '--conditions=shardline-source', client, server.addresses.http],
        { cwd: ROOT, timeout: 30_000 },
      );
      const [rolled, scored] = stdout.trim().split('\n');
      const total = Number(/^rolled (\d+) in world \w+$/.exec(rolled!)?.[1]);
      expect(total).toBeGreaterThanOrEqual(3);
      expect(total).toBeLessThanOrEqual(6 + 12 + 20);
      expect(scored).toMatch(new RegExp(`^guest-[0-9a-f]+ scored ${total}$`));
    } finally {
      await server.stop();
    }
  }, 40_000);
});
