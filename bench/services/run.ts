/**
 * Online services benchmark (npm run bench:services): a `shardline start` process (the bench game,
 * one leaderboard) driven over HTTP on loopback by autocannon, on SQLite and on Postgres, with the
 * leaderboard seeded to each size in SL_SIZES (default 100k and 1M entries):
 * - submits: POST a score (best kept) as one of 64 signed-in users;
 * - reads: GET the top 10 and GET the 10 around me, in turn (each a request);
 * - pages: GET 10 entries at a random offset anywhere in the board (rows mostly not read before);
 * - saves: PUT a 4 KB save with its checksum;
 * - logins: POST name and password (argon2id: deliberately about 125 ms of CPU each).
 * Figures per window: requests/s, p50/p99 latency, and requests per second of the server's CPU,
 * which is what Nakama's published figure (500–635 requests/s per CPU) is compared with.
 * Writes bench/results/services.json and services.md. SL_SECONDS sets each window (default 8),
 * SL_SIZES and SL_STORES narrow the runs, SL_CPU_PROFILE=dir profiles the server (experiments).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { BENCH_BOARD } from './game.js';
import { type LoadResult, load, type RequestMaker } from './load.js';
import { type StoreKind, seedLeaderboard, storeConfig } from './seed.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

const SECONDS = Number(process.env.SL_SECONDS ?? 8);
const SIZES = (process.env.SL_SIZES ?? '100000,1000000').split(',').map(Number);
const STORES = (process.env.SL_STORES ?? 'sqlite,postgres').split(',') as StoreKind[];
/** SL_SCENARIOS=reads,submits runs only those (for experiments); all by default. */
const ONLY = process.env.SL_SCENARIOS?.split(',');
const USERS = 64;
const CONNECTIONS = 32;
/** Nakama's published throughput for register, login and RPC calls, requests per second per CPU. */
const NAKAMA_PER_CPU = { low: 500, high: 635 };
const TARGET_RATIO = 10;

interface Run extends LoadResult {
  store: StoreKind;
  entries: number;
  scenario: 'submits' | 'reads' | 'pages' | 'saves' | 'logins';
}

async function post<T>(server: ServerProcess, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${server.http}/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Cycles through `items`: each call gives the next. */
function cycle<T>(items: readonly T[]): () => T {
  let next = 0;
  return () => items[next++ % items.length]!;
}

async function scenarios(server: ServerProcess, store: StoreKind, entries: number): Promise<Run[]> {
  const tokens: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const signedIn = await post<{ accessToken: string }>(server, '/accounts/device', {
      deviceId: `bench-device-${i}`,
    });
    tokens.push(signedIn.accessToken);
  }
  const auth = cycle(tokens.map((token) => ({ authorization: `Bearer ${token}` })));
  // Every bench user has a score somewhere in the board, so around-me reads land all over it.
  for (const headers of tokens.map(() => auth())) {
    await fetch(`${server.http}/v1/leaderboards/${BENCH_BOARD}/scores`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ score: Math.floor(Math.random() * 1_000_000) }),
    });
  }
  const runs: Run[] = [];
  const measure = async (scenario: Run['scenario'], makers: RequestMaker[], connections = CONNECTIONS) => {
    if (ONLY && !ONLY.includes(scenario)) return;
    const result = await load(server, makers, { connections, seconds: SECONDS });
    runs.push({ store, entries, scenario, ...result });
    console.log(
      `${store} ${entries} ${scenario}: ${result.perSecond.toFixed(0)}/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.perCpu.toFixed(0)}/CPU-s, failures ${result.failures}`,
    );
  };
  await measure('submits', [
    {
      method: 'POST',
      path: () => `/v1/leaderboards/${BENCH_BOARD}/scores`,
      headers: auth,
      body: () => JSON.stringify({ score: Math.floor(Math.random() * 1_000_000) }),
    },
  ]);
  await measure('reads', [
    { method: 'GET', path: () => `/v1/leaderboards/${BENCH_BOARD}/top?limit=10`, headers: auth },
    { method: 'GET', path: () => `/v1/leaderboards/${BENCH_BOARD}/around-me?limit=10`, headers: auth },
  ]);
  // Pages anywhere in the board: mostly rows this process has not read yet (the uncached path).
  await measure('pages', [
    {
      method: 'GET',
      path: () =>
        `/v1/leaderboards/${BENCH_BOARD}/top?limit=10&offset=${Math.floor(Math.random() * (entries - 10))}`,
      headers: () => ({}),
    },
  ]);
  if (entries === SIZES[0]) {
    const data = Buffer.alloc(4096, 7);
    const checksum = (await import('node:crypto')).createHash('sha256').update(data).digest('hex');
    const body = JSON.stringify({ title: 'bench', data: data.toString('base64'), checksum });
    await measure('saves', [
      { method: 'PUT', path: () => '/v1/saves/bench', headers: auth, body: () => body },
    ]);
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const username = `bench_login_${i}`;
      await post(server, '/accounts/register', { username, password: 'correct horse battery' });
      names.push(username);
    }
    const name = cycle(names);
    await measure(
      'logins',
      [
        {
          method: 'POST',
          path: () => '/v1/accounts/login',
          headers: () => ({}),
          body: () => JSON.stringify({ username: name(), password: 'correct horse battery' }),
        },
      ],
      4,
    );
  }
  return runs;
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  for (const store of STORES) {
    for (const entries of SIZES) {
      const dataDir = mkdtempSync(join(tmpdir(), 'shardline-bench-'));
      const config = {
        httpPort: 0,
        udpPort: 0,
        wsPort: 0,
        dataDir,
        devTokens: false,
        logLevel: 'info',
        rateLimits: { perIpPerMinute: 10_000_000, perUserPerMinute: 10_000_000 },
        ...(await storeConfig(store)),
      };
      const seeded = await seedLeaderboard(store, config, entries);
      console.log(`${store}: seeded ${entries} entries in ${seeded.seconds.toFixed(1)} s`);
      const server = await startServerProcess(config, join(dataDir, 'config.json'));
      try {
        runs.push(...(await scenarios(server, store, entries)));
      } finally {
        await server.stop();
        await seeded.dispose();
      }
    }
  }
  report(runs);
}

function report(runs: Run[]): void {
  const headline = (scenario: Run['scenario']) =>
    runs.find(
      (run) => run.store === 'sqlite' && run.scenario === scenario && run.entries === Math.max(...SIZES),
    );
  const submits = headline('submits');
  const reads = headline('reads');
  const json = {
    environment: { ...environment(), seconds: SECONDS, connections: CONNECTIONS, users: USERS },
    nakamaPerCpu: NAKAMA_PER_CPU,
    headlineEntries: Math.max(...SIZES),
    submitsPerSecSqlite: submits?.perSecond,
    readsPerSecSqlite: reads?.perSecond,
    submitsPerCpuSqlite: submits?.perCpu,
    readsPerCpuSqlite: reads?.perCpu,
    submitsPerCpuVsNakama: submits && submits.perCpu / NAKAMA_PER_CPU.high,
    readsPerCpuVsNakama: reads && reads.perCpu / NAKAMA_PER_CPU.high,
    target: `≥ ${TARGET_RATIO}× Nakama's ${NAKAMA_PER_CPU.high} requests/s per CPU for submits and reads on SQLite`,
    runs,
  };
  const table = markdownTable(
    [
      'store',
      'entries',
      'scenario',
      'requests/s',
      'p50 ms',
      'p99 ms',
      'server CPU s',
      'requests per CPU s',
      'vs Nakama (635/CPU)',
      'failures',
    ],
    runs.map((run) => [
      run.store,
      run.entries.toLocaleString('en'),
      run.scenario,
      run.perSecond.toFixed(0),
      String(run.p50Ms),
      String(run.p99Ms),
      run.serverCpuSeconds.toFixed(1),
      run.perCpu.toFixed(0),
      `${(run.perCpu / NAKAMA_PER_CPU.high).toFixed(1)}×`,
      String(run.failures),
    ]),
  );
  const markdown = `# Online services benchmark

\`npm run bench:services\`: one \`shardline start\` process, driven over HTTP on loopback by autocannon
(${CONNECTIONS} connections, ${SECONDS} s per window, ${USERS} signed-in users) on the same 2-core machine.
"Requests per CPU s" divides the requests answered by the server process's CPU time (user + system),
the unit of Nakama's published 500–635 requests/s per CPU. Reads alternate top-10 and around-me (10)
requests: after the first of each, their rows come from the server's memory (the top page, and each
of the ${USERS} users' own window), as they would for players looking at their place again and again.
"Pages" reads 10 entries at a random offset anywhere in the board: mostly rows not read before, so a
database query each. Logins verify an argon2id hash (about 125 ms of CPU each, on purpose). On
Postgres, the server CPU counted is the Node process's only (Postgres's own backends are not).

${table}

Headline (SQLite, ${Math.max(...SIZES).toLocaleString('en')} entries): submits ${json.submitsPerCpuSqlite?.toFixed(0)} per CPU second
(${json.submitsPerCpuVsNakama?.toFixed(1)}× Nakama), reads ${json.readsPerCpuSqlite?.toFixed(0)} per CPU second
(${json.readsPerCpuVsNakama?.toFixed(1)}× Nakama); target ${json.target}.

${Object.entries(json.environment)
  .map(([key, value]) => `- ${key}: ${value}`)
  .join('\n')}
`;
  writeResults('services', json, markdown);
  console.log(`\n${table}`);
}

await main();
