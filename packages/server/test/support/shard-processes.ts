import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `shardline …` as real processes, from source (tsx, the shardline-source condition), their JSON
 * log lines parsed as they come: what the multi-process cluster tests and the portal chaos run and
 * benchmark (bench/migrate) start, kill -9 and restart.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
/** The CLI's source file. */
export const CLI = join(HERE, '..', '..', 'src', 'cli.ts');

/** The NATS URL the tests use (SHARDLINE_NATS_URL, default 127.0.0.1:4222), as nats://host:port. */
export const NATS = `nats://${process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222'}`.replace(
  'nats://nats://',
  'nats://',
);

export type LogEntry = Record<string, unknown>;

export interface ShardlineProcess {
  child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Every JSON log line so far, parsed. */
  logs(): LogEntry[];
  /** Calls `listener` with each JSON log line from now on; returns a function that stops it. */
  onLog(listener: (entry: LogEntry) => void): () => void;
  /** The first log line (so far or to come) that matches; rejects after `timeoutMs` or if the process exits. */
  waitForLog(match: (entry: LogEntry) => boolean, what: string, timeoutMs?: number): Promise<LogEntry>;
  stdout(): string;
  stderr(): string;
}

export interface ShardlineProcessOptions {
  /** Every process started is added here (the caller kills what is left). */
  children?: ChildProcess[] | Set<ChildProcess>;
  /** Extra environment over this process's. */
  env?: NodeJS.ProcessEnv;
  /** Node's own flags for the process (`--cpu-prof`, which NODE_OPTIONS may not carry). */
  execArgv?: string[];
  /** Appends stdout and stderr to this file as they come (a run's logs to look at afterwards). */
  logFile?: string;
  /** Keep the raw stdout text and every parsed line in memory (default true; a long run says false). */
  keep?: boolean;
}

/** `shardline …args` from source; its log lines parsed as they come. */
export function shardlineProcess(args: string[], options: ShardlineProcessOptions = {}): ShardlineProcess {
  const node = [...(options.execArgv ?? []), '--import', 'tsx', '--conditions=shardline-source'];
  const child = spawn(process.execPath, [...node, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
  if (options.children instanceof Set) options.children.add(child);
  else options.children?.push(child);
  const keep = options.keep ?? true;
  const file: WriteStream | undefined = options.logFile
    ? createWriteStream(options.logFile, { flags: 'a' })
    : undefined;
  let stdout = '';
  let stderr = '';
  let partial = '';
  const entries: LogEntry[] = [];
  const listeners = new Set<(entry: LogEntry) => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    file?.write(text);
    if (keep) stdout += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        continue;
      }
      if (keep) entries.push(entry);
      for (const listener of listeners) listener(entry);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    file?.write(text);
    stderr += text;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      file?.end();
      resolve(code);
    }),
  );
  const onLog = (listener: (entry: LogEntry) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const waitForLog = (match: (entry: LogEntry) => boolean, what: string, timeoutMs = 30_000) =>
    new Promise<LogEntry>((resolve, reject) => {
      const found = entries.find(match);
      if (found) {
        resolve(found);
        return;
      }
      let done = false;
      const finish = (error: Error | undefined, entry?: LogEntry) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stop();
        if (error) reject(error);
        else resolve(entry!);
      };
      const stop = onLog((entry) => {
        if (match(entry)) finish(undefined, entry);
      });
      const failure = (why: string) =>
        new Error(`no ${what} log (${why}); stderr: ${stderr.slice(-3000)}; stdout: ${stdout.slice(-3000)}`);
      const timer = setTimeout(() => finish(failure(`${timeoutMs} ms`)), timeoutMs);
      void exited.then((code) => finish(failure(`exited with ${code}`)));
    });
  return {
    child,
    exited,
    logs: () => entries,
    onLog,
    waitForLog,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

/** The log line a cluster's process writes once its shards run. */
export const isRunningLog = (entry: LogEntry) => /shards running here$/.test(String(entry.msg));
