import {
  type AnyEventDefinition,
  type AnyRpcDefinition,
  type AnyWorldKind,
  RpcRouter,
  type RpcRouterOptions,
  rpcRoute,
  type SendType,
  ShardlineError,
  WORLD_RPC_CHANNELS,
} from '@shardline/core';
import type { Player } from './player.js';
import type { WorldHandlers } from './serve-world.js';

/** What a world's RPC router needs from its instance. */
export interface RouterHost {
  kind: AnyWorldKind;
  limits: Omit<RpcRouterOptions, 'catalog' | 'send'> | undefined;
  /** Sends to a seat on a world channel. */
  sendToSeat(seat: string, channel: number, bytes: Uint8Array, type: SendType): void;
  /** Replies and events sent in this turn leave together at its end. */
  flushSoon(): void;
  /** Disconnects a seat's client as `misbehaving` (after the router's current work). */
  kickMisbehaving(seat: string): void;
  playerOf(seat: string): Player | undefined;
  /** The world's time (tick × tick length), ms. */
  timeMs(): number;
  onHandlerError(error: unknown, where: string): void;
}

/**
 * The RPC router of a world instance over the world channel map (PROTOCOL.md §13.1), with the
 * handlers' `rpc` and `events` maps bound to it, each called with the calling Player.
 * VALUE_INVALID for a handler that names no RPC (or no event) of the kind's catalog.
 */
export function worldRouter<K extends AnyWorldKind>(host: RouterHost, handlers: WorldHandlers<K>): RpcRouter {
  const { kind } = host;
  const router = new RpcRouter({
    ...host.limits,
    catalog: kind.rpc!,
    send: (seat, bytes, delivery) => {
      const { channel, type } = rpcRoute(WORLD_RPC_CHANNELS, delivery);
      host.sendToSeat(seat, channel, bytes, type);
      host.flushSoon();
    },
  });
  router.onMisbehaving = (seat) => host.kickMisbehaving(seat);
  router.onHandlerError = (definition, error) =>
    host.onHandlerError(error, `${kind.name} rpc ${definition.name}`);
  const { rpc, events } = handlers as {
    rpc?: Record<string, (params: unknown, call: unknown) => unknown>;
    events?: Record<string, (params: unknown, from: unknown) => void>;
  };
  const definitions = kind.rpc!.definitions as Record<string, AnyRpcDefinition | AnyEventDefinition>;
  for (const [name, handler] of Object.entries(rpc ?? {})) {
    const definition = definitions[name];
    if (definition?.kind !== 'rpc') {
      throw new ShardlineError('VALUE_INVALID', `${kind.name}: rpc.${name} is not an RPC of its catalog`);
    }
    router.handle(
      definition,
      (params, context) =>
        handler(params, { player: host.playerOf(context.client)!, timeMs: host.timeMs() }) as never,
    );
  }
  for (const [name, listener] of Object.entries(events ?? {})) {
    const definition = definitions[name];
    if (definition?.kind !== 'event') {
      throw new ShardlineError(
        'VALUE_INVALID',
        `${kind.name}: events.${name} is not an event of its catalog`,
      );
    }
    router.on(definition, (params, info) => {
      const player = host.playerOf(info.sender);
      if (player) listener(params, { player, timeMs: info.timeMs });
    });
  }
  return router;
}
