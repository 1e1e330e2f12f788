import { defineRpcs, type RpcCatalog, rpc, t } from '@shardline/core';
import {
  type ClusterEventCatalog,
  type ClusterEventOptions,
  clusterEvent,
  defineClusterEvents,
  type Shard,
} from '@shardline/server';

/**
 * What the cluster benchmark's shards declare (bench/cluster/shard.ts and the driver's probe): one
 * shard RPC, `echo`, and one global event, `tick`. `echo`'s rate is raised far past the default
 * (1,000 calls/s per calling shard) so the throughput window measures the engine, not the limiter.
 */
export const benchRpcs = defineRpcs({
  echo: rpc({
    params: { n: t.u32() },
    reply: { n: t.u32() },
    rate: { perSecond: 10_000_000, burst: 10_000_000 },
  }),
});

const tickParams = { n: t.u32() };
/** (Typed by hand: the declaration's own type is not exported by the server package.) */
export const benchEvents: ClusterEventCatalog<{
  tick: { kind: 'cluster-event'; options: ClusterEventOptions<typeof tickParams> };
}> = defineClusterEvents({ tick: clusterEvent({ params: tickParams }) });

export type BenchShard = Shard<
  typeof benchRpcs extends RpcCatalog<infer R> ? R : never,
  typeof benchEvents extends ClusterEventCatalog<infer E> ? E : never
>;

/** The NATS server the benchmark runs on. */
export const NATS_URL = `nats://${(process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222').replace('nats://', '')}`;

/** The engine subject a shard process serves the bare echo on (the floor shard RPC is compared with). */
export const bareSubject = (cluster: string, shard: string) => `bench.${cluster}.bare.${shard}`;
/** The subject a shard process answers on with the NATS client alone (a reference, not the floor). */
export const rawSubject = (cluster: string, shard: string) => `bench.${cluster}.raw.${shard}`;
/** The bus channel shard processes tell the driver what they saw on. */
export const noticeChannel = (cluster: string) => `bench.${cluster}.notice`;

/** What a shard process tells the driver, on the engine's bus. */
export type Notice =
  /** It applied global event `tick` number `n`. */
  | { from: string; kind: 'applied'; n: number }
  /** It saw shard `shard` go down (its lease ran out) or come up. */
  | { from: string; kind: 'down' | 'up'; shard: string }
  /** Every live shard it sees now (itself included). */
  | { from: string; kind: 'seen'; shards: string[] };

/** The messages a shard process sends its parent over IPC. */
export type FromShard = { type: 'ready'; shard: string; joinMs: number };

export const encodeNotice = (notice: Notice) => new TextEncoder().encode(JSON.stringify(notice));
export const decodeNotice = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as Notice;

/** The status a benchmark shard publishes in its lease: no worlds, no addresses. */
export const benchStatus = () => ({
  addresses: { http: '', udp: '', ws: '' },
  worlds: [],
  creates: [],
  startedAtMs: Date.now(),
});

export const benchSettings = (name: string) => ({
  name,
  description: 'bench:cluster',
  maxPlayers: 0,
  gameMode: 'bench',
  hasPassword: false,
});
