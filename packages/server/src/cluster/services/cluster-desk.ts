import {
  type ConnectTicket,
  type LobbyFilter,
  type LobbySettings,
  type LobbyView,
  type QueueRequest,
  type QueueTicket,
  ShardlineError,
} from '@shardline/core';
import type { Unsubscribe } from '../../bus/index.js';
import type { LobbyCoordinator } from '../../services/lobbies/lobby-coordinator.js';
import type { LobbyDesk, LobbyFigures } from '../../services/lobbies/lobby-desk.js';
import type { LobbyUser } from '../../services/lobbies/lobby-service.js';
import { answerDeskRequest } from './desk-wire.js';
import { RemoteLobbyDesk } from './remote-desk.js';
import { lobbiesSubject, type ServicesCluster } from './services-cluster.js';

export interface ClusterLobbyDeskOptions {
  cluster: ServicesCluster;
  /** Makes a fresh coordinator (empty lobbies and queue) when this process takes the role. */
  coordinator: () => LobbyCoordinator;
  /** Serving the coordinator's subject failed (tried again at the next call or role change). */
  onError(error: unknown): void;
}

interface Coordinating {
  coordinator: LobbyCoordinator;
  /** The subject served: pending, its stop, or failed (serve again). */
  served: Promise<Unsubscribe | undefined>;
  failed: boolean;
}

/**
 * The lobbies and queue of a cluster, from any of its processes (decision 0029). While this process
 * coordinates, operations run on its own LobbyCoordinator, which also answers the other processes
 * on `shardline.<cluster>.services.lobbies`; otherwise they are forwarded there (RemoteLobbyDesk).
 * Taking the role starts with empty lobbies and queue; losing it drops them (lobbies are presence:
 * a failover loses them).
 */
export class ClusterLobbyDesk implements LobbyDesk {
  private coordinating: Coordinating | undefined;
  private readonly remote: RemoteLobbyDesk;
  private readonly stopFollowing: () => void;

  constructor(private readonly options: ClusterLobbyDeskOptions) {
    const { cluster } = options;
    this.remote = new RemoteLobbyDesk(cluster.engine, cluster.cluster);
    this.stopFollowing = cluster.onCoordinatorChange(() => this.follow());
    this.follow();
  }

  /** The coordinator's figures while this process coordinates; zeros otherwise. */
  figures(): LobbyFigures {
    return this.coordinating?.coordinator.figures() ?? { lobbiesOpen: 0, lobbiesStarted: 0, queued: 0 };
  }

  /** Stops following the role; gives up coordinating (its lobbies and queue are dropped). */
  async close(): Promise<void> {
    this.stopFollowing();
    await this.giveUp();
  }

  create(user: LobbyUser, settings: LobbySettings): Promise<LobbyView> {
    return this.desk().create(user, settings);
  }

  find(userId: string, filter: LobbyFilter): Promise<LobbyView[]> {
    return this.desk().find(userId, filter);
  }

  get(userId: string, lobbyId: string): Promise<LobbyView> {
    return this.desk().get(userId, lobbyId);
  }

  join(user: LobbyUser, lobbyId: string, joinCode?: string): Promise<LobbyView> {
    return this.desk().join(user, lobbyId, joinCode);
  }

  leave(userId: string, lobbyId: string): Promise<void> {
    return this.desk().leave(userId, lobbyId);
  }

  kick(ownerId: string, lobbyId: string, userId: string): Promise<void> {
    return this.desk().kick(ownerId, lobbyId, userId);
  }

  update(
    ownerId: string,
    lobbyId: string,
    changes: LobbySettings & { ownerId?: string },
  ): Promise<LobbyView> {
    return this.desk().update(ownerId, lobbyId, changes);
  }

  start(ownerId: string, lobbyId: string): Promise<ConnectTicket> {
    return this.desk().start(ownerId, lobbyId);
  }

  ticket(userId: string, lobbyId: string): Promise<ConnectTicket> {
    return this.desk().ticket(userId, lobbyId);
  }

  enqueue(user: LobbyUser, request: QueueRequest): Promise<QueueTicket> {
    return this.desk().enqueue(user, request);
  }

  cancel(userId: string): Promise<void> {
    return this.desk().cancel(userId);
  }

  queueTicket(userId: string): Promise<QueueTicket | undefined> {
    return this.desk().queueTicket(userId);
  }

  held(process: string, userIds: readonly string[]): Promise<void> {
    return this.desk().held(process, userIds);
  }

  released(process: string, userIds: readonly string[]): Promise<void> {
    return this.desk().released(process, userIds);
  }

  resync(process: string, round: number, userIds: readonly string[], done: boolean): Promise<void> {
    return this.desk().resync(process, round, userIds, done);
  }

  beat(process: string): Promise<boolean> {
    return this.desk().beat(process);
  }

  private desk(): LobbyDesk {
    this.follow();
    return this.coordinating?.coordinator ?? this.remote;
  }

  /** Takes or gives up coordinating as the role says, and serves the subject again if that failed. */
  private follow(): void {
    const coordinating = this.options.cluster.isCoordinator();
    if (coordinating && !this.coordinating) this.take();
    else if (!coordinating && this.coordinating) void this.giveUp();
    else if (this.coordinating?.failed) this.serve(this.coordinating);
  }

  private take(): void {
    const coordinating: Coordinating = {
      coordinator: this.options.coordinator(),
      served: Promise.resolve(undefined),
      failed: false,
    };
    this.coordinating = coordinating;
    this.serve(coordinating);
  }

  private serve(coordinating: Coordinating): void {
    const { engine, cluster } = this.options.cluster;
    coordinating.failed = false;
    coordinating.served = engine
      .serve(lobbiesSubject(cluster), (payload) => {
        this.follow();
        if (this.coordinating !== coordinating) {
          throw new ShardlineError('SERVICE_UNAVAILABLE', 'this process no longer coordinates lobbies');
        }
        return answerDeskRequest(coordinating.coordinator, payload);
      })
      .catch((error) => {
        coordinating.failed = true;
        this.options.onError(error);
        return undefined;
      });
  }

  private async giveUp(): Promise<void> {
    const coordinating = this.coordinating;
    if (!coordinating) return;
    this.coordinating = undefined;
    coordinating.coordinator.close();
    const stop = await coordinating.served;
    await stop?.();
  }
}
