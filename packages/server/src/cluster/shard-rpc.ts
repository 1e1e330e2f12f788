import {
  type AnyDeclaration,
  type AnyRpcDefinition,
  decodeRpcMessage,
  encodeCall,
  encodeReply,
  isShardlineError,
  type RateLimit,
  type ReplyOf,
  type RpcCatalog,
  type RpcDeclaration,
  ShardlineError,
  type StructValue,
  TokenBucket,
} from '@shardline/core';
import type { Unsubscribe } from '../bus/index.js';
import type { ClusterEngine } from './engine.js';
import { decodeShardRpcRequest, encodeShardRpcRequest } from './shard-rpc-wire.js';

/** A shard RPC's reply time limit by default, ms. */
export const DEFAULT_SHARD_RPC_TIMEOUT_MS = 5_000;
/** Calls of one RPC one shard may make to another by default (an RPC's own `rate` overrides it). */
export const DEFAULT_SHARD_RPC_RATE: RateLimit = { perSecond: 1_000, burst: 2_000 };

/** Where a call goes: the shard holding the master role, or a shard by name. */
export type ShardTarget = 'master' | (string & {});

/** Who made a call a handler runs. */
export interface ShardCallContext {
  /** The calling shard's name. */
  from: string;
}

/** The engine subjects shard RPC travels on (docs/cluster/CLUSTER.md §4). */
export const shardRpcSubject = (cluster: string, shard: string) => `shardline.${cluster}.shard.${shard}.rpc`;
export const masterRpcSubject = (cluster: string) => `shardline.${cluster}.role.master.rpc`;

// biome-ignore lint/suspicious/noExplicitAny: handlers of any parameter and reply shapes
type AnyHandler = (params: any, context: ShardCallContext) => unknown;

type ParamsOf<D> = D extends RpcDeclaration<infer P, infer _R> ? StructValue<P> : never;
type ReplyValueOf<D> =
  D extends RpcDeclaration<infer _P, infer R>
    ? R extends undefined
      ? undefined
      : StructValue<NonNullable<R>>
    : never;
type HandlerOf<D> =
  D extends RpcDeclaration<infer P, infer R>
    ? (params: StructValue<P>, context: ShardCallContext) => ReplyOf<R>
    : never;

export interface ShardRpcOptions<D extends Record<string, AnyDeclaration>> {
  engine: ClusterEngine;
  cluster: string;
  /** This shard's name. */
  shard: string;
  /** Every shard the cluster config names (a call to another name is SHARD_UNKNOWN). */
  shards: readonly string[];
  /** The RPCs shards call on each other, declared with defineRpcs as a game's RPCs are. */
  catalog: RpcCatalog<D>;
  /** True while this shard holds the master role (calls to 'master' it gets otherwise are refused). */
  isMaster: () => boolean;
  timeoutMs?: number;
  /** A handler threw something other than a ShardlineError (the caller gets RPC_FAILED). */
  onHandlerError?: (error: unknown, rpc: string) => void;
}

/**
 * Shard RPC (DST's SendRPCToShard): typed calls between the shards of a cluster over the engine's
 * requests. A call names the master or a shard; its parameters are checked by their declaration
 * (and `validate`) on the receiving shard, rate-limited per calling shard and RPC, and answered by
 * the handler's reply. Handlers run on the shard's event loop, between ticks. Failures, as codes:
 * SHARD_UNKNOWN (a name the config does not have), SHARD_UNAVAILABLE (not running, or no master
 * now), SHARD_RPC_TIMEOUT, RPC_UNKNOWN (no handler there), RPC_BAD_PARAMS, RPC_RATE_LIMITED,
 * PROTOCOL_MISMATCH (the shards declare different catalogs), RPC_FAILED, or whatever ShardlineError
 * the handler threw.
 */
export class ShardRpc<D extends Record<string, AnyDeclaration>> {
  private readonly handlers = new Map<string, AnyHandler>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly served: Unsubscribe[] = [];
  private masterServed: Unsubscribe | undefined;
  private readonly timeoutMs: number;
  /** Calls served per whole second (Date.now() / 1000), for the dashboard's RPC rate. */
  private servedThisSecond = 0;
  private servedLastSecond = 0;
  private second = 0;

  constructor(private readonly options: ShardRpcOptions<D>) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_SHARD_RPC_TIMEOUT_MS;
  }

  /** Answers calls to this shard by name (and to 'master' while `serveMaster` says so). */
  async start(): Promise<void> {
    const { engine, cluster, shard } = this.options;
    this.served.push(await engine.serve(shardRpcSubject(cluster, shard), (bytes) => this.receive(bytes)));
  }

  /** Starts or stops answering calls to 'master' (as this shard gains or loses the role). */
  async serveMaster(serve: boolean): Promise<void> {
    if (serve && !this.masterServed) {
      const subject = masterRpcSubject(this.options.cluster);
      this.masterServed = await this.options.engine.serve(subject, (bytes) => {
        if (!this.options.isMaster()) {
          throw new ShardlineError('SHARD_UNAVAILABLE', `${this.options.shard} is no longer the master`);
        }
        return this.receive(bytes);
      });
    } else if (!serve && this.masterServed) {
      const stop = this.masterServed;
      this.masterServed = undefined;
      await stop();
    }
  }

  async stop(): Promise<void> {
    await this.serveMaster(false);
    for (const stop of this.served.splice(0)) await stop();
  }

  /** Handles calls of `name` on this shard; one handler per RPC (a second replaces the first). */
  handle<K extends keyof D & string>(name: K, handler: HandlerOf<D[K]>): void {
    this.definition(name);
    this.handlers.set(name, handler as AnyHandler);
  }

  /** Calls `name` on `target` and resolves with its reply (undefined for an RPC without one). */
  async call<K extends keyof D & string>(
    target: ShardTarget,
    name: K,
    params: ParamsOf<D[K]>,
    options: { timeoutMs?: number } = {},
  ): Promise<ReplyValueOf<D[K]>> {
    const { cluster, shards, catalog } = this.options;
    if (target !== 'master' && !shards.includes(target)) {
      throw new ShardlineError('SHARD_UNKNOWN', `cluster ${cluster} has no shard ${JSON.stringify(target)}`, {
        shard: target,
      });
    }
    const rpc = this.definition(name);
    const request = encodeShardRpcRequest({
      from: this.options.shard,
      fingerprint: catalog.fingerprint,
      call: encodeCall(rpc, rpc.reply ? 0 : undefined, params),
    });
    const subject = target === 'master' ? masterRpcSubject(cluster) : shardRpcSubject(cluster, target);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    let reply: Uint8Array;
    try {
      reply = await this.options.engine.request(subject, request, timeoutMs);
    } catch (error) {
      throw callFailure(error, target, name, timeoutMs);
    }
    if (!rpc.reply) return undefined as ReplyValueOf<D[K]>;
    const message = decodeRpcMessage(catalog, reply);
    if (message.kind !== 'reply' || message.rpc !== rpc) {
      throw new ShardlineError('WIRE_INVALID', `${target} answered ${name} with a ${message.kind}`);
    }
    return message.reply as ReplyValueOf<D[K]>;
  }

  /**
   * Calls `name` on every shard the config names other than this one, at once: each shard's reply,
   * or the error its call failed with (a shard that is down: SHARD_UNAVAILABLE).
   */
  async callAll<K extends keyof D & string>(
    name: K,
    params: ParamsOf<D[K]>,
    options: { timeoutMs?: number } = {},
  ): Promise<Map<string, { reply: ReplyValueOf<D[K]> } | { error: ShardlineError }>> {
    const others = this.options.shards.filter((shard) => shard !== this.options.shard);
    const outcomes = await Promise.all(
      others.map((shard) =>
        this.call(shard, name, params, options).then(
          (reply) => ({ reply }),
          (error: unknown) => ({ error: asShardlineError(error) }),
        ),
      ),
    );
    return new Map(others.map((shard, index) => [shard, outcomes[index]!]));
  }

  /** Calls this shard answered over the last whole second. */
  get callsPerSecond(): number {
    this.countSecond();
    return this.servedLastSecond;
  }

  private async receive(bytes: Uint8Array): Promise<Uint8Array> {
    this.countSecond();
    this.servedThisSecond++;
    const { catalog, shards } = this.options;
    let request: ReturnType<typeof decodeShardRpcRequest>;
    let message: ReturnType<typeof decodeRpcMessage>;
    try {
      request = decodeShardRpcRequest(bytes);
      if (!shards.includes(request.from)) {
        throw new ShardlineError('SHARD_UNKNOWN', `a call from ${JSON.stringify(request.from)}, not a shard`);
      }
      if (request.fingerprint !== catalog.fingerprint) {
        throw new ShardlineError(
          'PROTOCOL_MISMATCH',
          `${request.from} declares other shard RPCs (catalog ${request.fingerprint}, here ${catalog.fingerprint})`,
        );
      }
      message = decodeRpcMessage(catalog, request.call);
    } catch (error) {
      if (isShardlineError(error) && error.code.startsWith('WIRE_')) {
        throw new ShardlineError('RPC_BAD_PARAMS', error.message);
      }
      throw error;
    }
    if (message.kind !== 'call') throw new ShardlineError('RPC_BAD_PARAMS', `a ${message.kind}, not a call`);
    const rpc = message.rpc;
    if (!this.bucketOf(request.from, rpc.name, rpc.rate).take(Date.now())) {
      throw new ShardlineError('RPC_RATE_LIMITED', `${request.from} calls ${rpc.name} too often`);
    }
    const reason = rpc.validate?.(message.params);
    if (reason !== undefined) throw new ShardlineError('RPC_BAD_PARAMS', `${rpc.name}: ${reason}`);
    const handler = this.handlers.get(rpc.name);
    if (!handler)
      throw new ShardlineError('RPC_UNKNOWN', `${this.options.shard} does not handle ${rpc.name}`);
    let reply: unknown;
    try {
      reply = await handler(message.params, { from: request.from });
    } catch (error) {
      if (!isShardlineError(error)) this.options.onHandlerError?.(error, rpc.name);
      throw error;
    }
    return rpc.reply ? encodeReply(rpc, 0, reply) : new Uint8Array(0);
  }

  private definition(name: string): AnyRpcDefinition {
    const definitions = this.options.catalog.definitions as Record<string, { kind: string } | undefined>;
    const definition = Object.hasOwn(definitions, name) ? definitions[name] : undefined;
    if (definition?.kind !== 'rpc') {
      throw new ShardlineError('RPC_UNKNOWN', `no shard RPC named ${JSON.stringify(name)}`);
    }
    return definition as AnyRpcDefinition;
  }

  private bucketOf(from: string, rpc: string, rate: RateLimit | undefined): TokenBucket {
    const key = `${from}\u0000${rpc}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rate ?? DEFAULT_SHARD_RPC_RATE, Date.now());
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private countSecond(): void {
    const second = Math.floor(Date.now() / 1000);
    if (second === this.second) return;
    this.servedLastSecond = second === this.second + 1 ? this.servedThisSecond : 0;
    this.servedThisSecond = 0;
    this.second = second;
  }
}

/** The engine's failure as shard RPC names it. */
function callFailure(error: unknown, target: string, rpc: string, timeoutMs: number): unknown {
  if (isShardlineError(error, 'CLUSTER_NO_RESPONDER')) {
    const what = target === 'master' ? 'no shard holds the master role' : `shard ${target} is not running`;
    return new ShardlineError('SHARD_UNAVAILABLE', `${rpc}: ${what}`, { shard: target });
  }
  if (isShardlineError(error, 'CLUSTER_TIMEOUT')) {
    return new ShardlineError('SHARD_RPC_TIMEOUT', `${rpc} on ${target}: no reply within ${timeoutMs} ms`, {
      shard: target,
      timeoutMs,
    });
  }
  return error;
}

function asShardlineError(error: unknown): ShardlineError {
  return isShardlineError(error) ? error : new ShardlineError('RPC_FAILED', String(error));
}
