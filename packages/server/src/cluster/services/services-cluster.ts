import type { ClusterEngine } from '../engine.js';

/**
 * What the online services need of a cluster to run across processes (decision 0029): the engine
 * member of this process, the cluster's name, and whether this process coordinates lobbies and the
 * matchmaker now. Exactly one process should coordinate at a time (the master shard: its role is a
 * lease); while the role moves, requests to the coordinator may find nobody for a moment.
 */
export interface ServicesCluster {
  /** This process's own engine member. */
  engine: ClusterEngine;
  /** The cluster's name (1–40 letters, digits, `_`, `-`): it scopes every subject and channel. */
  cluster: string;
  isCoordinator(): boolean;
  /** Heard whenever the coordinator may have changed; the result stops it. */
  onCoordinatorChange(listener: () => void): () => void;
}

/** Who may coordinate: anything that holds a role and says when it moves (ShardMembership does). */
export interface CoordinatorRole {
  readonly isMaster: boolean;
  onChange(listener: (event: { kind: string }) => void): () => void;
}

/** A ServicesCluster whose coordinator is the holder of the master role (a ShardMembership). */
export function servicesClusterOf(
  engine: ClusterEngine,
  cluster: string,
  role: CoordinatorRole,
): ServicesCluster {
  return {
    engine,
    cluster,
    isCoordinator: () => role.isMaster,
    onCoordinatorChange: (listener) =>
      role.onChange((event) => {
        if (event.kind === 'master') listener();
      }),
  };
}

/** The engine subject the coordinator serves lobby, queue and presence requests on. */
export const lobbiesSubject = (cluster: string) => `shardline.${cluster}.services.lobbies`;
/** The bus channel pushes for users' streams travel on, to every process. */
export const pushChannel = (cluster: string) => `shardline.${cluster}.services.push`;
/** The engine subject a shard serves world starts, tickets and ends on for the coordinator. */
export const shardWorldsSubject = (cluster: string, shard: string) =>
  `shardline.${cluster}.shard.${shard}.worlds`;
