import { ShardlineError } from '../errors.js';
import { type FieldMap, StructType, type StructValue } from '../schema/composite.js';
import { fnv1a64 } from '../schema/fingerprint.js';

/** Who calls whom: a client the server, the server one client, or the server every client. */
export type RpcDirection = 'to-server' | 'to-client' | 'to-all';

/**
 * How a call travels: `reliable` (in order with the other reliable calls), `reliable-unordered`
 * (delivered as soon as it arrives) or `unreliable` (may be lost; never for calls with a reply).
 */
export type RpcDelivery = 'reliable' | 'reliable-unordered' | 'unreliable';

/** Calls per second a client may make, and how many it may make at once (the bucket's depth). */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface RpcOptions<P extends FieldMap, R extends FieldMap | undefined> {
  /** The parameters, declared with the same field kinds as netvars: decoding them validates them. */
  params: P;
  /** Default 'to-server'. */
  direction?: RpcDirection;
  /** Default 'reliable'. */
  delivery?: RpcDelivery;
  /** The reply's fields; a call with a reply returns a promise of it (not for 'to-all'). */
  reply?: R;
  /**
   * Checks beyond the field kinds' own bounds (which decoding enforces): a reason to reject the
   * call (RPC_BAD_PARAMS), or undefined to accept it. Runs on the receiving side before the handler.
   */
  validate?: (params: StructValue<P>) => string | undefined;
  /** Calls of this RPC per client (to-server only); default: the router's per-RPC default. */
  rate?: RateLimit;
}

export interface EventOptions<P extends FieldMap> {
  params: P;
  validate?: (params: StructValue<P>) => string | undefined;
  /** Events of this kind per client (those sent by clients); default: the router's per-RPC default. */
  rate?: RateLimit;
}

/** A declared RPC: `rpc({...})` inside defineRpcs. `Dir` is its direction, for the typed stubs and handlers. */
export interface RpcDeclaration<
  P extends FieldMap,
  R extends FieldMap | undefined,
  Dir extends RpcDirection = RpcDirection,
> {
  kind: 'rpc';
  options: RpcOptions<P, R>;
  /** Types only: the declared direction (a client's stubs list to-server RPCs, a server's handlers too). */
  readonly direction?: Dir;
}

/** A declared event: `event({...})` inside defineRpcs. */
export interface EventDeclaration<P extends FieldMap> {
  kind: 'event';
  options: EventOptions<P>;
}

// biome-ignore lint/suspicious/noExplicitAny: declarations of any parameter and reply shapes
export type AnyDeclaration = RpcDeclaration<any, any> | EventDeclaration<any>;

/** The declarations a catalog was made from: `DeclarationsOf<typeof game>`. */
export type DeclarationsOf<C> = C extends RpcCatalog<infer D> ? D : never;

export function rpc<
  P extends FieldMap,
  R extends FieldMap | undefined = undefined,
  const Dir extends RpcDirection = 'to-server',
>(
  options: Omit<RpcOptions<P, R>, 'direction'> & { direction?: Dir },
): RpcDeclaration<P, NoInfer<R>, NoInfer<Dir>> {
  // NoInfer: R comes from `reply` alone, never from where the declaration is used (defineRpcs).
  return { kind: 'rpc', options };
}

export function event<P extends FieldMap>(options: EventOptions<P>): EventDeclaration<P> {
  return { kind: 'event', options };
}

/** An RPC of a catalog: its wire id, name, and the struct types of its parameters and reply. */
export class RpcDefinition<
  P extends FieldMap = FieldMap,
  R extends FieldMap | undefined = FieldMap | undefined,
> {
  readonly kind = 'rpc';
  readonly params: StructType<P>;
  readonly reply: R extends FieldMap ? StructType<R> : undefined;
  readonly direction: RpcDirection;
  readonly delivery: RpcDelivery;
  readonly validate: ((params: StructValue<P>) => string | undefined) | undefined;
  readonly rate: RateLimit | undefined;
  readonly descriptor: string;

  constructor(
    readonly id: number,
    readonly name: string,
    options: RpcOptions<P, R>,
  ) {
    this.params = new StructType(options.params, `rpc ${name} params`);
    this.reply = (options.reply ? new StructType(options.reply, `rpc ${name} reply`) : undefined) as never;
    this.direction = options.direction ?? 'to-server';
    this.delivery = options.delivery ?? 'reliable';
    this.validate = options.validate;
    this.rate = options.rate && checkedRate(options.rate, name);
    if (this.reply && (this.delivery === 'unreliable' || this.direction === 'to-all')) {
      throw new ShardlineError(
        'SCHEMA_INVALID',
        `rpc ${name}: a reply needs a reliable call to one peer (not ${this.delivery} ${this.direction})`,
      );
    }
    const reply = this.reply ? (this.reply as StructType<FieldMap>).descriptor : '-';
    this.descriptor = `rpc ${name} ${this.direction} ${this.delivery} ${this.params.descriptor} ${reply}`;
  }
}

/** An event of a catalog: broadcast to every peer, or sent to the primary (the server). */
export class EventDefinition<P extends FieldMap = FieldMap> {
  readonly kind = 'event';
  readonly params: StructType<P>;
  readonly validate: ((params: StructValue<P>) => string | undefined) | undefined;
  readonly rate: RateLimit | undefined;
  readonly descriptor: string;

  constructor(
    readonly id: number,
    readonly name: string,
    options: EventOptions<P>,
  ) {
    this.params = new StructType(options.params, `event ${name} params`);
    this.validate = options.validate;
    this.rate = options.rate && checkedRate(options.rate, name);
    this.descriptor = `event ${name} ${this.params.descriptor}`;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: definitions of any parameter and reply shapes
export type AnyRpcDefinition = RpcDefinition<any, any>;
// biome-ignore lint/suspicious/noExplicitAny: definitions of any parameter shape
export type AnyEventDefinition = EventDefinition<any>;

/** The definitions of a catalog, by name, with their types. */
export type Definitions<D extends Record<string, AnyDeclaration>> = {
  [K in keyof D]: D[K] extends RpcDeclaration<infer P, infer R>
    ? RpcDefinition<P, R>
    : D[K] extends EventDeclaration<infer P>
      ? EventDefinition<P>
      : never;
};

/** Most entries a catalog may hold (wire ids are varuints; this bounds what a peer must track). */
export const MAX_CATALOG_ENTRIES = 4096;

/**
 * Every RPC and event two peers share, declared once in a module both import. Wire ids are the
 * entries' positions in name order, so they do not depend on declaration order; the fingerprint
 * covers names, directions, deliveries, parameters and replies, so peers can check they agree.
 */
export class RpcCatalog<D extends Record<string, AnyDeclaration>> {
  readonly definitions: Definitions<D>;
  readonly byId: readonly (AnyRpcDefinition | AnyEventDefinition)[];
  readonly descriptor: string;
  readonly fingerprint: string;

  constructor(declarations: D) {
    const names = Object.keys(declarations).sort();
    if (names.length > MAX_CATALOG_ENTRIES) {
      throw new ShardlineError('SCHEMA_INVALID', `a catalog holds at most ${MAX_CATALOG_ENTRIES} entries`);
    }
    const byId: (AnyRpcDefinition | AnyEventDefinition)[] = [];
    const definitions: Record<string, AnyRpcDefinition | AnyEventDefinition> = {};
    for (const [id, name] of names.entries()) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new ShardlineError('SCHEMA_INVALID', `rpc name ${JSON.stringify(name)} must be an identifier`);
      }
      const declaration = declarations[name]!;
      const definition =
        declaration.kind === 'rpc'
          ? new RpcDefinition(id, name, declaration.options)
          : new EventDefinition(id, name, declaration.options);
      byId.push(definition);
      definitions[name] = definition;
    }
    this.byId = byId;
    this.definitions = definitions as Definitions<D>;
    this.descriptor = byId.map((definition) => definition.descriptor).join('\n');
    this.fingerprint = fnv1a64(this.descriptor);
  }
}

/** Declares the RPCs and events of a game: `defineRpcs({ useItem: rpc({...}), chat: event({...}) })`. */
export function defineRpcs<D extends Record<string, AnyDeclaration>>(declarations: D): RpcCatalog<D> {
  return new RpcCatalog(declarations);
}

function checkedRate(rate: RateLimit, name: string): RateLimit {
  if (!(rate.perSecond > 0) || !(rate.burst >= 1)) {
    throw new ShardlineError('SCHEMA_INVALID', `${name}: a rate needs perSecond > 0 and burst ≥ 1`);
  }
  return rate;
}
