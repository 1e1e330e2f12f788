import type {
  ConnectTicket,
  LobbyFilter,
  LobbySettings,
  LobbyView,
  QueueRequest,
  QueueTicket,
} from '@shardline/core';
import { PresenceTally } from '../push/presence-tally.js';
import type { LobbyDesk, LobbyFigures } from './lobby-desk.js';
import { LobbyService, type LobbyServiceOptions, type LobbyUser } from './lobby-service.js';
import { Matchmaker, type MatchmakerOptions } from './matchmaker.js';

/** How often the matchmaker forms matches, ms. */
export const MATCHMAKER_TICK_MS = 500;
/** How often started lobbies past their time are forgotten, ms. */
export const LOBBY_SWEEP_MS = 60_000;
/** A reporting process not heard from for this long is taken to be gone with its streams, ms. */
export const DEFAULT_PRESENCE_EXPIRY_MS = 30_000;

export interface LobbyCoordinatorOptions extends LobbyServiceOptions {
  matchmaking?: MatchmakerOptions;
  /** See DEFAULT_PRESENCE_EXPIRY_MS. */
  presenceExpiryMs?: number;
  /** A timed task failed (a matchmaker tick); `where` says which. */
  onError(error: unknown, where: string): void;
}

/**
 * The lobbies, the matchmaking queue and the users' presence, held in this process's memory
 * (decision 0017): what one process of a cluster coordinates for all (decision 0029). It forms
 * matches every MATCHMAKER_TICK_MS and forgets old started lobbies every LOBBY_SWEEP_MS until
 * `close`; a user no process holds any more leaves their lobby and the queue.
 */
export class LobbyCoordinator implements LobbyDesk {
  readonly lobbies: LobbyService;
  readonly matchmaker: Matchmaker;
  private readonly presence: PresenceTally;
  private readonly nowMs: () => number;
  private readonly timers: NodeJS.Timeout[];
  private matching = false;

  constructor(options: LobbyCoordinatorOptions) {
    this.nowMs = options.nowMs ?? Date.now;
    this.lobbies = new LobbyService(options);
    this.matchmaker = new Matchmaker(this.lobbies, options.matchmaking);
    const expiryMs = options.presenceExpiryMs ?? DEFAULT_PRESENCE_EXPIRY_MS;
    this.presence = new PresenceTally(expiryMs);
    this.timers = [
      setInterval(() => {
        if (this.matching) return; // a slow tick is not queued behind itself
        this.matching = true;
        this.matchmaker
          .tick()
          .catch((error) => options.onError(error, 'matchmaker tick'))
          .finally(() => {
            this.matching = false;
          });
      }, MATCHMAKER_TICK_MS),
      setInterval(() => this.lobbies.sweep(), LOBBY_SWEEP_MS),
      setInterval(() => this.gone(this.presence.expire(this.nowMs())), expiryMs / 3),
    ];
    for (const timer of this.timers) timer.unref(); // housekeeping: it keeps no process alive
  }

  async create(user: LobbyUser, settings: LobbySettings): Promise<LobbyView> {
    return this.lobbies.create(user, settings);
  }

  find(userId: string, filter: LobbyFilter): Promise<LobbyView[]> {
    return this.lobbies.find(userId, filter);
  }

  get(userId: string, lobbyId: string): Promise<LobbyView> {
    return this.lobbies.get(userId, lobbyId);
  }

  join(user: LobbyUser, lobbyId: string, joinCode?: string): Promise<LobbyView> {
    return this.lobbies.join(user, lobbyId, joinCode);
  }

  async leave(userId: string, lobbyId: string): Promise<void> {
    this.lobbies.leave(userId, lobbyId);
  }

  async kick(ownerId: string, lobbyId: string, userId: string): Promise<void> {
    this.lobbies.kick(ownerId, lobbyId, userId);
  }

  async update(
    ownerId: string,
    lobbyId: string,
    changes: LobbySettings & { ownerId?: string },
  ): Promise<LobbyView> {
    return this.lobbies.update(ownerId, lobbyId, changes);
  }

  start(ownerId: string, lobbyId: string): Promise<ConnectTicket> {
    return this.lobbies.start(ownerId, lobbyId);
  }

  ticket(userId: string, lobbyId: string): Promise<ConnectTicket> {
    return this.lobbies.ticket(userId, lobbyId);
  }

  async enqueue(user: LobbyUser, request: QueueRequest): Promise<QueueTicket> {
    return this.matchmaker.enqueue(user, request);
  }

  async cancel(userId: string): Promise<void> {
    this.matchmaker.cancel(userId);
  }

  async queueTicket(userId: string): Promise<QueueTicket | undefined> {
    return this.matchmaker.ticketOf(userId);
  }

  async held(process: string, userIds: readonly string[]): Promise<void> {
    this.presence.held(process, userIds, this.nowMs());
  }

  async released(process: string, userIds: readonly string[]): Promise<void> {
    this.gone(this.presence.released(process, userIds, this.nowMs()));
  }

  async resync(process: string, round: number, userIds: readonly string[], done: boolean): Promise<void> {
    this.gone(this.presence.resync(process, round, userIds, done, this.nowMs()));
  }

  async beat(process: string): Promise<boolean> {
    return this.presence.beat(process, this.nowMs());
  }

  figures(): LobbyFigures {
    const { open, started } = this.lobbies.counts();
    return { lobbiesOpen: open, lobbiesStarted: started, queued: this.matchmaker.queued };
  }

  /** Stops the timers (a tick under way finishes); the lobbies and queue are dropped with this object. */
  close(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  /** Users no process holds any more leave their lobby and the queue. */
  private gone(userIds: readonly string[]): void {
    for (const userId of userIds) {
      this.lobbies.userGone(userId);
      if (this.matchmaker.ticketOf(userId)) this.matchmaker.cancel(userId);
    }
  }
}
