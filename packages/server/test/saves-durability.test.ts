import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openSavesStore, openSqlite, type ServiceDatabase } from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL, throwawayPostgres } from './support/postgres.js';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = (path: string) => pathToFileURL(join(SERVER, 'src', path)).href;

/** Save n's bytes: 48 KiB, different for every n. WRITER's `payload` is the same function. */
const payload = (n: number) =>
  Uint8Array.from({ length: 48 * 1024 }, (_, index) => (index * 31 + n * 7 + (index >> 10)) & 255);

/**
 * The child process: opens the saves store (SQLite file or Postgres schema, from SAVES_WRITER) and
 * writes save 1, 2, 3… to one slot as fast as it can, printing `acked <version>` once each write
 * has returned. It never stops by itself before 15 s: the test kills it mid-stream.
 */
const WRITER = `
const [{ writeSync }, { openSqlite }, { openPostgres }, { openSavesStore }, { SavesService }] = await Promise.all([
  import('node:fs'),
  import(${JSON.stringify(source('store/sqlite.ts'))}),
  import(${JSON.stringify(source('store/postgres.ts'))}),
  import(${JSON.stringify(source('services/saves/open-saves-store.ts'))}),
  import(${JSON.stringify(source('services/saves/saves-service.ts'))}),
]);
const payload = (n) => Uint8Array.from({ length: 48 * 1024 }, (_, index) => (index * 31 + n * 7 + (index >> 10)) & 255);
const { kind, file, url, schema } = JSON.parse(process.env.SAVES_WRITER);
const database =
  kind === 'sqlite' ? { kind, database: openSqlite(file) } : { kind, pool: await openPostgres({ url, schema }) };
const saves = new SavesService(await openSavesStore(database));
setTimeout(() => process.exit(2), 15_000);
for (let n = 1; ; n++) {
  const meta = await saves.write('player-1', 'autosave', { title: 'save ' + n, data: payload(n) });
  writeSync(1, 'acked ' + meta.version + '\\n');
  await new Promise((resolve) => setImmediate(resolve));
}
`;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/**
 * Runs WRITER on `target`, SIGKILLs it the moment it acknowledges version 3 (likely mid-way through
 * writing 4), and returns the highest version it had acknowledged by then.
 */
async function writeThenKill(target: Record<string, string>): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=shardline-source', '--input-type=module', '-e', WRITER],
    {
      cwd: SERVER,
      env: { ...process.env, SAVES_WRITER: JSON.stringify(target) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      if (/^acked [3-9]/m.test(stdout)) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`the writer ended without an ack; stderr: ${stderr}`)));
  });
  expect(await exited).toBe('SIGKILL');
  const acked = [...stdout.matchAll(/^acked (\d+)$/gm)].map((match) => Number(match[1]));
  expect(acked.length).toBeGreaterThan(0);
  return Math.max(...acked);
}

/** The slot as the reopened store has it: at least the acknowledged version, whole and intact. */
async function expectSurvived(database: ServiceDatabase, acked: number): Promise<void> {
  const save = (await (await openSavesStore(database)).read('player-1', 'autosave'))!;
  expect(save.version).toBeGreaterThanOrEqual(acked);
  expect(save.title).toBe(`save ${save.version}`);
  expect(Buffer.from(save.data).equals(payload(save.version))).toBe(true);
  expect(save.checksum).toBe(createHash('sha256').update(save.data).digest('hex'));
}

describe('an acknowledged save survives SIGKILL of the process that wrote it', () => {
  it('on SQLite (WAL, synchronous NORMAL)', { timeout: 30_000 }, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'shardline-saves-')), 'shardline.db');
    const acked = await writeThenKill({ kind: 'sqlite', file });
    const database = openSqlite(file);
    try {
      expect(database.pragma('integrity_check', { simple: true })).toBe('ok');
      await expectSurvived({ kind: 'sqlite', database }, acked);
    } finally {
      database.close();
    }
  });

  it('on Postgres', { timeout: 30_000 }, async () => {
    const throwaway = await throwawayPostgres();
    try {
      const acked = await writeThenKill({
        kind: 'postgres',
        url: TEST_POSTGRES_URL,
        schema: throwaway.schema,
      });
      await expectSurvived({ kind: 'postgres', pool: throwaway.pool }, acked);
    } finally {
      await throwaway.drop();
    }
  });
});
