/**
 * Where a move's time goes inside a shard process (bench:migrate, SHARDLINE_MIGRATE_PROFILE=1): the
 * portal game (portal-world-game.ts) wraps, in its own process, the methods a hand-off goes
 * through — the player directory's reads and compare-and-sets, the transfer request (source) and
 * its answer (target), the shard index's player writes, a move as a whole and an admission — and
 * the event loop's delay, and prints each second's samples as one JSON line on stdout
 * (`{"profile":{…}}`, ms). Nothing of the server's code changes: the wrappers time and call through.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  PlayerDirectory,
  PostgresShardIndexStore,
  ShardPlayers,
  SqliteShardIndexStore,
  TransferDesk,
} from '@shardline/server';

/** What one profile line holds: samples (ms) per step, and the event loop's delay over the second. */
export interface ProfileLine {
  profile: {
    pid: number;
    atMs: number;
    samples: Record<string, number[]>;
    loopDelayMs: { p50: number; p99: number; max: number };
  };
}

const samples = new Map<string, number[]>();

function record(name: string, ms: number): void {
  const list = samples.get(name) ?? [];
  if (list.length === 0) samples.set(name, list);
  list.push(Math.round(ms * 1000) / 1000);
}

// biome-ignore lint/suspicious/noExplicitAny: wraps methods of any signature
type AnyMethod = (this: any, ...args: any[]) => any;

function wrap(prototype: object, method: string, name: string | ((args: unknown[]) => string)): void {
  const target = prototype as Record<string, AnyMethod>;
  const original = target[method];
  if (typeof original !== 'function') throw new Error(`profile: no method ${method} to wrap`);
  target[method] = function timed(this: unknown, ...args: unknown[]) {
    const startedMs = performance.now();
    const label = typeof name === 'string' ? name : name(args);
    const result = original.apply(this, args);
    if (result instanceof Promise) {
      return result.finally(() => record(label, performance.now() - startedMs));
    }
    record(label, performance.now() - startedMs);
    return result;
  };
}

/** The `op` of a transfer-desk request (JSON `{ op, … }`), for its label. */
function opOf(bytes: unknown): string {
  try {
    return String((JSON.parse(new TextDecoder().decode(bytes as Uint8Array)) as { op?: unknown }).op);
  } catch {
    return '?';
  }
}

let installed = false;

/** Wraps the hand-off's steps and starts printing a profile line every second. */
export function installProfile(): void {
  if (installed) return;
  installed = true;
  wrap(PlayerDirectory.prototype, 'read', 'directory.read');
  wrap(PlayerDirectory.prototype, 'create', 'directory.create');
  wrap(PlayerDirectory.prototype, 'replace', (args) =>
    (args[1] as { state?: string } | undefined)?.state === 'leaving'
      ? 'directory.checkout'
      : 'directory.replace(in)',
  );
  wrap(TransferDesk.prototype, 'send', 'transfer.send');
  wrap(TransferDesk.prototype, 'answer', (args) => `transfer.answer(${opOf(args[0])})`);
  wrap(ShardPlayers.prototype, 'migrate', 'migrate');
  wrap(ShardPlayers.prototype, 'admit', 'admit');
  for (const store of [PostgresShardIndexStore.prototype, SqliteShardIndexStore.prototype]) {
    wrap(store, 'putPlayers', (args) => {
      const records = args[2] as readonly { state?: string }[] | undefined;
      return `store.putPlayers(${records?.length === 1 ? records[0]?.state : `${records?.length ?? 0} records`})`;
    });
    wrap(store, 'deletePlayer', 'store.deletePlayer');
    wrap(store, 'player', 'store.player');
  }
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const timer = setInterval(() => {
    const line: ProfileLine = {
      profile: {
        pid: process.pid,
        atMs: Date.now(),
        samples: Object.fromEntries(samples),
        loopDelayMs: {
          p50: loop.percentile(50) / 1e6,
          p99: loop.percentile(99) / 1e6,
          max: loop.max / 1e6,
        },
      },
    };
    samples.clear();
    loop.reset();
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }, 1_000);
  timer.unref();
}
