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
  /**
   * Players it moved out through portals, took in, and moves rolled back, since it started: this
   * shard's own now, the others' as their last lease renewal published them (null when down).
   */
  moves: PlayerMoves | null;
}

/** A shard's players moving through portals since it started (ShardPlayers.counts). */
export interface PlayerMoves {
  out: number;
  in: number;
  rolledBack: number;
  /** Moves orphaned by a dead source that this shard resolved while master. */
  orphansResolved: number;
}

/** Where the figures of this shard's moves come from (the shard's ShardPlayers). */
export interface MoveCounts {
  readonly counts: { movedOut: number; movedIn: number; rolledBack: number; orphansResolved: number };
}

/**
 * What `shard` sees of its cluster now, for the dashboard (every configured shard listed), with its
 * own players' moves through portals from `players`.
 */
export function clusterFigures(
  shard: Shard,
  configured: readonly { name: string; role: ShardRole; standby: boolean }[],
  players?: MoveCounts,
): ClusterFigures {
  const live = shard.membership.liveShards();
  const movesOf = (name: string): PlayerMoves | null => {
    if (name !== shard.name || !players) return live.get(name)?.status.moves ?? null;
    const { movedOut, movedIn, rolledBack, orphansResolved } = players.counts;
    return { out: movedOut, in: movedIn, rolledBack, orphansResolved };
  };
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
          moves: movesOf(name),
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
        moves: movesOf(name),
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
