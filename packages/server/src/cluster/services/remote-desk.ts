import {
  type ConnectTicket,
  isShardlineError,
  type LobbyFilter,
  type LobbySettings,
  type LobbyView,
  type QueueRequest,
  type QueueTicket,
  ShardlineError,
} from '@shardline/core';
import type { LobbyDesk } from '../../services/lobbies/lobby-desk.js';
import type { LobbyUser } from '../../services/lobbies/lobby-service.js';
import type { ClusterEngine } from '../engine.js';
import {
  type DeskArgs,
  type DeskOp,
  type DeskReply,
  decodeDeskReply,
  encodeDeskRequest,
} from './desk-wire.js';
import { lobbiesSubject } from './services-cluster.js';

/**
 * How long a forwarded operation may take, ms: a lobby's start places its world on a shard and asks
 * it for every member's token (SHARD_WORLDS_TIMEOUT_MS each, several shards tried at worst).
 */
export const DESK_REQUEST_TIMEOUT_MS = 15_000;
/** How long to keep asking while nobody coordinates (the role moving), ms, and how often. */
export const NO_COORDINATOR_WAIT_MS = 3_000;
const NO_COORDINATOR_RETRY_MS = 100;

/**
 * The lobbies' coordinator seen from another process: each operation is an engine request to
 * `shardline.<cluster>.services.lobbies`. The coordinator's ShardlineErrors come back with their
 * codes; a request nobody serves is tried again for NO_COORDINATOR_WAIT_MS, then fails with
 * SERVICE_UNAVAILABLE, as does one without a reply in DESK_REQUEST_TIMEOUT_MS (it may have run).
 * Replies are checked against their shapes (WIRE_INVALID).
 */
export class RemoteLobbyDesk implements LobbyDesk {
  constructor(
    private readonly engine: ClusterEngine,
    private readonly cluster: string,
  ) {}

  create(user: LobbyUser, settings: LobbySettings): Promise<LobbyView> {
    return this.call('create', { user: lobbyUser(user), settings });
  }

  find(userId: string, filter: LobbyFilter): Promise<LobbyView[]> {
    return this.call('find', { userId, filter });
  }

  get(userId: string, lobbyId: string): Promise<LobbyView> {
    return this.call('get', { userId, lobbyId });
  }

  join(user: LobbyUser, lobbyId: string, joinCode?: string): Promise<LobbyView> {
    return this.call('join', {
      user: lobbyUser(user),
      lobbyId,
      ...(joinCode === undefined ? {} : { joinCode }),
    });
  }

  async leave(userId: string, lobbyId: string): Promise<void> {
    await this.call('leave', { userId, lobbyId });
  }

  async kick(ownerId: string, lobbyId: string, userId: string): Promise<void> {
    await this.call('kick', { ownerId, lobbyId, userId });
  }

  update(
    ownerId: string,
    lobbyId: string,
    changes: LobbySettings & { ownerId?: string },
  ): Promise<LobbyView> {
    return this.call('update', { ownerId, lobbyId, changes });
  }

  start(ownerId: string, lobbyId: string): Promise<ConnectTicket> {
    return this.call('start', { ownerId, lobbyId });
  }

  ticket(userId: string, lobbyId: string): Promise<ConnectTicket> {
    return this.call('ticket', { userId, lobbyId });
  }

  enqueue(user: LobbyUser, request: QueueRequest): Promise<QueueTicket> {
    return this.call('enqueue', { user: lobbyUser(user), request });
  }

  async cancel(userId: string): Promise<void> {
    await this.call('cancel', { userId });
  }

  async queueTicket(userId: string): Promise<QueueTicket | undefined> {
    return (await this.call('queueTicket', { userId })) ?? undefined;
  }

  async held(process: string, userIds: readonly string[]): Promise<void> {
    await this.call('held', { process, userIds: [...userIds] });
  }

  async released(process: string, userIds: readonly string[]): Promise<void> {
    await this.call('released', { process, userIds: [...userIds] });
  }

  async resync(process: string, round: number, userIds: readonly string[], done: boolean): Promise<void> {
    await this.call('resync', { process, round, userIds: [...userIds], done });
  }

  beat(process: string): Promise<boolean> {
    return this.call('beat', { process });
  }

  private async call<O extends DeskOp>(op: O, args: DeskArgs<O>): Promise<DeskReply<O>> {
    const subject = lobbiesSubject(this.cluster);
    const payload = encodeDeskRequest(op, args);
    const giveUpAtMs = Date.now() + NO_COORDINATOR_WAIT_MS;
    for (;;) {
      try {
        return decodeDeskReply(op, await this.engine.request(subject, payload, DESK_REQUEST_TIMEOUT_MS));
      } catch (error) {
        if (!isShardlineError(error)) throw error;
        if (error.code === 'CLUSTER_NO_RESPONDER' && Date.now() < giveUpAtMs) {
          await new Promise((resolve) => setTimeout(resolve, NO_COORDINATOR_RETRY_MS));
          continue;
        }
        if (error.code === 'CLUSTER_NO_RESPONDER') {
          throw new ShardlineError('SERVICE_UNAVAILABLE', 'no process coordinates lobbies now: retry later');
        }
        if (error.code === 'CLUSTER_TIMEOUT') {
          throw new ShardlineError(
            'SERVICE_UNAVAILABLE',
            `the lobbies' coordinator did not answer ${op} within ${DESK_REQUEST_TIMEOUT_MS} ms (it may have happened)`,
          );
        }
        throw error;
      }
    }
  }
}

/** Only the fields the coordinator takes (a caller's user object may carry more). */
function lobbyUser(user: LobbyUser): LobbyUser {
  return { id: user.id, username: user.username };
}
