import { isShardlineError } from '@shardline/core';
import { DatabaseInUseError } from '../store/database-lock.js';
import type { ShardlineConfig } from './config.js';

/** A port setting: its config key and the variable that overrides it. */
const PORT_SETTINGS = [
  { key: 'httpPort', variable: 'SHARDLINE_HTTP_PORT', protocol: 'tcp' },
  { key: 'wsPort', variable: 'SHARDLINE_WS_PORT', protocol: 'tcp' },
  { key: 'udpPort', variable: 'SHARDLINE_UDP_PORT', protocol: 'udp' },
] as const;

/** The cluster engine's server did not answer when a shard connected to it. */
export class EngineUnreachableError extends Error {
  override readonly name = 'EngineUnreachableError';
  constructor(
    readonly url: string,
    override readonly cause: unknown,
  ) {
    super(`the cluster engine at ${url} does not answer (${(cause as Error)?.message ?? cause})`);
  }
}

/** A shard of a cluster failed to start: which one, with its settings, and why. */
export class ShardStartFailure extends Error {
  override readonly name = 'ShardStartFailure';
  constructor(
    readonly shard: string,
    readonly config: ShardlineConfig,
    override readonly cause: unknown,
  ) {
    super(`shard ${shard} did not start: ${(cause as Error)?.message ?? cause}`);
  }
}

/** What Node's net, http and dgram errors carry (fastify and ws pass them on unchanged). */
interface SystemError {
  code?: unknown;
  syscall?: unknown;
  port?: unknown;
  address?: unknown;
}

/**
 * One line for a start-up failure the operator can fix by a setting (a taken or forbidden port, a
 * data directory another process holds), naming the setting; undefined for anything else (a bug:
 * let it print its stack).
 */
export function describeStartFailure(error: unknown, config: ShardlineConfig): string | undefined {
  if (error instanceof ShardStartFailure) {
    const failure = describeStartFailure(error.cause, error.config);
    return failure && `shard ${error.shard}: ${failure}`;
  }
  if (error instanceof EngineUnreachableError) {
    return `${error.message}: start NATS with JetStream (nats-server -js), or give --engine`;
  }
  if (isShardlineError(error, 'SHARD_ALREADY_RUNNING')) {
    return `${error.message.replace(/^SHARD_ALREADY_RUNNING: /, '')}: stop it first, or wait for its lease to run out`;
  }
  if (isShardlineError(error, 'WORLD_KIND_UNKNOWN')) {
    return `${error.message.replace(/^WORLD_KIND_UNKNOWN: /, '')}: a persistent world (worlds / --config) or the game's matchmaking names a kind the game does not serve`;
  }
  if (isShardlineError(error, 'VALUE_INVALID') || isShardlineError(error, 'WORLD_OPTIONS_INVALID')) {
    // Persistent worlds (a taken id, bad options) and matchmaking settings checked at start-up.
    return error.message.replace(/^[A-Z_]+: /, '');
  }
  if (error instanceof DatabaseInUseError) {
    return `the data directory ${config.dataDir} is in use by ${error.holder} (it holds ${error.lockFile}); stop that server, or give this one another directory (dataDir / SHARDLINE_DATA_DIR / --config)`;
  }
  const { code, syscall, port, address } = (error ?? {}) as SystemError;
  if ((code !== 'EADDRINUSE' && code !== 'EACCES') || typeof port !== 'number') return undefined;
  // dgram reports a bind, net (HTTP, WebSocket) a listen.
  const protocol = syscall === 'bind' ? 'udp' : 'tcp';
  const settings = PORT_SETTINGS.filter(
    (setting) => setting.protocol === protocol && config[setting.key] === port,
  );
  const where = settings.map((setting) => `${setting.key} / ${setting.variable}`).join(', ') || 'a port';
  const on = typeof address === 'string' ? ` on ${address}` : '';
  const what =
    code === 'EADDRINUSE'
      ? `${protocol.toUpperCase()} port ${port} is in use${on}`
      : `${protocol.toUpperCase()} port ${port}${on} is not allowed to this user (ports below 1024 need privileges)`;
  return `${what} (${where} / --config); stop what holds it, or choose another port (0: any free port)`;
}
