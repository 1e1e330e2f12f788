import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_CONFIG,
  type RunningShardline,
  type ShardlineConfig,
  type ShardlineGame,
  starterGame,
  startShardline,
} from '@shardline/server';
import { pino } from 'pino';

/** A JSON request: status, parsed body (undefined when empty), headers. A string body goes as is. */
export type JsonCall = (
  method: string,
  path: string,
  options?: { body?: unknown; token?: string },
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers of every shape; they assert them
) => Promise<{ status: number; body: any; headers: Headers }>;

/** JSON requests to `base` + path over real HTTP, with an optional Bearer token. */
export function jsonCaller(base: string): JsonCall {
  return async (method, path, options = {}) => {
    const { body, token } = options;
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  };
}

/** `shardline start` in this process on free ports and a fresh data directory, logging nothing. */
export function startTestShardline(
  config: Partial<ShardlineConfig> = {},
  game: ShardlineGame = starterGame,
): Promise<RunningShardline> {
  return startShardline(
    {
      ...DEFAULT_CONFIG,
      httpPort: 0,
      udpPort: 0,
      wsPort: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'shardline-')),
      ...config,
    },
    pino({ level: 'silent' }),
    game,
  );
}
