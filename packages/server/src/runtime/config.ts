import { readFileSync } from 'node:fs';
import { type LinkSettings, MAX_FRAME_BYTES, REQUEST_BYTES } from '@shardline/core';
import { DEFAULT_SERVICE_RATE_LIMITS, type ServiceRateLimits } from '../services/http/service-api.js';
import { DEFAULT_PRE_HANDSHAKE_LIMITS, type PreHandshakeLimits } from '../transport/admission.js';

/**
 * What `shardline start` runs with: a JSON file's values over the defaults, then SHARDLINE_* variables
 * over those. The pre-handshake limits (PreHandshakeLimits: handshakeTimeoutMs, maxPendingPerAddress,
 * maxPendingConnections, maxPendingFrameBytes, maxPendingBufferedBytes) bound WebSocket connections
 * that are not sessions yet.
 */
export interface ShardlineConfig extends PreHandshakeLimits {
  /** Interface every port binds to. */
  host: string;
  /** The HTTP service: /metrics, /healthz (0: any free port). */
  httpPort: number;
  /** The UDP game transport (0: any free port). */
  udpPort: number;
  /** The WebSocket game transport (0: any free port). */
  wsPort: number;
  maxClients: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Impair every game link (latency, jitter, loss…), to feel a bad network; none by default. */
  link: LinkSettings | undefined;
  /**
   * Hand out connect tokens at GET /api/token?client=<id> (for the demo page and `shardline bots`).
   * Anyone who reaches the HTTP port can then join: a development convenience, off in production,
   * where tokens come from the online services.
   */
  devTokens: boolean;
  /**
   * Where the embedded SQLite database lives (`shardline.db`, created with the directory), relative
   * to the working directory. It keeps the connect-token key, so tokens outlive a restart.
   */
  dataDir: string;
  /**
   * Keep the online services' data (accounts, leaderboards, saves, …) in this Postgres database
   * (`postgres://user@host:port/db`) instead of the embedded SQLite one. Processes sharing it share
   * accounts and sessions.
   */
  postgresUrl: string | undefined;
  /** The Postgres schema the services' tables live in (created if missing); default `public`. */
  postgresSchema: string | undefined;
  /** Requests a minute the online services' HTTP API takes per client IP and per signed-in user (429 RATE_LIMITED past them). */
  rateLimits: ServiceRateLimits;
  /** How long a seat reserved for a joining player waits for its connection, ms (then the place is freed). */
  seatReservationMs: number;
  /** How long an empty world instance (not persistent) lives on before it is disposed, ms. */
  worldDisposeDelayMs: number;
  /**
   * A join password: every seat asked for through `/v1/worlds` (and `/api/token`) must give it
   * (WORLD_PASSWORD_INVALID otherwise). None by default. A cluster's `password` sets it on every shard.
   */
  password: string | undefined;
  /** Persistent worlds started with the server, beside the game's: `[{ "kind": "overworld", "id": "forest" }]`. */
  worlds: readonly { kind: string; id: string; options?: Record<string, unknown> }[];
}

export const DEFAULT_CONFIG: ShardlineConfig = {
  host: '127.0.0.1',
  httpPort: 8080,
  udpPort: 40000,
  wsPort: 8081,
  maxClients: 64,
  logLevel: 'info',
  link: undefined,
  devTokens: true,
  dataDir: 'data',
  postgresUrl: undefined,
  postgresSchema: undefined,
  rateLimits: DEFAULT_SERVICE_RATE_LIMITS,
  seatReservationMs: 15_000,
  worldDisposeDelayMs: 10_000,
  password: undefined,
  worlds: [],
  ...DEFAULT_PRE_HANDSHAKE_LIMITS,
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LINK_KEYS = [
  'latencyMs',
  'jitterMs',
  'lossPercent',
  'duplicatePercent',
  'reorderPercent',
  'reorderDelayMs',
];

/** A configuration problem, naming the key (`httpPort`, `link.lossPercent`) and what is wrong. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly key: string,
    /** What is wrong, without the key or the value: `must be a port number 0–65535 …`. */
    readonly problem: string,
    /** The value refused, when the message should show it (`, not "eighty"`). */
    given?: { value: unknown },
  ) {
    super(`config: ${key} ${problem}${given ? `, not ${JSON.stringify(given.value)}` : ''}`);
  }
}

function port(key: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65_535) {
    throw new ConfigError(key, 'must be a port number 0–65535 (0: any free port)', { value });
  }
  return value as number;
}

function positiveInteger(key: string, value: unknown, max: number): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw new ConfigError(key, `must be a whole number 1–${max}`, { value });
  }
  return value as number;
}

function rateLimits(value: unknown): ServiceRateLimits {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError('rateLimits', 'must be an object');
  const limits = { ...DEFAULT_SERVICE_RATE_LIMITS };
  for (const [key, limit] of Object.entries(value)) {
    if (!(key in limits)) {
      throw new ConfigError(`rateLimits.${key}`, `is not a setting (${Object.keys(limits).join(', ')})`);
    }
    limits[key as keyof ServiceRateLimits] = positiveInteger(`rateLimits.${key}`, limit, 10_000_000);
  }
  return limits;
}

function persistentWorlds(value: unknown): ShardlineConfig['worlds'] {
  if (!Array.isArray(value)) throw new ConfigError('worlds', 'must be a list of { kind, id, options? }');
  return value.map((world: unknown, i) => {
    const key = `worlds[${i}]`;
    if (typeof world !== 'object' || world === null)
      throw new ConfigError(key, 'must be { kind, id, options? }');
    const { kind, id, options, ...rest } = world as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) throw new ConfigError(`${key}.${extra}`, 'is not a setting (kind, id, options)');
    if (typeof kind !== 'string' || kind.length === 0)
      throw new ConfigError(`${key}.kind`, 'must be a world kind name');
    if (typeof id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
      throw new ConfigError(`${key}.id`, 'must be 1–64 letters, digits, _ . or -', { value: id });
    }
    if (
      options !== undefined &&
      (typeof options !== 'object' || options === null || Array.isArray(options))
    ) {
      throw new ConfigError(`${key}.options`, 'must be an object');
    }
    return { kind, id, ...(options ? { options: options as Record<string, unknown> } : {}) };
  });
}

function link(value: unknown): LinkSettings | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('link', 'must be an object');
  const settings: Record<string, number> = {};
  for (const [key, setting] of Object.entries(value)) {
    if (!LINK_KEYS.includes(key))
      throw new ConfigError(`link.${key}`, `is not a setting (${LINK_KEYS.join(', ')})`);
    const limit = key.endsWith('Percent') ? 100 : 10_000;
    if (typeof setting !== 'number' || !(setting >= 0 && setting <= limit)) {
      throw new ConfigError(`link.${key}`, `must be a number 0–${limit}`, { value: setting });
    }
    settings[key] = setting;
  }
  return settings as LinkSettings;
}

/** Checks every key of `raw` (unknown keys are errors, so typos do not pass silently). */
export function parseConfig(raw: unknown, base: ShardlineConfig = DEFAULT_CONFIG): ShardlineConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError('(file)', 'must be a JSON object');
  const config = { ...base };
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case 'host':
        if (typeof value !== 'string' || value.length === 0)
          throw new ConfigError(key, 'must be a host name or address');
        config.host = value;
        break;
      case 'httpPort':
      case 'udpPort':
      case 'wsPort':
        config[key] = port(key, value);
        break;
      case 'tickHz':
        throw new ConfigError(
          key,
          'is no longer a setting: each world kind declares its rates (defineWorld tickHz and sendHz)',
        );
      case 'maxClients':
        config.maxClients = positiveInteger(key, value, 100_000);
        break;
      case 'logLevel':
        if (!LOG_LEVELS.includes(value as never))
          throw new ConfigError(key, `must be one of ${LOG_LEVELS.join(', ')}`);
        config.logLevel = value as ShardlineConfig['logLevel'];
        break;
      case 'link':
        config.link = link(value);
        break;
      case 'dataDir':
        if (typeof value !== 'string' || value.length === 0)
          throw new ConfigError(key, 'must be a directory path');
        config.dataDir = value;
        break;
      case 'devTokens':
        if (typeof value !== 'boolean') throw new ConfigError(key, 'must be true or false');
        config.devTokens = value;
        break;
      case 'postgresUrl':
        if (typeof value !== 'string' || !/^postgres(ql)?:\/\//.test(value))
          throw new ConfigError(key, 'must be a postgres:// URL');
        config.postgresUrl = value;
        break;
      case 'postgresSchema':
        if (typeof value !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(value))
          throw new ConfigError(key, 'must be a schema name: lower-case letters, digits and _');
        config.postgresSchema = value;
        break;
      case 'rateLimits':
        config.rateLimits = rateLimits(value);
        break;
      case 'seatReservationMs':
      case 'worldDisposeDelayMs':
        config[key] = positiveInteger(key, value, 3_600_000);
        break;
      case 'worlds':
        config.worlds = persistentWorlds(value);
        break;
      case 'password':
        if (typeof value !== 'string' || value.length === 0 || value.length > 128)
          throw new ConfigError(key, 'must be text of 1–128 characters');
        config.password = value;
        break;
      case 'handshakeTimeoutMs':
        config.handshakeTimeoutMs = positiveInteger(key, value, 600_000);
        break;
      case 'maxPendingPerAddress':
      case 'maxPendingConnections':
        config[key] = positiveInteger(key, value, 1_000_000);
        break;
      case 'maxPendingFrameBytes':
        // Under a connect request's size no client could connect.
        if (
          !Number.isInteger(value) ||
          (value as number) < REQUEST_BYTES ||
          (value as number) > MAX_FRAME_BYTES
        ) {
          throw new ConfigError(key, `must be a whole number ${REQUEST_BYTES}–${MAX_FRAME_BYTES}`, { value });
        }
        config.maxPendingFrameBytes = value as number;
        break;
      case 'maxPendingBufferedBytes':
        config.maxPendingBufferedBytes = positiveInteger(key, value, 2 ** 32);
        break;
      default:
        throw new ConfigError(key, `is not a setting (${Object.keys(DEFAULT_CONFIG).join(', ')})`);
    }
  }
  return config;
}

/** Each SHARDLINE_* variable, the key it sets, and whether its text is read as a whole number. */
const ENVIRONMENT: readonly { variable: string; key: keyof ShardlineConfig; integer?: true }[] = [
  { variable: 'SHARDLINE_HOST', key: 'host' },
  { variable: 'SHARDLINE_HTTP_PORT', key: 'httpPort', integer: true },
  { variable: 'SHARDLINE_UDP_PORT', key: 'udpPort', integer: true },
  { variable: 'SHARDLINE_WS_PORT', key: 'wsPort', integer: true },
  { variable: 'SHARDLINE_MAX_CLIENTS', key: 'maxClients', integer: true },
  { variable: 'SHARDLINE_LOG_LEVEL', key: 'logLevel' },
  { variable: 'SHARDLINE_DATA_DIR', key: 'dataDir' },
  { variable: 'SHARDLINE_POSTGRES_URL', key: 'postgresUrl' },
  { variable: 'SHARDLINE_POSTGRES_SCHEMA', key: 'postgresSchema' },
  { variable: 'SHARDLINE_PASSWORD', key: 'password' },
  { variable: 'SHARDLINE_HANDSHAKE_TIMEOUT_MS', key: 'handshakeTimeoutMs', integer: true },
  { variable: 'SHARDLINE_MAX_PENDING_PER_ADDRESS', key: 'maxPendingPerAddress', integer: true },
  { variable: 'SHARDLINE_MAX_PENDING_CONNECTIONS', key: 'maxPendingConnections', integer: true },
  { variable: 'SHARDLINE_MAX_PENDING_FRAME_BYTES', key: 'maxPendingFrameBytes', integer: true },
  { variable: 'SHARDLINE_MAX_PENDING_BUFFERED_BYTES', key: 'maxPendingBufferedBytes', integer: true },
];

/**
 * `config` with the SHARDLINE_* variables set in `env` over it. A bad value's ConfigError names the
 * variable and the text given (`SHARDLINE_HTTP_PORT is "eighty": httpPort must be …`).
 */
function withEnvironment(config: ShardlineConfig, env: NodeJS.ProcessEnv): ShardlineConfig {
  let result = config;
  for (const { variable, key, integer } of ENVIRONMENT) {
    const text = env[variable];
    if (text === undefined) continue;
    // Only digits make a number: Number('') is 0 and Number('0x50') is 80, neither what was meant.
    const value = integer && /^\s*\d+\s*$/.test(text) ? Number(text) : text;
    try {
      result = parseConfig({ [key]: value }, result);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(variable, `is ${JSON.stringify(text)}: ${key} ${error.problem}`);
    }
  }
  return result;
}

/** The defaults, then the file (if any), then the environment; ConfigError names the first bad key. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ShardlineConfig {
  let fromFile: unknown = {};
  if (file !== undefined) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError('(file)', `${file} is not readable JSON: ${(error as Error).message}`);
    }
  }
  return withEnvironment(parseConfig(fromFile), env);
}
