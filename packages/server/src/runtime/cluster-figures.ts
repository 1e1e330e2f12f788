import type { Shard } from '../cluster/shard.js';
import type { ShardRole } from '../cluster/shard-status.js';

/** The dashboard's cluster view: every shard the config names, and the newest global events. */
export interface ClusterFigures {
  name: string;
  /** The shard serving this dashboard. */
  shard: string;
  /** The shard holding the master role now (null during a failover). */
  master: string | null;
  shards: ShardFigures[];
  /** Global events applied on this shard, newest first. */
  events: { sequence: number; kind: string; subject: string; reporter: string; timeMs: number }[];
}

export interface ShardFigures {
  name: string;
  /** Its configured role; `master` in ClusterFigures says who holds the role now. */
  role: ShardRole;
  standby: boolean;
  /** 'up' while its lease is held, else 'down'. */
  status: 'up' | 'down';
  /** ms since its lease was last renewed as seen here (null when down). */
  leaseAgeMs: number | null;
  worlds: number;
  players: number;
  rpcPerSecond: number;
  /** Its HTTP service (its own dashboard), when up. */
  http: string | null;
}

/** What `shard` sees of its cluster now, for the dashboard (every configured shard listed). */
export function clusterFigures(
  shard: Shard,
  configured: readonly { name: string; role: ShardRole; standby: boolean }[],
): ClusterFigures {
  const live = shard.membership.liveShards();
  return {
    name: shard.settings.name,
    shard: shard.name,
    master: shard.master ?? null,
    shards: configured.map(({ name, role, standby }): ShardFigures => {
      const seen = live.get(name);
      if (!seen) {
        return {
          name,
          role,
          standby,
          status: 'down',
          leaseAgeMs: null,
          worlds: 0,
          players: 0,
          rpcPerSecond: 0,
          http: null,
        };
      }
      const { status } = seen;
      return {
        name,
        role: status.role,
        standby: status.standby,
        status: 'up',
        leaseAgeMs: seen.leaseAgeMs,
        worlds: status.worlds.length,
        players: status.worlds.reduce((sum, world) => sum + world.players, 0),
        rpcPerSecond: status.rpcPerSecond,
        http: status.addresses.http || null,
      };
    }),
    events: shard.events.recent.map(({ sequence, kind, subject, reporter, timeMs }) => ({
      sequence,
      kind,
      subject,
      reporter,
      timeMs,
    })),
  };
}
