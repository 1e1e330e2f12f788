import { ShardlineError } from '@shardline/core';

export interface ListenOptions {
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Port to bind; 0 picks a free one (the address `listen` resolves with tells which). Default 0. */
  port?: number;
}

/** Parses `scheme://host:port` into its parts; VALUE_INVALID for anything else. */
export function parseAddress(address: string, scheme: string): { host: string; port: number } {
  const match = /^([a-z]+):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(address);
  if (!match || match[1] !== scheme) {
    throw new ShardlineError('VALUE_INVALID', `expected ${scheme}://host:port, got ${address}`);
  }
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) throw new ShardlineError('VALUE_INVALID', `port ${port} is out of range`);
  return { host: match[2]!.replace(/^\[|\]$/g, ''), port };
}

export function formatAddress(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
