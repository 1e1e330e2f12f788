/** Shards and coordinators of a services cluster on a real engine, for the services-cluster tests. */
import { type ClusterEngine, InProcessCluster, NatsEngine } from '@shardline/server';
import {
  type CoordinatorRole,
  type LiveShards,
  type PlacementStatus,
  ShardWorlds,
} from '../../src/cluster/services/index.js';
import { runtimePlacement } from '../../src/runtime/online-services.js';
import { duelServer } from './duel-game.js';
import { startWorldServer, type WorldServerHandle } from './world-server.js';

/** The machine's NATS with JetStream (decision 0028); .ci/run starts it. */
export const NATS_URL = process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222';

/** Both engines: each test gets a fresh cluster, and a new member for every process in it. */
export const engineKinds: [string, () => () => Promise<ClusterEngine>][] = [
  [
    'in-process',
    () => {
      const cluster = new InProcessCluster();
      return async () => cluster.member();
    },
  ],
  ['nats', () => () => NatsEngine.connect({ url: NATS_URL })],
];

let clusters = 0;
/** A cluster name no other test or run uses (it scopes every subject and channel). */
export function freshCluster(): string {
  return `svc-${process.pid}-${Date.now()}-${clusters++}`;
}

/** The master role as the tests move it (a ShardMembership's master lease moves the same way). */
export class TestRole {
  private readonly listeners = new Set<(event: { kind: string }) => void>();

  constructor(private holder: string) {}

  /** The role as process `name` sees it. */
  of(name: string): CoordinatorRole {
    const holds = () => this.holder === name;
    return {
      get isMaster() {
        return holds();
      },
      onChange: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
    };
  }

  move(to: string): void {
    this.holder = to;
    for (const listener of this.listeners) listener({ kind: 'master' });
  }
}

/** A shard of the test cluster: a GameServer and WorldRuntime serving duels, and its ShardWorlds. */
export interface TestShard {
  name: string;
  handle: WorldServerHandle;
  worlds: ShardWorlds;
  stop(): Promise<void>;
}

/** The live shards, as ShardMembership would report them, read from the shards' runtimes now. */
export class TestShards implements LiveShards {
  readonly shards = new Map<string, { shard: TestShard; creates: string[] }>();

  liveShards(): Map<string, { status: PlacementStatus }> {
    const live = new Map<string, { status: PlacementStatus }>();
    for (const [name, { shard, creates }] of this.shards) {
      const worlds = shard.handle.runtime.all().map((world) => ({ id: world.id, players: world.occupancy }));
      live.set(name, { status: { creates, worlds } });
    }
    return live;
  }

  /** Starts shard `name` on `engine`: it serves its worlds to the coordinator and joins the live shards. */
  async start(
    name: string,
    options: { engine: ClusterEngine; cluster: string; creates: string[]; maxPlayers?: number },
  ): Promise<TestShard> {
    const handle = await startWorldServer({ worlds: [duelServer] });
    const worlds = await ShardWorlds.serve({
      engine: options.engine,
      cluster: options.cluster,
      shard: name,
      placement: runtimePlacement(handle.server, handle.runtime),
      maxPlayers: options.maxPlayers ?? 64,
      maxWorlds: 100,
      occupancy: () => new Map(handle.runtime.all().map((world) => [world.id, world.occupancy])),
    });
    const shard: TestShard = {
      name,
      handle,
      worlds,
      stop: async () => {
        this.shards.delete(name);
        await worlds.close();
        await handle.stop();
      },
    };
    this.shards.set(name, { shard, creates: options.creates });
    return shard;
  }
}
