/**
 * One shard process of the cluster benchmark (bench/cluster/run.ts forks it with tsx on the
 * workspace's sources): `shard.ts <cluster> <shard> <every shard, comma-separated> <master> <leaseMs>`.
 * It joins the cluster with `Shard.join` on its own NatsEngine, answers the shard RPC `echo` and the
 * bare engine echo (`engine.serve` on bench.<cluster>.bare.<shard>: the floor shard RPC is compared
 * with, across the same process boundary), and tells the driver on the engine's bus each global event
 * it applies and each shard it sees come or go. It exits by itself after SL_SHARD_LIFETIME_MS (3
 * minutes by default) or as soon as the driver goes, so nothing is left running.
 */
import { NatsEngine, Shard } from '@shardline/server';
import {
  type BenchShard,
  bareSubject,
  benchEvents,
  benchRpcs,
  benchSettings,
  benchStatus,
  encodeNotice,
  type FromShard,
  NATS_URL,
  type Notice,
  noticeChannel,
  rawSubject,
} from './game.js';

const [cluster, name, shardList, master, leaseArg] = process.argv.slice(2);
if (!cluster || !name || !shardList || !master || !leaseArg) {
  console.error('usage: shard.ts <cluster> <shard> <shards,…> <master> <leaseMs>');
  process.exit(2);
}
const LIFETIME_MS = Number(process.env.SL_SHARD_LIFETIME_MS ?? 180_000);
setTimeout(() => process.exit(0), LIFETIME_MS);
process.on('disconnect', () => process.exit(0)); // the driver is gone

let errors = 0;
const onError = (error: unknown, where: string) => {
  if (++errors <= 5) console.error(`bench shard ${name}: ${where}:`, error);
};

const startedMs = performance.now();
const engine = await NatsEngine.connect({ url: NATS_URL, name: `bench-${cluster}-${name}` });
const channel = noticeChannel(cluster);
const tell = (notice: Notice) => engine.bus.publish(channel, encodeNotice(notice)).catch(() => {});

await engine.serve(bareSubject(cluster, name), (payload) => payload);
// A reference below the floor: the NATS client answering inline, without the engine's checks and
// its turn of the event loop (engine.serve answers on setImmediate, ClusterEngine's contract).
engine.connection.subscribe(rawSubject(cluster, name), {
  queue: 'shardline',
  callback: (error, message) => {
    if (!error) message.respond(message.data);
  },
});
await engine.connection.flush();
const shard: BenchShard = await Shard.join({
  engine,
  settings: benchSettings(cluster),
  shard: name,
  role: name === master ? 'master' : 'secondary',
  standby: false,
  shards: shardList.split(','),
  configuredMaster: master,
  leaseMs: Number(leaseArg),
  game: {
    rpcs: benchRpcs,
    events: benchEvents,
    setup: (joined) => {
      joined.rpc.handle('echo', (params) => ({ n: params.n }));
      joined.onEvent('tick', (params) => void tell({ from: name, kind: 'applied', n: params.n }));
    },
  },
  status: benchStatus,
  onError,
});
const seen = () => tell({ from: name, kind: 'seen', shards: [...shard.membership.liveShards().keys()] });
shard.onChange((event) => {
  if (event.kind === 'shard-down' || event.kind === 'shard-up') {
    void tell({ from: name, kind: event.kind === 'shard-down' ? 'down' : 'up', shard: event.shard });
    void seen();
  }
});
await shard.followEvents();
await seen();
process.send?.({ type: 'ready', shard: name, joinMs: performance.now() - startedMs } satisfies FromShard);
