import {
  BitReader,
  BitWriter,
  type FieldMap,
  fnv1a64,
  ShardlineError,
  StructType,
  type StructValue,
} from '@shardline/core';

/** How one kind of cluster event is declared (DST's Shard_SyncBossDefeated is one such kind). */
export interface ClusterEventOptions<P extends FieldMap> {
  /** Its data, declared with the netvar field kinds: decoding it checks its bounds. */
  params: P;
  /** Run by the master before it accepts a report: a reason to refuse it, or undefined. */
  validate?: (params: StructValue<P>) => string | undefined;
  /**
   * What the event is about (`dragonfly`): events of one kind and key replace each other, so a
   * shard that was down catches up on the last of each. 1–64 letters, digits, `_` or `-`. Default:
   * one subject for the whole kind.
   */
  key?: (params: StructValue<P>) => string;
  /** The shards the event concerns; default every shard. */
  shards?: (params: StructValue<P>) => readonly string[];
}

export interface ClusterEventDeclaration<P extends FieldMap> {
  kind: 'cluster-event';
  options: ClusterEventOptions<P>;
}

export function clusterEvent<P extends FieldMap>(
  options: ClusterEventOptions<P>,
): ClusterEventDeclaration<P> {
  return { kind: 'cluster-event', options };
}

// biome-ignore lint/suspicious/noExplicitAny: declarations of any parameter shape
export type AnyClusterEventDeclaration = ClusterEventDeclaration<any>;

export type ClusterEventParams<D> = D extends ClusterEventDeclaration<infer P> ? StructValue<P> : never;

/** A declared kind, ready to encode and check. */
export class ClusterEventDefinition<P extends FieldMap = FieldMap> {
  readonly params: StructType<P>;

  constructor(
    readonly name: string,
    readonly options: ClusterEventOptions<P>,
  ) {
    this.params = new StructType(options.params, `cluster event ${name}`);
  }

  /** The log subject of an event: `event.<kind>` or `event.<kind>.<key>`. VALUE_INVALID for a bad key. */
  subjectOf(params: StructValue<P>): string {
    if (!this.options.key) return `event.${this.name}`;
    const key = this.options.key(params);
    if (typeof key !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(key)) {
      throw new ShardlineError('VALUE_INVALID', `cluster event ${this.name}: key ${JSON.stringify(key)}`);
    }
    return `event.${this.name}.${key}`;
  }
}

/** Longest kind name, and most shards one event may name. */
export const MAX_EVENT_KIND_LENGTH = 64;
export const MAX_EVENT_SHARDS = 64;

/**
 * The kinds of cluster event a game declares, once, in a module every shard imports; the
 * fingerprint covers names and data so the master can refuse a shard declaring other ones.
 */
export class ClusterEventCatalog<D extends Record<string, AnyClusterEventDeclaration>> {
  readonly definitions: ReadonlyMap<string, ClusterEventDefinition>;
  readonly fingerprint: string;

  constructor(declarations: D) {
    const definitions = new Map<string, ClusterEventDefinition>();
    for (const name of Object.keys(declarations).sort()) {
      if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) {
        throw new ShardlineError(
          'SCHEMA_INVALID',
          `cluster event name ${JSON.stringify(name)}: an identifier`,
        );
      }
      definitions.set(name, new ClusterEventDefinition(name, declarations[name]!.options));
    }
    this.definitions = definitions;
    this.fingerprint = fnv1a64(
      [...definitions.values()]
        .map((definition) => `${definition.name} ${definition.params.descriptor}`)
        .join('\n'),
    );
  }

  /** The declared kind; VALUE_INVALID if none. */
  definition(kind: string): ClusterEventDefinition {
    const definition = this.definitions.get(kind);
    if (!definition)
      throw new ShardlineError('VALUE_INVALID', `no cluster event kind ${JSON.stringify(kind)}`);
    return definition;
  }
}

export function defineClusterEvents<D extends Record<string, AnyClusterEventDeclaration>>(
  declarations: D,
): ClusterEventCatalog<D> {
  return new ClusterEventCatalog(declarations);
}

/** An event as the log keeps it: its kind, the shard that reported it, the shards it concerns, its data. */
export interface ClusterEventRecord {
  kind: string;
  reporter: string;
  /** Empty: every shard. */
  shards: readonly string[];
  params: StructValue<FieldMap>;
}

const writer = new BitWriter({ initialBytes: 256 });

/** The record's bytes (docs/cluster/CLUSTER.md §5): kind, reporter, shards, then the data. */
export function encodeEventRecord(
  definition: ClusterEventDefinition,
  record: ClusterEventRecord,
): Uint8Array {
  writer.reset();
  writer.writeString(record.kind, MAX_EVENT_KIND_LENGTH);
  writer.writeString(record.reporter, 64);
  if (record.shards.length > MAX_EVENT_SHARDS) {
    throw new ShardlineError('VALUE_INVALID', `an event concerns at most ${MAX_EVENT_SHARDS} shards`);
  }
  writer.writeVarUint(record.shards.length);
  for (const shard of record.shards) writer.writeString(shard, 64);
  definition.params.write(writer, record.params);
  return writer.toBytes();
}

/** A record read back; WIRE_* or VALUE_INVALID if the bytes are not one of a declared kind. */
export function decodeEventRecord(
  // biome-ignore lint/suspicious/noExplicitAny: any catalog
  catalog: ClusterEventCatalog<any>,
  bytes: Uint8Array,
): { definition: ClusterEventDefinition; record: ClusterEventRecord } {
  const reader = new BitReader(bytes);
  const kind = reader.readString(MAX_EVENT_KIND_LENGTH);
  const definition = catalog.definition(kind);
  const reporter = reader.readString(64);
  const count = reader.readVarUint();
  if (count > MAX_EVENT_SHARDS) throw new ShardlineError('WIRE_LIMIT', `an event naming ${count} shards`);
  const shards: string[] = [];
  for (let index = 0; index < count; index++) shards.push(reader.readString(64));
  const params = definition.params.read(reader);
  reader.expectEnd();
  return { definition, record: { kind, reporter, shards, params } };
}
