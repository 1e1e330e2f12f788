import { isShardlineError, ShardlineError } from '../errors.js';
import type { FieldMap, StructValue } from '../schema/composite.js';
import type {
  AnyDeclaration,
  AnyEventDefinition,
  AnyRpcDefinition,
  EventDefinition,
  RpcCatalog,
  RpcDeclaration,
  RpcDefinition,
  RpcDelivery,
} from './define.js';
import { type EventListener, type RpcHandler, RpcHandlers } from './handlers.js';
import { PendingCalls } from './pending-calls.js';
import { eventDelivery } from './router.js';
import {
  decodeRpcMessage,
  encodeCall,
  encodeEvent,
  encodeFailure,
  failureOf,
  type RpcMessage,
} from './wire.js';

/** The typed call stubs of a catalog's to-server RPCs: `client.call.useItem({ slot: 3 })`. */
export type RpcCalls<D> = {
  // biome-ignore lint/suspicious/noExplicitAny: matches declarations of any shape
  [K in keyof D as D[K] extends RpcDeclaration<any, any, 'to-server'>
    ? K
    : never]: D[K] extends RpcDeclaration<infer P, infer R>
    ? (params: StructValue<P>) => R extends FieldMap ? Promise<StructValue<R>> : undefined
    : never;
};

/** What a client-side handler learns about a call from the server. */
export interface ServerCallContext {
  nowMs: number;
}

export interface RpcClientOptions<D extends Record<string, AnyDeclaration>> {
  catalog: RpcCatalog<D>;
  /** Sends bytes to the server the way `delivery` says (the client maps it to a channel). */
  send: (bytes: Uint8Array, delivery: RpcDelivery) => void;
  /** How long a call waits for its reply. Default 5000 ms. */
  replyTimeoutMs?: number;
  /** The clock for reply deadlines and event times, ms. Default Date.now. */
  clock?: () => number;
}

/**
 * The client's side of RPC, sans-IO: typed stubs for the RPCs it calls (`call.name(params)`, a
 * promise of the reply when one is declared, failing with the server's code or RPC_TIMEOUT),
 * handlers for the RPCs the server calls on it, and events to the primary (the server) or to every
 * peer. What the server sends is decoded against the catalog; anything that does not decode or is
 * not allowed is dropped and reported to `onReject`, never thrown.
 */
export class RpcClient<D extends Record<string, AnyDeclaration>> {
  readonly call: RpcCalls<D>;
  /** Something the server sent was dropped (bad bytes, an RPC it may not call, no handler). */
  onReject: ((error: ShardlineError) => void) | undefined;
  private readonly handlers = new RpcHandlers<ServerCallContext>();
  private readonly pending = new PendingCalls();
  private readonly replyTimeoutMs: number;
  private readonly clock: () => number;

  constructor(private readonly options: RpcClientOptions<D>) {
    this.replyTimeoutMs = options.replyTimeoutMs ?? 5_000;
    this.clock = options.clock ?? Date.now;
    const stubs: Record<string, (params: unknown) => unknown> = {};
    for (const definition of options.catalog.byId) {
      if (definition.kind === 'rpc') stubs[definition.name] = (params) => this.callRpc(definition, params);
    }
    this.call = stubs as RpcCalls<D>;
  }

  /** Errors thrown by handlers and listeners (the server is told RPC_FAILED when it awaits a reply). */
  set onHandlerError(callback:
    | ((definition: AnyRpcDefinition | AnyEventDefinition, error: unknown) => void)
    | undefined) {
    this.handlers.onHandlerError = callback;
  }

  /** Answers calls of a to-client or to-all RPC from the server. */
  handle<P extends FieldMap, R extends FieldMap | undefined>(
    rpc: RpcDefinition<P, R>,
    handler: RpcHandler<P, R, ServerCallContext>,
  ): void {
    if (rpc.direction === 'to-server') {
      throw new ShardlineError('VALUE_INVALID', `${rpc.name} is to-server: clients do not answer it`);
    }
    this.handlers.handle(rpc, handler);
  }

  /** Hears an event: broadcast by the server, or by another client (the server names it). */
  on<P extends FieldMap>(event: EventDefinition<P>, listener: EventListener<P>): () => void {
    return this.handlers.on(event, listener);
  }

  /** An event to every peer: the server hears it and passes it on (reliable; ordered when `inOrder`, the default). */
  broadcastEvent<P extends FieldMap>(
    event: EventDefinition<P>,
    params: StructValue<P>,
    options: { inOrder?: boolean } = {},
  ): void {
    this.sendEvent(event, params, true, options.inOrder ?? true);
  }

  /** An event to the primary peer (the server) only. */
  sendEventToPrimary<P extends FieldMap>(
    event: EventDefinition<P>,
    params: StructValue<P>,
    options: { inOrder?: boolean } = {},
  ): void {
    this.sendEvent(event, params, false, options.inOrder ?? true);
  }

  /** Handles one message from the server. Never throws for anything it sent. */
  receive(bytes: Uint8Array): void {
    let message: RpcMessage | undefined;
    try {
      message = decodeRpcMessage(this.options.catalog, bytes);
      this.accept(message);
    } catch (error) {
      if (!isShardlineError(error)) throw error;
      this.onReject?.(error);
      if (message?.kind === 'call' && message.callId !== undefined) {
        this.options.send(encodeFailure(message.rpc, message.callId, failureOf(error)), message.rpc.delivery);
      }
    }
  }

  /** Fails calls whose reply is overdue (RPC_TIMEOUT). */
  update(nowMs = this.clock()): void {
    this.pending.expire(nowMs);
  }

  /** The connection ended: every call awaiting a reply fails with RPC_TIMEOUT. */
  close(): void {
    this.pending.abandon();
  }

  private sendEvent(event: AnyEventDefinition, params: unknown, broadcast: boolean, inOrder: boolean): void {
    const bytes = encodeEvent(event, { broadcast, inOrder }, this.clock(), '', params);
    this.options.send(bytes, eventDelivery(inOrder));
  }

  private callRpc(rpc: AnyRpcDefinition, params: unknown): Promise<StructValue<FieldMap>> | undefined {
    if (rpc.direction !== 'to-server') {
      throw new ShardlineError('VALUE_INVALID', `${rpc.name} is ${rpc.direction}: clients do not call it`);
    }
    if (!rpc.reply) {
      this.options.send(encodeCall(rpc, undefined, params), rpc.delivery);
      return undefined;
    }
    const { bytes, reply } = this.pending.add(rpc, this.clock() + this.replyTimeoutMs, params);
    this.options.send(bytes, rpc.delivery);
    return reply;
  }

  private accept(message: RpcMessage): void {
    if (message.kind === 'reply' || message.kind === 'failure') {
      this.pending.settle(message);
      return;
    }
    if (message.kind === 'event') {
      this.handlers.emit(message.event, message.params, { sender: message.sender, timeMs: message.timeMs });
      return;
    }
    const { rpc, callId, params } = message;
    if (rpc.direction === 'to-server')
      throw new ShardlineError('RPC_NOT_ALLOWED', `the server may not call ${rpc.name}`);
    const reason = rpc.validate?.(params);
    if (reason !== undefined) throw new ShardlineError('RPC_BAD_PARAMS', `${rpc.name}: ${reason}`);
    if (!this.handlers.has(rpc)) throw new ShardlineError('RPC_UNKNOWN', `nothing handles ${rpc.name}`);
    this.handlers.run(rpc, callId, params, { nowMs: this.clock() }, (reply, delivery) =>
      this.options.send(reply, delivery),
    );
  }
}
