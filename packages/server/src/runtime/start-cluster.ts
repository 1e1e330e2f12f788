import type { Logger } from 'pino';
import type { ClusterEngine } from '../cluster/engine.js';
import { InProcessCluster } from '../cluster/in-process-engine.js';
import { NatsEngine } from '../cluster/nats-engine.js';
import { type ClusterConfig, engine as checkedEngine } from './cluster-config.js';
import { ConfigError } from './config.js';
import { type RunningShardline, type ShardlineGame, startShardline } from './start.js';
import { EngineUnreachableError, ShardStartFailure } from './start-failures.js';

export interface RunningCluster {
  /** The shards this process runs, by name, in the config's order (the master first). */
  shards: Map<string, RunningShardline>;
  /** Stops every shard this process runs (each leaves the cluster), then their engine connections. */
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  /** Run only these shards (`shardline shard start --shard caves`); default every shard. */
  only?: readonly string[];
  /** The engine, over the config's: `in-process` or a nats:// URL. */
  engine?: string;
  /**
   * Wraps each shard's engine member (tests inject faults here: lost, repeated or late requests).
   * Default: none.
   */
  wrapEngine?: (engine: ClusterEngine, shard: string) => ClusterEngine;
}

/**
 * Runs shards of a cluster in this process: every shard (`shardline cluster start`), or some
 * (`shardline shard start`), each a whole server (startShardline) joined to the cluster through its
 * own engine member. On the in-process engine they share one InProcessCluster, so one process
 * behaves as many would; on NATS each holds its own connection. A shard that fails to start stops
 * the ones started before it: ShardStartFailure names it; EngineUnreachableError if NATS is down.
 */
export async function startCluster(
  config: ClusterConfig,
  logger: Logger,
  game: ShardlineGame,
  options: StartClusterOptions = {},
): Promise<RunningCluster> {
  const engineUrl = checkedEngine(options.engine ?? config.engine);
  const chosen = chooseShards(config, options.only);
  if (engineUrl === 'in-process' && chosen.length < config.shards.length) {
    throw new ConfigError(
      'engine',
      'is in-process, so shards started on their own could not see each other: give --engine nats://host:port',
    );
  }
  const inProcess = engineUrl === 'in-process' ? new InProcessCluster() : undefined;
  const engines: ClusterEngine[] = [];
  const shards = new Map<string, RunningShardline>();
  const stop = async () => {
    for (const running of [...shards.values()].reverse()) await running.stop();
    shards.clear();
    for (const engine of engines) await engine.close();
  };
  try {
    for (const shard of chosen) {
      const member = inProcess
        ? inProcess.member()
        : await connectNats(engineUrl, `${config.name}/${shard.name}`);
      engines.push(member);
      const engine = options.wrapEngine ? options.wrapEngine(member, shard.name) : member;
      const shardLogger = logger.child({ shard: shard.name });
      try {
        shards.set(
          shard.name,
          await startShardline(shard.server, shardLogger, game, { engine, cluster: config, shard }),
        );
      } catch (error) {
        throw new ShardStartFailure(shard.name, shard.server, error);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info(
    { cluster: config.name, shards: [...shards.keys()], engine: engineUrl },
    `cluster ${config.name}: ${shards.size} of ${config.shards.length} shards running here`,
  );
  return { shards, stop };
}

async function connectNats(url: string, name: string): Promise<NatsEngine> {
  try {
    return await NatsEngine.connect({ url, name: `shardline ${name}` });
  } catch (error) {
    throw new EngineUnreachableError(url, error);
  }
}

/** The shards to run, master first; ConfigError for a name the config lacks. */
function chooseShards(config: ClusterConfig, only: readonly string[] | undefined) {
  for (const name of only ?? []) {
    if (!config.shards.some((shard) => shard.name === name)) {
      throw new ConfigError(
        'shard',
        `${JSON.stringify(name)} is not a shard of ${config.name} (${config.shards.map((s) => s.name).join(', ')})`,
      );
    }
  }
  const chosen = config.shards.filter((shard) => only === undefined || only.includes(shard.name));
  return chosen.sort((a, b) => Number(b.role === 'master') - Number(a.role === 'master'));
}
