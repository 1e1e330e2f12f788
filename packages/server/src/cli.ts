#!/usr/bin/env node
/**
 * The `shardline` command: `start [--config file] [--game module]`, `cluster start <config>`,
 * `shard start <config> --shard name`, `bots --bot module`, `inspect <input>`.
 */
import { isShardlineError } from '@shardline/core';
import { Command } from 'commander';
import { type Logger, pino } from 'pino';
import type { ShardSaveInfo } from './cluster/shard-index/shard-index-store.js';
import { formatBotsSummary, runBots, type ShardlineBot } from './runtime/bots.js';
import { loadClusterConfig } from './runtime/cluster-config.js';
import { ConfigError, loadConfig } from './runtime/config.js';
import { inspect } from './runtime/inspect.js';
import { listShardSaves, regenerateShardCommand, rollbackShard } from './runtime/shard-index-commands.js';
import { type ShardlineGame, startShardline } from './runtime/start.js';
import { type RunningCluster, startCluster } from './runtime/start-cluster.js';
import { describeStartFailure } from './runtime/start-failures.js';
import { starterGame } from './runtime/starter-game.js';
import { importUserModule } from './runtime/user-module.js';
import { DatabaseInUseError } from './store/database-lock.js';

const program = new Command('shardline').description('Shardline: a multiplayer game networking stack');

program
  .command('start')
  .description(
    'run one server: UDP and WebSocket game transports, the world, and the HTTP service (/metrics)',
  )
  .option(
    '-c, --config <file>',
    'a JSON config file (see ShardlineConfig); SHARDLINE_* variables override it',
  )
  .option(
    '-g, --game <module>',
    'a module whose `game` export is the ShardlineGame to run (default: a starter world)',
  )
  .action(async (options: { config?: string; game?: string }) => {
    const config = orExit(() => loadConfig(options.config));
    const logger = pino({ level: config.logLevel, base: { service: 'shardline' } });
    const game = options.game ? await loadGame(options.game) : undefined;
    let running: Awaited<ReturnType<typeof startShardline>>;
    try {
      running = await startShardline(config, logger, game);
    } catch (error) {
      const failure = describeStartFailure(error, config);
      if (failure === undefined) throw error;
      process.stderr.write(`shardline start: ${failure}\n`);
      process.exit(2);
    }
    stopOnSignal(() => running.stop(), logger);
  });

const cluster = program.command('cluster').description('run a cluster of shards (see ClusterConfig)');
cluster
  .command('start')
  .description('run every shard of a cluster config in this process (in-process engine unless --engine)')
  .argument('<config>', 'a cluster config JSON file')
  .option('-g, --game <module>', 'a module whose `game` export is the ShardlineGame every shard runs')
  .option('-e, --engine <url>', 'the cluster engine: in-process, or nats://host:port (over the config)')
  .action(async (file: string, options: { game?: string; engine?: string }) => {
    await runCluster(file, options, undefined);
  });

const shard = program.command('shard').description('run or repair one shard of a cluster');
shard
  .command('start')
  .description('run one shard of a cluster config as this process (the others run elsewhere on the engine)')
  .argument('<config>', 'a cluster config JSON file')
  .requiredOption('-s, --shard <name>', 'the shard to run')
  .option('-g, --game <module>', 'a module whose `game` export is the ShardlineGame the shard runs')
  .option('-e, --engine <url>', 'the cluster engine: nats://host:port (over the config)')
  .action(async (file: string, options: { shard: string; game?: string; engine?: string }) => {
    await runCluster(file, options, options.shard);
  });

shard
  .command('saves')
  .description("list a shard's saves in its shard index, newest first")
  .argument('<config>', 'a cluster config JSON file')
  .requiredOption('-s, --shard <name>', 'the shard')
  .action(async (file: string, options: { shard: string }) => {
    const config = orExit(() => loadClusterConfig(file));
    const saves = await orExitAsync(() => listShardSaves(config, options.shard));
    process.stdout.write(`${saves.map(describeSave).join('\n') || 'no saves'}\n`);
  });
shard
  .command('rollback')
  .description('undo the newest N saves of a stopped shard: its next start loads the save before them')
  .argument('<config>', 'a cluster config JSON file')
  .requiredOption('-s, --shard <name>', 'the shard')
  .requiredOption('-n, --saves <count>', 'how many saves to go back')
  .action(async (file: string, options: { shard: string; saves: string }) => {
    const config = orExit(() => loadClusterConfig(file));
    const count = /^\d+$/.test(options.saves) ? Number(options.saves) : Number.NaN;
    const kept = await orExitAsync(() => rollbackShard(config, options.shard, count));
    process.stdout.write(
      `${options.shard}: undid ${count} save(s); its next start loads ${describeSave(kept)} (the undone ones are kept until its next save)\n`,
    );
  });
shard
  .command('regenerate')
  .description("start a stopped shard's worlds afresh: a new session, so its old saves are not loaded")
  .argument('<config>', 'a cluster config JSON file')
  .requiredOption('-s, --shard <name>', 'the shard')
  .action(async (file: string, options: { shard: string }) => {
    const config = orExit(() => loadClusterConfig(file));
    const session = await orExitAsync(() => regenerateShardCommand(config, options.shard));
    process.stdout.write(`${options.shard}: new world session ${session}; its next start begins fresh\n`);
  });

function describeSave(save: ShardSaveInfo): string {
  const undone = save.undone ? ' (undone)' : '';
  return `save ${save.version}${undone}: ${new Date(save.savedAtMs).toISOString()}, ${save.size} bytes, session ${save.sessionId}, sha256 ${save.checksum}`;
}

/** `run()`, or its refusal (a ConfigError, a ShardlineError, a database in use) on stderr and exit code 2. */
async function orExitAsync<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ConfigError || isShardlineError(error) || error instanceof DatabaseInUseError))
      throw error;
    const message =
      error instanceof DatabaseInUseError ? `${error.message}: stop the shard first` : error.message;
    process.stderr.write(`${message}\n`);
    process.exit(2);
  }
}

/** Runs the cluster's shards (or one) until SIGTERM or SIGINT. */
async function runCluster(
  file: string,
  options: { game?: string; engine?: string },
  only: string | undefined,
): Promise<void> {
  const config = orExit(() => loadClusterConfig(file));
  const master = config.shards.find((each) => each.role === 'master')!;
  const logger = pino({
    level: master.server.logLevel,
    base: { service: 'shardline', cluster: config.name },
  });
  const game = options.game ? await loadGame(options.game) : starterGame;
  let running: RunningCluster;
  try {
    running = await startCluster(config, logger, game, {
      ...(only === undefined ? {} : { only: [only] }),
      ...(options.engine === undefined ? {} : { engine: options.engine }),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    const failure = describeStartFailure(error, master.server);
    if (failure === undefined) throw error;
    process.stderr.write(`shardline ${only ? 'shard' : 'cluster'} start: ${failure}\n`);
    process.exit(2);
  }
  stopOnSignal(() => running.stop(), logger);
}

/** `read()`, or the ConfigError's message on stderr and exit code 2. */
function orExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/** Stops once on SIGTERM or SIGINT, then exits (0, or 1 if stopping failed). */
function stopOnSignal(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** The `game` export of a module (a path, resolved against the working directory, or a package). */
async function loadGame(specifier: string): Promise<ShardlineGame> {
  const module = (await importUserModule(specifier, '--game')) as { game?: ShardlineGame };
  if (!Array.isArray(module.game?.worlds)) {
    process.stderr.write(`--game ${specifier}: the module exports no \`game\` (a ShardlineGame)\n`);
    process.exit(2);
  }
  return module.game;
}

program
  .command('bots')
  .description(
    'connect headless clients that play a game (its --bot module), then report RTT, loss and bytes',
  )
  .requiredOption('-b, --bot <module>', 'a module whose `bot` export is the ShardlineBot to run')
  .option('-n, --count <number>', 'how many bots', '10')
  .option(
    '-s, --server <url>',
    "the server's HTTP service (tokens come from /api/token)",
    'http://127.0.0.1:8080',
  )
  .option('-t, --seconds <number>', 'how long they play', '30')
  .option('--udp', 'connect over UDP instead of WebSocket')
  .action(async (options: { bot: string; count: string; server: string; seconds: string; udp?: boolean }) => {
    const module = (await importUserModule(options.bot, '--bot')) as { bot?: ShardlineBot };
    if (!module.bot?.join) {
      process.stderr.write(`--bot ${options.bot}: the module exports no \`bot\` (a ShardlineBot)\n`);
      process.exit(2);
    }
    const summary = await runBots({
      bot: module.bot,
      server: options.server.replace(/\/$/, ''),
      count: Number(options.count),
      seconds: Number(options.seconds),
      transport: options.udp ? 'udp' : 'websocket',
    });
    process.stdout.write(`${formatBotsSummary(summary)}\n`);
    process.exit(summary.connected > 0 ? 0 : 1);
  });

program
  .command('inspect')
  .description('decode a packet log (.jsonl, as JsonLinesPacketLog writes it) or one datagram given in hex')
  .argument(
    '<input>',
    'a .jsonl packet log, or hex digits of one stream datagram (type byte, then the packet)',
  )
  .option('--json', 'print the decoded packets as JSON lines instead of text')
  .action((input: string, options: { json?: boolean }) => {
    try {
      const { entries, summary } = inspect(input);
      process.stdout.write(
        options.json ? `${entries.map((entry) => JSON.stringify(entry)).join('\n')}\n` : `${summary}\n`,
      );
    } catch (error) {
      process.stderr.write(`inspect: ${(error as Error).message}\n`);
      process.exit(2);
    }
  });

await program.parseAsync(process.argv);
