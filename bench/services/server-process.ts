import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', '..', 'packages', 'server', 'src', 'cli.ts');
/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/** A `shardline start` process running the bench game, and its CPU time so far. */
export interface ServerProcess {
  http: string;
  /** Seconds of CPU (user + system) the process has used. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** Starts `shardline start --game bench/services/game.ts` with `config`; resolves once it listens. */
export async function startServerProcess(
  config: Record<string, unknown>,
  configFile: string,
): Promise<ServerProcess> {
  writeFileSync(configFile, JSON.stringify(config));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // SL_CPU_PROFILE=dir writes the server's CPU profile there (for experiments).
      ...(process.env.SL_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SL_CPU_PROFILE}`] : []),
      '--import',
      'tsx',
      '--conditions=shardline-source',
      CLI,
      'start',
      '--config',
      configFile,
      '--game',
      join(HERE, 'game.ts'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const http = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      for (const line of output.split('\n')) {
        if (!line.includes('"listening"')) continue;
        resolve((JSON.parse(line) as { http: string }).http);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return {
    http,
    cpuSeconds() {
      // Fields after the command name: state is the 1st, utime the 12th, stime the 13th.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
