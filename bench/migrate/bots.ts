/**
 * Portal bots for the chaos run and bench:migrate: each a Node `ShardlineClient` per shard (one
 * guest account, signed in on every shard through the shared accounts), seated in one of the
 * portal game's worlds over WebSocket. `move()` calls `enterPortal` and follows the redirect (the
 * JoinedWorld does that on its own), timing the move to the first snapshot in the other world; a
 * bot whose world ended (its shard killed, its link's rejoin asking the wrong shard, a redirect
 * it could not follow) seats itself again by joining each world in turn until one takes it.
 */
import { type JoinedWorld, ShardlineClient, type WorldMigration } from '@shardline/client';
import '@shardline/client/node';
import { isShardlineError } from '@shardline/core';
import WebSocket from 'ws';
import type { SeededRandom } from '../lib/random.js';
import { PORTALS_OF, portalWorld } from './portal-world-game.js';

export type PortalWorld = JoinedWorld<typeof portalWorld>;

/** Where the bots find the shards. */
export interface BotNetwork {
  /** The worlds, each hosted by the shard of its name. */
  worlds: readonly string[];
  /** The HTTP address of the shard hosting `world`. */
  httpOf(world: string): string | undefined;
}

/** One move, timed on the bot's monotonic clock (performance.now(), ms). */
export interface MoveSample {
  bot: number;
  from: string;
  to: string;
  portal: string;
  /** The bot called enterPortal. */
  startedMs: number;
  /** The client began connecting to the other shard (the redirect had arrived). */
  socketMs: number | undefined;
  /** That WebSocket opened (TCP and the HTTP upgrade done; the Shardline handshake next). */
  socketOpenMs: number | undefined;
  /** Its first datagrams each way until the first snapshot, ms after the socket was made. */
  socketTrace: string[];
  /** Seated there (`onMigrated`). */
  migratedMs: number;
  /** Its first snapshot there. */
  snapshotMs: number;
}

export type MoveOutcome =
  | { kind: 'moved'; sample: MoveSample }
  | { kind: 'refused'; code: string }
  /** Its world ended during the move (a redirect not followed, the link lost); it seats itself again. */
  | { kind: 'lost'; why: string }
  | { kind: 'skipped' };

/** How long a move may take before the bot stops waiting for it, ms. */
const MOVE_LIMIT_MS = 20_000;
/** How long one join may take before the bot tries the next world, ms. */
const JOIN_LIMIT_MS = 10_000;
/** How long a dropped link tries to take its seat back on its own, ms (then the bot seats itself). */
const REJOIN_WITHIN_MS = 8_000;

function memoryStorage() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function codeOf(error: unknown): string {
  if (isShardlineError(error)) return error.code;
  const message = error instanceof Error ? error.message : String(error);
  return /fetch failed|ECONNREFUSED/.test(message) ? 'UNREACHABLE' : message.slice(0, 60);
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export class PortalBot {
  userId = '';
  world: PortalWorld | undefined;
  /** The world it was last seated in (where it looks first when seating itself again). */
  lastWorld: string;
  stopped = false;
  moving = false;
  /** When it last arrived through a portal (performance.now()), for a scheduler minding the cooldown. */
  arrivedAtMs = Number.NEGATIVE_INFINITY;
  readonly counts = {
    moves: 0,
    seats: 0,
    lost: 0,
    reconnecting: 0,
    rejoined: 0,
    /** Arrivals whose first snapshot showed other than one body of its own. */
    bodyAnomalies: 0,
    refused: {} as Record<string, number>,
    joinErrors: {} as Record<string, number>,
    leaves: {} as Record<string, number>,
  };
  private readonly storage = memoryStorage();
  private readonly clients = new Map<string, ShardlineClient>();
  private seating: Promise<boolean> | undefined;
  /** When this bot's client last opened a WebSocket (a redirect being followed shows as one), and when it opened. */
  private socketAtMs = 0;
  private socketOpenAtMs = 0;
  /** The newest socket's first datagrams each way (`in 3.2`, `out 0.9`: ms after it was made). */
  private socketTrace: string[] = [];
  private arrival: ((outcome: MoveOutcome) => void) | undefined;

  constructor(
    readonly index: number,
    private readonly network: BotNetwork,
    private readonly random: SeededRandom,
    firstWorld: string,
  ) {
    this.lastWorld = firstWorld;
  }

  private clientFor(world: string): ShardlineClient | undefined {
    const url = this.network.httpOf(world);
    if (!url) return undefined;
    let client = this.clients.get(url);
    if (!client) {
      const bot = this;
      // Each bot's game links come from an address of its own on the loopback network (127.0.0.2–
      // 127.0.0.251), as players' do from theirs: the shards' limits per remote address are for
      // one host's connections, not a whole player base's. Timed: the client opening a socket
      // during a move is the redirect being followed.
      const localAddress = `127.0.0.${2 + (this.index % 250)}`;
      class TimedWebSocket extends WebSocket {
        private readonly madeAtMs: number;
        constructor(address: string) {
          super(address, { localAddress });
          const atMs = performance.now();
          this.madeAtMs = atMs;
          bot.socketAtMs = atMs;
          bot.socketTrace = [];
          this.once('open', () => {
            if (bot.socketAtMs === atMs) bot.socketOpenAtMs = performance.now();
          });
          this.on('message', () => this.trace('in'));
        }
        override send(data: Parameters<WebSocket['send']>[0]): void {
          this.trace('out');
          super.send(data);
        }
        /** The first few datagrams each way on the newest socket, ms after it was made. */
        private trace(way: 'in' | 'out'): void {
          if (bot.socketAtMs !== this.madeAtMs || bot.socketTrace.length >= 8) return;
          bot.socketTrace.push(`${way} ${(performance.now() - this.madeAtMs).toFixed(1)}`);
        }
      }
      client = new ShardlineClient(url, {
        storage: this.storage,
        rejoinWithinMs: REJOIN_WITHIN_MS,
        WebSocket: TimedWebSocket as never,
      });
      this.clients.set(url, client);
    }
    return client;
  }

  /** Signs in (a guest account, the same on every shard) and takes a seat, starting with its first world. */
  async start(): Promise<boolean> {
    return this.seat();
  }

  /**
   * Seats the bot: joins its last world, else each other in turn, round after round, until one
   * takes it (or the bot stops). One at a time.
   */
  seat(): Promise<boolean> {
    this.seating ??= this.seatNow().finally(() => {
      this.seating = undefined;
    });
    return this.seating;
  }

  private async seatNow(): Promise<boolean> {
    for (let round = 0; !this.stopped; round++) {
      const others = this.network.worlds.filter((world) => world !== this.lastWorld);
      for (const world of [this.lastWorld, ...others]) {
        if (this.stopped) return false;
        const client = this.clientFor(world);
        if (!client) continue;
        try {
          const user = await client.signIn();
          this.userId = user.id;
          const joined = await this.joinWithin(client, world);
          if (!joined) continue;
          if (this.stopped) {
            await joined.leave().catch(() => {});
            return false;
          }
          this.attach(joined);
          return true;
        } catch (error) {
          bump(this.counts.joinErrors, codeOf(error));
        }
      }
      await sleep(Math.min(200 * (round + 1), 1_000) * (0.5 + this.random.next()));
    }
    return false;
  }

  /** joinById, given up after JOIN_LIMIT_MS (a late seat is left at once). */
  private async joinWithin(client: ShardlineClient, world: string): Promise<PortalWorld | undefined> {
    const joining = client.joinById(portalWorld, world);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), JOIN_LIMIT_MS);
    });
    try {
      const joined = await Promise.race([joining, late]);
      if (!joined) {
        bump(this.counts.joinErrors, 'JOIN_TIMEOUT');
        void joining.then((late) => late.leave()).catch(() => {});
      }
      return joined;
    } finally {
      clearTimeout(timer);
    }
  }

  private attach(joined: PortalWorld): void {
    this.world = joined;
    this.lastWorld = joined.id;
    this.counts.seats++;
    let migration: { at: MoveSample; snapshot: boolean } | undefined;
    joined.onMigrated = (moved: WorldMigration) => {
      this.counts.moves++;
      this.lastWorld = joined.id;
      this.arrivedAtMs = performance.now();
      migration = {
        snapshot: false,
        at: {
          bot: this.index,
          from: moved.from,
          to: joined.id,
          portal: moved.portal,
          startedMs: this.pendingStartMs,
          socketMs: this.socketAtMs >= this.pendingStartMs ? this.socketAtMs : undefined,
          socketOpenMs:
            this.socketAtMs >= this.pendingStartMs && this.socketOpenAtMs >= this.socketAtMs
              ? this.socketOpenAtMs
              : undefined,
          migratedMs: this.arrivedAtMs,
          snapshotMs: 0,
          socketTrace: this.socketTrace,
        },
      };
    };
    joined.onSnapshot = () => {
      if (!migration || migration.snapshot) return;
      migration.snapshot = true;
      migration.at.snapshotMs = performance.now();
      if (joined.ownedIds.size !== 1) this.counts.bodyAnomalies++;
      this.arrival?.({ kind: 'moved', sample: migration.at });
    };
    joined.onReconnecting = () => this.counts.reconnecting++;
    joined.onRejoined = () => this.counts.rejoined++;
    joined.onLeave = (reason) => {
      if (this.world !== joined) return;
      this.world = undefined;
      bump(this.counts.leaves, reason);
      this.arrival?.({ kind: 'lost', why: reason });
      if (!this.stopped) void this.seat();
    };
  }

  private pendingStartMs = 0;

  /** Whether a move may start now: seated, connected, not moving. */
  get ready(): boolean {
    return !this.stopped && !this.moving && this.world?.state === 'connected';
  }

  /**
   * Walks through a portal of its world (a random one unless named): the refusal's code, or the
   * move timed to its first snapshot in the other world, or 'lost' if its world ended meanwhile.
   */
  async move(portal?: string): Promise<MoveOutcome> {
    const world = this.world;
    if (!world || !this.ready) return { kind: 'skipped' };
    const ends = PORTALS_OF[world.id] ?? [];
    const chosen = portal ?? ends[this.random.index(ends.length)]?.portal;
    if (!chosen) return { kind: 'skipped' };
    this.moving = true;
    this.pendingStartMs = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const arrived = new Promise<MoveOutcome>((resolve) => {
        this.arrival = resolve;
        timer = setTimeout(() => resolve({ kind: 'lost', why: 'move timed out' }), MOVE_LIMIT_MS);
      });
      const replied = world.rpc.enterPortal({ portal: chosen }).then(
        (reply) => reply.code,
        (error: unknown) => codeOf(error),
      );
      const first = await Promise.race([replied.then((code) => ({ code })), arrived]);
      let outcome: MoveOutcome;
      if ('code' in first) {
        // A reply: a refusal — unless it is the call failing as the world resets for its move
        // (RPC_TIMEOUT) or its link went: then the arrival (or the loss) tells.
        outcome =
          first.code !== '' && first.code !== 'RPC_TIMEOUT' && world.state === 'connected'
            ? { kind: 'refused', code: first.code }
            : await arrived;
      } else outcome = first;
      if (outcome.kind === 'refused') bump(this.counts.refused, outcome.code);
      if (outcome.kind === 'lost') this.counts.lost++;
      return outcome;
    } finally {
      clearTimeout(timer);
      this.arrival = undefined;
      this.moving = false;
    }
  }

  /** Stops seating itself again and moving (its world stays as it is: the shards' stop ends it). */
  stop(): void {
    this.stopped = true;
  }

  /** Leaves its world (gives up its seat: the shard keeps its record). */
  async leave(): Promise<void> {
    this.stopped = true;
    const world = this.world;
    this.world = undefined;
    await world?.leave().catch(() => {});
  }
}
