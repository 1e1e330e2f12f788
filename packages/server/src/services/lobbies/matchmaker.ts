import { type LobbyView, type QueueRequest, type QueueTicket, ShardlineError } from '@shardline/core';
import type { LobbyService, LobbyUser } from './lobby-service.js';

export interface MatchmakerOptions {
  /** Players per match, 1–64. Default 2. */
  matchSize?: number;
  /** Skill difference two fresh tickets accept. Default 100. */
  initialSkillWindow?: number;
  /** How fast that window widens while a ticket waits, skill points per second. Default 50. */
  widenPerSecond?: number;
  /** After waiting this long a ticket accepts any region (as long as the other does too), ms. Default 10 s. */
  anyRegionAfterMs?: number;
  /** Start the match's lobby at once (every member gets a connect token). Default true. */
  autoStart?: boolean;
  /** The world kind a match plays: its lobby's start creates a private instance of it. Default: none. */
  world?: string;
  /** A world kind per queue mode, over `world` (e.g. `{ duel: 'arena-1v1' }`). */
  worldsByMode?: Readonly<Record<string, string>>;
  nowMs?: () => number;
}

interface Waiting extends QueueTicket {
  username: string;
}

/** Bounds of a queue ticket: the highest skill, the longest region or mode name. */
export const QUEUE_LIMITS = { maxSkill: 100_000, nameLength: 32 } as const;
/** Players per match when the options name no matchSize. */
export const DEFAULT_MATCH_SIZE = 2;
const NAME = new RegExp(`^[A-Za-z0-9_.-]{1,${QUEUE_LIMITS.nameLength}}$`);

/**
 * A queue-based matchmaker: players queue with a skill and a region; every `tick` it groups
 * `matchSize` players of one mode whose skills lie within what each of them accepts, and whose
 * regions agree (or who have all waited past `anyRegionAfterMs`). Windows widen with waiting time, so
 * nobody waits for ever in a thin queue. A group becomes a private lobby (oldest ticket owns it),
 * started at once unless `autoStart` is false. Oldest tickets are served first.
 */
export class Matchmaker {
  private readonly waiting = new Map<string, Waiting>();
  private readonly settings: Required<Omit<MatchmakerOptions, 'nowMs' | 'world' | 'worldsByMode'>>;
  private readonly nowMs: () => number;
  /** The tick under way (or the last one): ticks run one at a time. */
  private ticking: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly lobbies: LobbyService,
    private readonly options: MatchmakerOptions = {},
  ) {
    this.settings = {
      matchSize: options.matchSize ?? DEFAULT_MATCH_SIZE,
      initialSkillWindow: options.initialSkillWindow ?? 100,
      widenPerSecond: options.widenPerSecond ?? 50,
      anyRegionAfterMs: options.anyRegionAfterMs ?? 10_000,
      autoStart: options.autoStart ?? true,
    };
    this.nowMs = options.nowMs ?? Date.now;
    lobbies.isQueued = (userId) => this.waiting.has(userId);
  }

  /** Queues a player: MATCHMAKING_INVALID, MATCHMAKING_ALREADY_QUEUED (queued, or in a lobby). */
  enqueue(user: LobbyUser, request: QueueRequest): QueueTicket {
    const { skill, region } = request;
    const mode = request.mode ?? 'default';
    if (!Number.isFinite(skill) || skill < 0 || skill > QUEUE_LIMITS.maxSkill) {
      throw new ShardlineError('MATCHMAKING_INVALID', `skill must be a number 0–${QUEUE_LIMITS.maxSkill}`);
    }
    if (typeof region !== 'string' || !NAME.test(region) || !NAME.test(mode)) {
      throw new ShardlineError(
        'MATCHMAKING_INVALID',
        `region and mode are 1–${QUEUE_LIMITS.nameLength} letters, digits, _ . or -`,
      );
    }
    if (this.waiting.has(user.id) || this.lobbies.lobbyOf(user.id)) {
      throw new ShardlineError('MATCHMAKING_ALREADY_QUEUED', 'already queued or in a lobby');
    }
    const ticket: Waiting = {
      userId: user.id,
      username: user.username,
      skill,
      region,
      mode,
      queuedAtMs: this.nowMs(),
      skillWindow: 0,
    };
    this.waiting.set(user.id, ticket);
    return this.describe(ticket, ticket.queuedAtMs);
  }

  /** Leaves the queue: MATCHMAKING_NOT_QUEUED if not waiting (perhaps just matched). */
  cancel(userId: string): void {
    if (!this.waiting.delete(userId)) throw new ShardlineError('MATCHMAKING_NOT_QUEUED', 'not queued');
  }

  /** A waiting player's ticket, or undefined. */
  ticketOf(userId: string): QueueTicket | undefined {
    const ticket = this.waiting.get(userId);
    return ticket && this.describe(ticket, this.nowMs());
  }

  get queued(): number {
    return this.waiting.size;
  }

  /**
   * Forms every match it can now, oldest tickets first; returns the lobbies made. A match that cannot
   * start (its world not created, a token not issued) puts its players back in the queue (at its
   * end, with their queue times, so their skill windows stay as wide) and, once the rest are formed,
   * rejects with that error. Ticks run one at a time: a call while one runs waits for it first, so a
   * ticket is matched at most once.
   */
  tick(): Promise<LobbyView[]> {
    const next = this.ticking.then(
      () => this.formMatches(),
      () => this.formMatches(),
    );
    this.ticking = next;
    return next;
  }

  private async formMatches(): Promise<LobbyView[]> {
    const nowMs = this.nowMs();
    const made: LobbyView[] = [];
    let failure: unknown;
    const { matchSize } = this.settings;
    for (const anchor of [...this.waiting.values()]) {
      if (!this.waiting.has(anchor.userId)) continue; // matched earlier in this tick
      const group = [anchor];
      const candidates = [...this.waiting.values()]
        .filter((other) => other !== anchor && this.accepts(anchor, other, nowMs))
        .sort(
          (a, b) =>
            Math.abs(a.skill - anchor.skill) - Math.abs(b.skill - anchor.skill) ||
            a.queuedAtMs - b.queuedAtMs,
        );
      for (const candidate of candidates) {
        if (group.length === matchSize) break;
        if (group.every((member) => this.accepts(member, candidate, nowMs))) group.push(candidate);
      }
      if (group.length < matchSize) continue;
      try {
        made.push(await this.formMatch(group));
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
    return made;
  }

  /** The world kind matches of `mode` play, if any. */
  private worldOf(mode: string): { world?: string } {
    const byMode = this.options.worldsByMode;
    const world = byMode && Object.hasOwn(byMode, mode) ? byMode[mode] : this.options.world;
    return world === undefined ? {} : { world };
  }

  /** Makes the group's lobby and starts it; on failure the lobby is gone and the group queued again. */
  private async formMatch(group: Waiting[]): Promise<LobbyView> {
    for (const member of group) this.waiting.delete(member.userId);
    try {
      return await this.startMatch(group);
    } catch (error) {
      for (const member of group) {
        const lobbyId = this.lobbies.lobbyOf(member.userId);
        if (lobbyId !== undefined) this.lobbies.leave(member.userId, lobbyId);
        this.waiting.set(member.userId, member);
      }
      throw error;
    }
  }

  private async startMatch(group: Waiting[]): Promise<LobbyView> {
    const [owner, ...others] = group;
    const skills = group.map((member) => member.skill);
    const lobby = this.lobbies.create(
      { id: owner!.userId, username: owner!.username },
      {
        access: 'private',
        maxPlayers: group.length,
        attributes: {
          mode: owner!.mode,
          region: owner!.region,
          skillMin: Math.min(...skills),
          skillMax: Math.max(...skills),
        },
        ...this.worldOf(owner!.mode),
      },
    );
    for (const member of others) {
      this.lobbies.adopt(lobby.id, { id: member.userId, username: member.username });
    }
    if (this.settings.autoStart) await this.lobbies.start(owner!.userId, lobby.id);
    return this.lobbies.viewOf(lobby.id);
  }

  /** Whether both tickets accept each other now: same mode, skills within both windows, regions agree. */
  private accepts(a: Waiting, b: Waiting, nowMs: number): boolean {
    if (a.mode !== b.mode) return false;
    const gap = Math.abs(a.skill - b.skill);
    if (gap > this.window(a, nowMs) || gap > this.window(b, nowMs)) return false;
    const anyRegion = (ticket: Waiting) => nowMs - ticket.queuedAtMs >= this.settings.anyRegionAfterMs;
    return a.region === b.region || (anyRegion(a) && anyRegion(b));
  }

  private window(ticket: Waiting, nowMs: number): number {
    const waitedSeconds = (nowMs - ticket.queuedAtMs) / 1000;
    return this.settings.initialSkillWindow + this.settings.widenPerSecond * waitedSeconds;
  }

  private describe(ticket: Waiting, nowMs: number): QueueTicket {
    const { username: _username, ...rest } = ticket;
    return { ...rest, skillWindow: this.window(ticket, nowMs) };
  }
}
