/**
 * API size benchmark (npm run bench:api): the same small game — one entity kind, one RPC with a
 * reply, a Node client that joins, calls it and watches state — written with Shardline
 * (examples/first-game, also the guide's first game) and with Colyseus 0.16 (bench/api/colyseus-dice).
 * Both are run here, end to end, so neither count is of code that does not work; then their lines
 * are counted: code lines (not blank, not comments) and, of those, wiring (lines that only connect
 * a client, a server, a transport or a room, by the patterns listed in the results).
 * Writes bench/results/api.json and api.md.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_CONFIG, startShardline } from '@shardline/server';
import { pino } from 'pino';
import { game } from '../../examples/first-game/server.js';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { listen } from './colyseus-dice/server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

interface Stack {
  name: string;
  files: string[];
  /** Lines that only wire things together. */
  wiring: RegExp[];
}

const STACKS: Stack[] = [
  {
    name: 'Shardline',
    files: ['examples/first-game/game.ts', 'examples/first-game/server.ts', 'examples/first-game/client.ts'],
    wiring: [
      /new ShardlineClient\(/,
      /await client\.join\(/,
      /serveWorld\(/,
      /: ShardlineGame = \{/,
      /^\s*worlds: \[$/,
    ],
  },
  {
    name: 'Colyseus 0.16',
    files: [
      'bench/api/colyseus-dice/room.ts',
      'bench/api/colyseus-dice/server.ts',
      'bench/api/colyseus-dice/client.ts',
    ],
    wiring: [
      /new Client\(/,
      /joinOrCreate/,
      /new Server\(/,
      /\.define\(/,
      /server\.listen\(/,
      /export async function listen/,
      /process\.argv\[1\] === import\.meta\.filename/,
      /this\.setState\(/,
      /return server;/,
    ],
  },
];

/** Code lines of a file: not blank, not a comment line. */
function codeLines(file: string): string[] {
  return readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => {
      // A closing brace alone counts: both stacks' code is formatted the same way, by Biome.
      const text = line.trim();
      return text !== '' && !/^(\/\/|\/\*|\*)/.test(text);
    });
}

const run = promisify(execFile);
const TSX = ['--import', 'tsx', '--conditions=shardline-source'];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Runs each stack's client against its server; returns what each printed last. */
async function play(): Promise<Record<string, string>> {
  const shardline = await startShardline(
    {
      ...DEFAULT_CONFIG,
      httpPort: 0,
      udpPort: 0,
      wsPort: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'api-bench-')),
    },
    pino({ level: 'silent' }),
    game,
  );
  const port = await freePort();
  const colyseus = await listen(port);
  try {
    const client = (file: string, url: string) =>
      run(process.execPath, [...TSX, join(ROOT, file), url], { cwd: ROOT, timeout: 30_000 });
    const [ours, theirs] = await Promise.all([
      client('examples/first-game/client.ts', shardline.addresses.http),
      client('bench/api/colyseus-dice/client.ts', `ws://127.0.0.1:${port}`),
    ]);
    return { Shardline: ours.stdout.trim(), 'Colyseus 0.16': theirs.stdout.trim() };
  } finally {
    await shardline.stop();
    await colyseus.gracefullyShutdown(false);
  }
}

const played = await play();
for (const [name, output] of Object.entries(played)) {
  if (!/scored (\d+)$/.test(output)) throw new Error(`${name}'s client did not finish: ${output}`);
}

const rows = STACKS.map((stack) => {
  const perFile = stack.files.map((file) => {
    const lines = codeLines(file);
    return {
      file,
      code: lines.length,
      wiring: lines.filter((line) => stack.wiring.some((re) => re.test(line))),
    };
  });
  return {
    stack: stack.name,
    files: perFile.map(({ file, code, wiring }) => ({ file, code, wiring: wiring.length })),
    code: perFile.reduce((sum, file) => sum + file.code, 0),
    wiring: perFile.reduce((sum, file) => sum + file.wiring.length, 0),
    wiringLines: perFile.flatMap((file) => file.wiring.map((line) => line.trim())),
    output: played[stack.name]!,
  };
});

const table = markdownTable(
  ['stack', 'files', 'code lines', 'wiring lines', 'the client printed'],
  rows.map((row) => [
    row.stack,
    row.files.map((file) => `${file.file} (${file.code})`).join('<br>'),
    String(row.code),
    String(row.wiring),
    row.output.split('\n').join('<br>'),
  ]),
);
const [ours, theirs] = rows;
const ratios = { codeVsColyseus: ours!.code / theirs!.code, wiringLines: ours!.wiring };
console.log(table);
console.log(ratios);

const markdown = `# bench:api

The same small game written with each stack — one entity kind (a player with a name and a score),
one RPC with a reply (roll a die, add it to the caller's score), a Node client that joins, calls it
three times and waits until the replicated state shows its score — run end to end in this run, then
counted. Code lines exclude blank and comment lines; both stacks' files are formatted by Biome.
Shardline's server runs under \`shardline start --game\`, which needs no code; Colyseus needs a
server entry (\`server.ts\`), counted here. Validation is equal: Shardline's declared parameter range
(2–20 sides, a whole number) is written out by hand in the Colyseus room.

${table}

- Shardline code lines / Colyseus code lines: ${ratios.codeVsColyseus.toFixed(2)}
- Shardline wiring lines: ${ours!.wiring} (target ≤ 5: ${ours!.wiring <= 5 ? 'met' : 'MISSED'}); Colyseus: ${theirs!.wiring}

Wiring lines, as matched:

${rows.map((row) => `- ${row.stack}: ${row.wiringLines.map((line) => `\`${line}\``).join(', ')}`).join('\n')}

What the counts leave out: Shardline's RPC and state are typed from the shared declaration (a wrong
parameter or a misspelled field fails to compile, and the server refuses an out-of-range value before
the handler runs); Colyseus's messages are untyped strings and payloads, and its request/reply is
hand-made (replies matched to requests in order).
`;
writeResults('api', { environment: environment(), rows, ...ratios }, markdown);
