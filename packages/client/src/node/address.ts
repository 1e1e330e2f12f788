import { ShardlineError } from '@shardline/core';

/** Parses `scheme://host:port`; VALUE_INVALID for anything else. */
export function parseHostPort(address: string, scheme: string): { host: string; port: number } {
  const match = /^([a-z]+):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || match[1] !== scheme || port < 1 || port > 65_535) {
    throw new ShardlineError('VALUE_INVALID', `expected ${scheme}://host:port, got ${address}`);
  }
  return { host: match[2]!.replace(/^\[|\]$/g, ''), port };
}
