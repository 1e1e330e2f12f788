import { type ErrorCode, isShardlineError, ShardlineError } from '../errors.js';
import type { FieldMap, StructValue } from '../schema/composite.js';
import type {
  AnyEventDefinition,
  AnyRpcDefinition,
  EventDefinition,
  RateLimit,
  RpcCatalog,
  RpcDefinition,
  RpcDelivery,
} from './define.js';
import { type EventListener, type RpcHandler, RpcHandlers } from './handlers.js';
import { PendingCalls } from './pending-calls.js';
import { TokenBucket } from './token-bucket.js';
import { decodeRpcMessage, encodeCall, encodeEvent, encodeFailure, type RpcMessage } from './wire.js';

/** What a server-side handler learns about a call besides its parameters. */
export interface RpcCallContext {
  /** The calling client (a session or seat id: whatever the host passes to `receive`). */
  client: string;
  nowMs: number;
}

export interface RpcRouterOptions {
  // biome-ignore lint/suspicious/noExplicitAny: any catalog
  catalog: RpcCatalog<any>;
  /** Sends bytes to one client the way `delivery` says (the host maps it to a channel). */
  send: (client: string, bytes: Uint8Array, delivery: RpcDelivery) => void;
  /** Calls per client of each RPC (and events of each kind) without a rate of its own. Default 30/s, burst 60. */
  rpcRate?: RateLimit;
  /** Calls and events per client, all kinds together. Default 200/s, burst 400. */
  clientRate?: RateLimit;
  /** Rejections within `windowMs` after which a client is reported misbehaving. Default 200 in 10 s. */
  abuse?: { rejections: number; windowMs: number };
  /** Rejections per client per second passed to onReject (the others are only counted). Default 2. */
  reportsPerSecond?: number;
  /** How long a server→client call waits for its reply. Default 5000 ms. */
  replyTimeoutMs?: number;
}

/** Per client: its buckets, pending calls, counters and abuse record. */
interface ClientRecord {
  bucket: TokenBucket;
  perRpc: Map<number, TokenBucket>;
  pending: PendingCalls;
  reports: TokenBucket;
  calls: number;
  rejected: Partial<Record<ErrorCode, number>>;
  /** Rejection times (ms) within the abuse window, oldest first. */
  strikes: number[];
  misbehaving: boolean;
}

export interface RpcClientStats {
  /** Calls and events that reached a handler or listener. */
  calls: number;
  /** Rejections by code. */
  rejected: Partial<Record<ErrorCode, number>>;
}

/**
 * The server's side of RPC, sans-IO: decodes what clients send, checks it (decodes within the
 * declared kinds, direction, per-RPC and per-client rate, the RPC's validator, a handler exists),
 * and only then runs the handler with the caller. A rejected call never reaches game code: it is
 * counted per client and code, reported to `onReject` at a bounded rate, answered with the failure
 * if the caller awaits a reply (except RPC_RATE_LIMITED: a flood gets no answers), and a client
 * whose rejections pile up is reported once to `onMisbehaving` (the host disconnects it). The
 * server also calls clients (replies awaited with a timeout) and broadcasts events.
 */
export class RpcRouter {
  /** A rejected call or event (bounded per client by reportsPerSecond). */
  onReject: ((client: string, error: ShardlineError) => void) | undefined;
  /** A client's rejections passed the abuse threshold: disconnect it (reason `misbehaving`). */
  onMisbehaving: ((client: string) => void) | undefined;
  /** Rejections by code over the router's life, every client included (e.g. for metrics). */
  readonly rejectedTotals: Partial<Record<ErrorCode, number>> = {};
  private readonly handlers = new RpcHandlers<RpcCallContext>();
  private readonly clients = new Map<string, ClientRecord>();
  private readonly rpcRate: RateLimit;
  private readonly clientRate: RateLimit;
  private readonly abuse: { rejections: number; windowMs: number };
  private readonly reportsPerSecond: number;
  private readonly replyTimeoutMs: number;

  constructor(private readonly options: RpcRouterOptions) {
    this.rpcRate = options.rpcRate ?? { perSecond: 30, burst: 60 };
    this.clientRate = options.clientRate ?? { perSecond: 200, burst: 400 };
    this.abuse = options.abuse ?? { rejections: 200, windowMs: 10_000 };
    this.reportsPerSecond = options.reportsPerSecond ?? 2;
    this.replyTimeoutMs = options.replyTimeoutMs ?? 5_000;
  }

  /** Errors thrown by handlers and listeners (the caller is told RPC_FAILED). */
  set onHandlerError(callback:
    | ((definition: AnyRpcDefinition | AnyEventDefinition, error: unknown) => void)
    | undefined) {
    this.handlers.onHandlerError = callback;
  }

  /** Answers calls of a to-server RPC. */
  handle<P extends FieldMap, R extends FieldMap | undefined>(
    rpc: RpcDefinition<P, R>,
    handler: RpcHandler<P, R, RpcCallContext>,
  ): void {
    if (rpc.direction !== 'to-server') {
      throw new ShardlineError(
        'VALUE_INVALID',
        `${rpc.name} is ${rpc.direction}: the server does not answer it`,
      );
    }
    this.handlers.handle(rpc, handler);
  }

  /** Hears an event sent by clients (to the primary, or broadcast: the server hears those too). */
  on<P extends FieldMap>(event: EventDefinition<P>, listener: EventListener<P>): () => void {
    return this.handlers.on(event, listener);
  }

  addClient(client: string, nowMs: number): void {
    this.clients.set(client, {
      bucket: new TokenBucket(this.clientRate, nowMs),
      perRpc: new Map(),
      pending: new PendingCalls(),
      reports: new TokenBucket({ perSecond: this.reportsPerSecond, burst: this.reportsPerSecond }, nowMs),
      calls: 0,
      rejected: {},
      strikes: [],
      misbehaving: false,
    });
  }

  /** The client left: its pending calls fail with RPC_TIMEOUT. */
  removeClient(client: string): void {
    this.clients.get(client)?.pending.abandon();
    this.clients.delete(client);
  }

  stats(client: string): RpcClientStats | undefined {
    const record = this.clients.get(client);
    return record && { calls: record.calls, rejected: { ...record.rejected } };
  }

  /** Fails server→client calls whose reply is overdue (RPC_TIMEOUT). */
  update(nowMs: number): void {
    for (const record of this.clients.values()) record.pending.expire(nowMs);
  }

  /** Calls a to-client RPC on one client; resolves with its reply when it declares one. */
  call<P extends FieldMap, R extends FieldMap | undefined>(
    client: string,
    rpc: RpcDefinition<P, R>,
    params: StructValue<P>,
    nowMs: number,
  ): R extends FieldMap ? Promise<StructValue<R>> : undefined {
    if (rpc.direction !== 'to-client')
      throw new ShardlineError('VALUE_INVALID', `${rpc.name} is ${rpc.direction}`);
    const record = this.recordOf(client);
    if (!rpc.reply) {
      this.options.send(client, encodeCall(rpc, undefined, params), rpc.delivery);
      return undefined as never;
    }
    const { reply, bytes } = record.pending.add(rpc, nowMs + this.replyTimeoutMs, params);
    this.options.send(client, bytes, rpc.delivery);
    return reply as never;
  }

  /** Calls a to-all RPC on every client. */
  callAll<P extends FieldMap>(rpc: RpcDefinition<P, undefined>, params: StructValue<P>): void {
    if (rpc.direction !== 'to-all')
      throw new ShardlineError('VALUE_INVALID', `${rpc.name} is ${rpc.direction}`);
    const bytes = encodeCall(rpc, undefined, params);
    for (const client of this.clients.keys()) this.options.send(client, bytes, rpc.delivery);
  }

  /** Sends an event from the server to every client (reliable; ordered with the others when `inOrder`). */
  broadcastEvent<P extends FieldMap>(
    event: EventDefinition<P>,
    params: StructValue<P>,
    options: { inOrder?: boolean; timeMs: number },
  ): void {
    const inOrder = options.inOrder ?? true;
    const bytes = encodeEvent(event, { broadcast: true, inOrder }, options.timeMs, '', params);
    for (const client of this.clients.keys()) this.options.send(client, bytes, eventDelivery(inOrder));
  }

  /** Handles one message from a client. Never throws for anything the client sent. */
  receive(client: string, bytes: Uint8Array, nowMs: number): void {
    const record = this.clients.get(client);
    if (!record) return;
    if (!record.bucket.take(nowMs)) {
      this.rateLimited(client, record, undefined, nowMs);
      return;
    }
    let message: RpcMessage | undefined;
    try {
      message = decodeRpcMessage(this.options.catalog, bytes);
      this.accept(client, record, message, nowMs);
    } catch (error) {
      if (!isShardlineError(error)) throw error;
      this.reject(client, record, error, message, nowMs);
    }
  }

  private accept(client: string, record: ClientRecord, message: RpcMessage, nowMs: number): void {
    if (message.kind === 'reply' || message.kind === 'failure') {
      record.pending.settle(message);
      return;
    }
    const definition = message.kind === 'call' ? message.rpc : message.event;
    if (message.kind === 'call' && message.rpc.direction !== 'to-server') {
      throw new ShardlineError('RPC_NOT_ALLOWED', `clients may not call ${message.rpc.name}`);
    }
    if (!this.bucketOf(record, definition, nowMs).take(nowMs)) {
      this.rateLimited(client, record, definition, nowMs);
      return;
    }
    const reason = definition.validate?.(message.params);
    if (reason !== undefined) throw new ShardlineError('RPC_BAD_PARAMS', `${definition.name}: ${reason}`);
    if (message.kind === 'event') {
      record.calls++;
      this.relay(client, message);
      return;
    }
    if (!this.handlers.has(message.rpc))
      throw new ShardlineError('RPC_UNKNOWN', `nothing handles ${message.rpc.name}`);
    record.calls++;
    const respond = (reply: Uint8Array, delivery: RpcDelivery) => {
      if (this.clients.get(client) === record) this.options.send(client, reply, delivery);
    };
    this.handlers.run(message.rpc, message.callId, message.params, { client, nowMs }, respond);
  }

  /** A client's event: the server hears it, and a broadcast goes on to every other client, naming the sender. */
  private relay(client: string, message: Extract<RpcMessage, { kind: 'event' }>): void {
    const { event, flags, timeMs, params } = message;
    this.handlers.emit(event, params, { sender: client, timeMs });
    if (!flags.broadcast) return;
    const bytes = encodeEvent(event, flags, timeMs, client, params);
    for (const other of this.clients.keys()) {
      if (other !== client) this.options.send(other, bytes, eventDelivery(flags.inOrder));
    }
  }

  /**
   * Rejects with RPC_RATE_LIMITED, by the client's overall bucket (`definition` undefined) or the
   * entry's own: what a flood makes of nearly every message, so its error (an Error captures a
   * stack, most of what such a rejection would cost) is made only when reported.
   */
  private rateLimited(
    client: string,
    record: ClientRecord,
    definition: AnyRpcDefinition | AnyEventDefinition | undefined,
    nowMs: number,
  ): void {
    if (this.count(record, 'RPC_RATE_LIMITED', nowMs)) {
      const why = definition
        ? `${definition.name} called too often`
        : `more than ${this.clientRate.perSecond} calls a second`;
      this.onReject?.(client, new ShardlineError('RPC_RATE_LIMITED', why));
    }
    this.strike(client, record, nowMs);
  }

  private reject(
    client: string,
    record: ClientRecord,
    error: ShardlineError,
    message: RpcMessage | undefined,
    nowMs: number,
  ): void {
    const code = error.code.startsWith('WIRE_') ? 'RPC_BAD_PARAMS' : error.code;
    if (this.count(record, code, nowMs)) this.onReject?.(client, error);
    // A caller awaiting a reply learns why, unless it is flooding (answers would double the traffic).
    if (message?.kind === 'call' && message.callId !== undefined && code !== 'RPC_RATE_LIMITED') {
      const failure =
        code === 'RPC_BAD_PARAMS' || code === 'RPC_UNKNOWN' || code === 'RPC_NOT_ALLOWED'
          ? code
          : 'RPC_FAILED';
      this.options.send(client, encodeFailure(message.rpc, message.callId, failure), message.rpc.delivery);
    }
    this.strike(client, record, nowMs);
  }

  /** Counts a rejection of `code`; true when it is to be reported (bounded by reportsPerSecond). */
  private count(record: ClientRecord, code: ErrorCode, nowMs: number): boolean {
    record.rejected[code] = (record.rejected[code] ?? 0) + 1;
    this.rejectedTotals[code] = (this.rejectedTotals[code] ?? 0) + 1;
    return record.reports.take(nowMs);
  }

  /** Records a rejection against the abuse threshold; past it, reports the client once. */
  private strike(client: string, record: ClientRecord, nowMs: number): void {
    if (record.misbehaving) return; // reported once; the host is disconnecting it
    const strikes = record.strikes;
    strikes.push(nowMs);
    while (strikes.length > 0 && strikes[0]! <= nowMs - this.abuse.windowMs) strikes.shift();
    if (strikes.length >= this.abuse.rejections) {
      record.misbehaving = true;
      this.onMisbehaving?.(client);
    }
  }

  private bucketOf(
    record: ClientRecord,
    definition: AnyRpcDefinition | AnyEventDefinition,
    nowMs: number,
  ): TokenBucket {
    let bucket = record.perRpc.get(definition.id);
    if (!bucket) {
      bucket = new TokenBucket(definition.rate ?? this.rpcRate, nowMs);
      record.perRpc.set(definition.id, bucket);
    }
    return bucket;
  }

  private recordOf(client: string): ClientRecord {
    const record = this.clients.get(client);
    if (!record) throw new ShardlineError('VALUE_INVALID', `no client ${client}`);
    return record;
  }
}

/** Events are reliable: ordered with the other ordered messages when `inOrder`, else as they arrive. */
export function eventDelivery(inOrder: boolean): RpcDelivery {
  return inOrder ? 'reliable' : 'reliable-unordered';
}
