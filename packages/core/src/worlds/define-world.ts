import { ShardlineError } from '../errors.js';
import { type AnyEntitySchema, WorldSchema } from '../replication/world-schema.js';
import type { AnyDeclaration, RpcCatalog } from '../rpc/define.js';
import type { Infer } from '../schema/field.js';
import { type WorldFingerprints, worldFingerprints, worldKindFingerprint } from './fingerprints.js';

/** Most players a world kind may seat (a bound on what one instance's tick may have to serve). */
export const MAX_WORLD_PLAYERS = 4096;
/** Highest tick rate a world kind may declare. */
export const MAX_TICK_HZ = 240;

export interface WorldKindOptions<
  E extends readonly AnyEntitySchema[],
  D extends Record<string, AnyDeclaration>,
  I extends AnyEntitySchema | undefined,
  S extends AnyEntitySchema | undefined,
> {
  /** The entity schemas the world replicates; their order is their index on the wire. */
  entities: E;
  /** The RPCs and events its players and server exchange (defineRpcs). */
  rpc?: RpcCatalog<D>;
  /** What each player sends every tick (declared with defineEntity): an input stream per seat. */
  input?: I;
  /** A state template each player publishes and every other player sees (declared with defineEntity). */
  state?: S;
  /** Simulation steps per second. Default 30. */
  tickHz?: number;
  /** Snapshots per second, a divisor of tickHz. Default tickHz. */
  sendHz?: number;
  /** Seats per instance. Default 16. */
  maxPlayers?: number;
  /** Instances live on when empty (named worlds such as `forest`); others are disposed. Default false. */
  persistent?: boolean;
}

/**
 * A kind of world, declared once in a module the server and its clients both import: the name
 * clients join it by, its entities, RPC catalog, input and state templates, rates and seats. The
 * channels its sessions use are the world channel map (WORLD_CHANNELS); its fingerprint covers all
 * of it, so a client built from another declaration is refused at join, told what differs.
 */
export class WorldKind<
  E extends readonly AnyEntitySchema[] = readonly AnyEntitySchema[],
  D extends Record<string, AnyDeclaration> = Record<string, AnyDeclaration>,
  I extends AnyEntitySchema | undefined = AnyEntitySchema | undefined,
  S extends AnyEntitySchema | undefined = AnyEntitySchema | undefined,
> {
  readonly entities: E;
  readonly schema: WorldSchema;
  readonly rpc: RpcCatalog<D> | undefined;
  readonly input: I;
  readonly state: S;
  readonly tickHz: number;
  readonly sendHz: number;
  readonly maxPlayers: number;
  readonly persistent: boolean;
  /** The fingerprint of each part of the declaration (PROTOCOL.md §13.2). */
  readonly fingerprints: WorldFingerprints;
  /** The fingerprint a client's hello names: all the parts together. */
  readonly fingerprint: string;

  constructor(
    readonly name: string,
    options: WorldKindOptions<E, D, I, S>,
  ) {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name)) {
      throw new ShardlineError(
        'SCHEMA_INVALID',
        `world kind name ${JSON.stringify(name)}: 1–32 lower-case letters, digits, _ or -, starting with a letter`,
      );
    }
    this.entities = options.entities;
    this.schema = new WorldSchema(options.entities);
    this.rpc = options.rpc;
    this.input = options.input as I;
    this.state = options.state as S;
    this.tickHz = options.tickHz ?? 30;
    this.sendHz = options.sendHz ?? this.tickHz;
    if (!Number.isInteger(this.tickHz) || this.tickHz < 1 || this.tickHz > MAX_TICK_HZ) {
      throw new ShardlineError('SCHEMA_INVALID', `${name}: tickHz must be a whole number 1–${MAX_TICK_HZ}`);
    }
    if (!Number.isInteger(this.sendHz) || this.sendHz < 1 || this.tickHz % this.sendHz !== 0) {
      throw new ShardlineError(
        'SCHEMA_INVALID',
        `${name}: sendHz ${this.sendHz} must divide tickHz ${this.tickHz}`,
      );
    }
    this.maxPlayers = options.maxPlayers ?? 16;
    if (!Number.isInteger(this.maxPlayers) || this.maxPlayers < 1 || this.maxPlayers > MAX_WORLD_PLAYERS) {
      throw new ShardlineError(
        'SCHEMA_INVALID',
        `${name}: maxPlayers must be a whole number 1–${MAX_WORLD_PLAYERS}`,
      );
    }
    this.persistent = options.persistent ?? false;
    this.fingerprints = worldFingerprints(this);
    this.fingerprint = worldKindFingerprint(this.fingerprints);
  }

  /** Milliseconds per simulation step. */
  get tickMs(): number {
    return 1000 / this.tickHz;
  }
}

/**
 * Declares a world kind (see WorldKind): `export const arena = defineWorld('arena', { entities:
 * [Fighter], rpc: arenaRpcs, input: Stick, tickHz: 60, sendHz: 20, maxPlayers: 8 })`.
 */
export function defineWorld<
  const E extends readonly AnyEntitySchema[],
  D extends Record<string, AnyDeclaration> = Record<never, AnyDeclaration>,
  I extends AnyEntitySchema | undefined = undefined,
  S extends AnyEntitySchema | undefined = undefined,
>(name: string, options: WorldKindOptions<E, D, I, S>): WorldKind<E, D, I, S> {
  return new WorldKind(name, options);
}

// biome-ignore lint/suspicious/noExplicitAny: a world kind of any declaration
export type AnyWorldKind = WorldKind<readonly AnyEntitySchema[], any, any, any>;
/** The entity schemas of a kind, as a union: what `spawn` and `entities` accept. */
export type EntitiesOf<K> = K extends WorldKind<infer E, infer _D, infer _I, infer _S> ? E[number] : never;
/** The RPC declarations of a kind (for typed calls and handlers). */
export type RpcsOf<K> = K extends WorldKind<infer _E, infer D, infer _I, infer _S> ? D : never;
/** The value a kind's players send each tick, or never without an input template. */
export type InputOf<K> =
  K extends WorldKind<infer _E, infer _D, infer I, infer _S>
    ? I extends AnyEntitySchema
      ? Infer<I>
      : never
    : never;
/** The value a kind's players publish, or never without a state template. */
export type StateOf<K> =
  K extends WorldKind<infer _E, infer _D, infer _I, infer S>
    ? S extends AnyEntitySchema
      ? Infer<S>
      : never
    : never;
