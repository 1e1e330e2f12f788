import { ShardlineError } from '../errors.js';
import type { SendType } from '../reliable/endpoint.js';
import type { RpcDelivery } from './define.js';

/**
 * The channels a host and its clients carry RPC and events on: a `reliable-ordered` one, a
 * `reliable-unordered` one, and (for RPCs declared `unreliable`) an `unreliable` one.
 */
export interface RpcChannels {
  ordered: number;
  unordered: number;
  unreliable?: number;
}

/** The channel and send type of a delivery. VALUE_INVALID for `unreliable` without an unreliable channel. */
export function rpcRoute(channels: RpcChannels, delivery: RpcDelivery): { channel: number; type: SendType } {
  if (delivery === 'reliable') return { channel: channels.ordered, type: 'reliable' };
  if (delivery === 'reliable-unordered') return { channel: channels.unordered, type: 'reliable' };
  if (channels.unreliable === undefined) {
    throw new ShardlineError('VALUE_INVALID', 'an unreliable RPC needs an unreliable RPC channel');
  }
  return { channel: channels.unreliable, type: 'unreliable' };
}

export function isRpcChannel(channels: RpcChannels, channel: number): boolean {
  return channel === channels.ordered || channel === channels.unordered || channel === channels.unreliable;
}
