import type { ChannelConfig } from '../reliable/channel.js';
import type { RpcChannels } from '../rpc/channels.js';
import { fnv1a64 } from '../schema/fingerprint.js';

/**
 * The channels every world session uses (PROTOCOL.md §13.1), the same for every world kind, so no
 * game writes a channel number: a server hosting many kinds opens each connection with this map,
 * and a world's fingerprint covers it (a client built with another map is refused at join).
 */
export const WORLD_CHANNEL = {
  /** Seat messages (hello, welcome, left, mismatch, owns): reliable, in order. */
  control: 0,
  /** Snapshots: each supersedes the last, so loss costs nothing. */
  snapshot: 1,
  /** Snapshot acknowledgements and clock pings (client → server), pongs (server → client). */
  clock: 2,
  /** Input streams (client → server) and input acknowledgements (server → client). */
  input: 3,
  /** RPC and events declared `reliable`, in order. */
  rpcOrdered: 4,
  /** RPC and events declared `reliable-unordered`: delivered as they arrive. */
  rpcUnordered: 5,
  /** RPC declared `unreliable`. */
  rpcUnreliable: 6,
  /** Each seat's published state template, relayed to the others. */
  states: 7,
} as const;

/** The channel configs, in channel-number order: what GameServer and GameClient are given. */
export const WORLD_CHANNELS: readonly ChannelConfig[] = [
  { kind: 'reliable-ordered' },
  { kind: 'unreliable-sequenced' },
  { kind: 'unreliable' },
  { kind: 'unreliable' },
  { kind: 'reliable-ordered' },
  { kind: 'reliable-unordered' },
  { kind: 'unreliable' },
  { kind: 'unreliable' },
];

/** Where a world's RPC travels (see WORLD_CHANNEL). */
export const WORLD_RPC_CHANNELS: RpcChannels = {
  ordered: WORLD_CHANNEL.rpcOrdered,
  unordered: WORLD_CHANNEL.rpcUnordered,
  unreliable: WORLD_CHANNEL.rpcUnreliable,
};

/**
 * The channel map's fingerprint: FNV-1a 64 of one line per channel, `<number> <kind>`, joined by
 * line feeds (`0 reliable-ordered\n1 unreliable-sequenced\n…`).
 */
export const WORLD_CHANNELS_FINGERPRINT = fnv1a64(
  WORLD_CHANNELS.map((config, channel) => `${channel} ${config.kind}`).join('\n'),
);
