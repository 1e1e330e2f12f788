import { ShardlineError } from '../errors.js';
import type { FieldMap, StructValue } from '../schema/composite.js';
import type {
  AnyEventDefinition,
  AnyRpcDefinition,
  EventDefinition,
  RpcDefinition,
  RpcDelivery,
} from './define.js';
import { encodeFailure, encodeReply, failureOf } from './wire.js';

/** What a handler returns: its reply (or a promise of it) when the RPC declares one, else nothing. */
export type ReplyOf<R extends FieldMap | undefined> = R extends FieldMap
  ? StructValue<R> | Promise<StructValue<R>>
  : // biome-ignore lint/suspicious/noConfusingVoidType: a handler without a reply returns nothing, as `() => {}` does
    void;

export type RpcHandler<P extends FieldMap, R extends FieldMap | undefined, C> = (
  params: StructValue<P>,
  context: C,
) => ReplyOf<R>;

/** Who sent an event and when (the sender's clock, as it stamped the event, ms). */
export interface EventInfo {
  /** The sending peer: '' for the server, else the client the server names. */
  sender: string;
  timeMs: number;
}

export type EventListener<P extends FieldMap> = (params: StructValue<P>, info: EventInfo) => void;

type AnyHandler<C> = (params: StructValue<FieldMap>, context: C) => unknown;
type AnyListener = (params: StructValue<FieldMap>, info: EventInfo) => void;

/**
 * The handlers of the RPCs one side answers and the listeners of the events it hears, and how a call
 * that passed every check is run: its reply, or its failure, goes back through `respond`. A handler
 * may refuse a call by throwing a ShardlineError with an RPC_* code (the caller gets that code);
 * anything else it throws is RPC_FAILED for the caller and goes to `onHandlerError`.
 */
export class RpcHandlers<C> {
  onHandlerError: ((definition: AnyRpcDefinition | AnyEventDefinition, error: unknown) => void) | undefined;
  private readonly handlers = new Map<AnyRpcDefinition, AnyHandler<C>>();
  private readonly listeners = new Map<AnyEventDefinition, Set<AnyListener>>();

  handle<P extends FieldMap, R extends FieldMap | undefined>(
    rpc: RpcDefinition<P, R>,
    handler: RpcHandler<P, R, C>,
  ): void {
    this.handlers.set(rpc, handler as unknown as AnyHandler<C>);
  }

  has(rpc: AnyRpcDefinition): boolean {
    return this.handlers.has(rpc);
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<P extends FieldMap>(event: EventDefinition<P>, listener: EventListener<P>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const stored = listener as unknown as AnyListener;
    set.add(stored);
    return () => set.delete(stored);
  }

  /** Runs the handler of a checked call; `callId` when the caller awaits a reply. */
  run(
    rpc: AnyRpcDefinition,
    callId: number | undefined,
    params: StructValue<FieldMap>,
    context: C,
    respond: (bytes: Uint8Array, delivery: RpcDelivery) => void,
  ): void {
    const handler = this.handlers.get(rpc);
    if (!handler) throw new ShardlineError('RPC_UNKNOWN', `nothing handles ${rpc.name} here`);
    const fail = (error: unknown) => {
      const failure = failureOf(error);
      // A handler refusing with an RPC_* code is an answer, not a bug: only the others are reported.
      if (failure === 'RPC_FAILED') this.onHandlerError?.(rpc, error);
      if (callId !== undefined) respond(encodeFailure(rpc, callId, failure), rpc.delivery);
    };
    let result: unknown;
    try {
      result = handler(params, context);
    } catch (error) {
      fail(error);
      return;
    }
    if (callId === undefined) return;
    // A reply that does not fit its declaration fails the call (encodeReply throws VALUE_INVALID).
    const reply = (value: unknown) => respond(encodeReply(rpc, callId, value), rpc.delivery);
    if (result instanceof Promise) result.then(reply).catch(fail);
    else {
      try {
        reply(result);
      } catch (error) {
        fail(error);
      }
    }
  }

  /** Tells the event's listeners; a listener's error goes to onHandlerError, and the others still hear it. */
  emit(event: AnyEventDefinition, params: StructValue<FieldMap>, info: EventInfo): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(params, info);
      } catch (error) {
        this.onHandlerError?.(event, error);
      }
    }
  }
}
