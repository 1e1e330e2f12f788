import {
  type AnyDeclaration,
  type AnyEntitySchema,
  answerPing,
  type DisconnectReason,
  decodeSeatMessage,
  encodeSeatMessage,
  isRpcChannel,
  isShardlineError,
  type RpcCatalog,
  type RpcChannels,
  RpcRouter,
  type RpcRouterOptions,
  readPing,
  rpcRoute,
  Seats,
  type SendType,
  type ServerWorld,
  type ShardlineError,
  StateRelay,
  worldFingerprint,
} from '@shardline/core';
import type { GameServer, SessionInfo } from './game-server.js';

export interface WorldHostOptions {
  server: GameServer;
  world: ServerWorld;
  /** A reliable channel for seat messages (hello, welcome, left; PROTOCOL.md §13). */
  controlChannel: number;
  /** An `unreliable-sequenced` channel: each snapshot supersedes the last, loss costs nothing. */
  snapshotChannel: number;
  /**
   * An `unreliable` channel for the clients' acknowledgements (a tick, u32 little-endian) and their
   * clock pings, which the host answers on it (PROTOCOL.md §11.1).
   */
  ackChannel: number;
  /** An `unreliable` channel for input messages (InputSender) to world.receiveInput, if the world takes input. */
  inputChannel?: number;
  /**
   * State templates: each seat may publish its own state (StatePublisher) on this `unreliable`
   * channel; the host checks it against the template and relays it to every other seat.
   */
  states?: { channel: number; template: AnyEntitySchema; maxPerSecond?: number };
  /** How long a client whose link timed out keeps its seat, entities and ownership, in ms. Default 30,000. */
  graceMs?: number;
  /** How often the world is updated, in ms. Default 5 (ticks still run at the world's rate). */
  updateMs?: number;
  /**
   * RPC and events (see `rpc`): the catalog both sides import, the channels they travel on, and the
   * router's limits. Seats are the callers; a seat reported misbehaving is kicked with that reason.
   */
  rpc?: {
    catalog: RpcCatalog<Record<string, AnyDeclaration>>;
    channels: RpcChannels;
    limits?: Omit<RpcRouterOptions, 'catalog' | 'send'>;
  };
}

/** A seat's clock as its latest ping reported it (PROTOCOL.md §11.1). */
export interface SeatClock {
  /**
   * Its estimate of the server clock minus the server clock, ms, allowing half the round trip for
   * the ping's way here; NaN until it has an estimate. Near 0 when its synchronization works.
   */
  driftMs: number;
  /** How far behind the newest snapshots it draws the world, ms, as it says (NaN if it does not). */
  viewDelayMs: number;
  /** When the report arrived (Date.now, ms). */
  reportedAtMs: number;
}

/** Clock pings a seat may send per second; more are ignored (unanswered). */
const MAX_PINGS_PER_SECOND = 20;

/**
 * Runs a ServerWorld over a GameServer. A connection joins the world when its client says hello on
 * the control channel, and gets a seat: the id the world, ownership and every callback here know
 * the client by. If its link drops (timeout, or 'link-lost' on a stream), the seat waits `graceMs`; a new connection presenting the
 * seat's reconnect token takes it back and gets a full snapshot. A seat given up (grace over, or the
 * client left) is reported to the game (`onLeave`, to despawn what it owned) and to every client.
 */
export class WorldHost {
  /** A new seat: spawn the client's entities here (with `owner: seat`). */
  onJoin: ((seat: string, info: SessionInfo) => void) | undefined;
  /** A client took its seat back after its link dropped. */
  onRejoin: ((seat: string, info: SessionInfo) => void) | undefined;
  /** A seat was given up: 'timeout' after the grace period, else why the client left. */
  onLeave: ((seat: string, reason: DisconnectReason) => void) | undefined;
  onMessage: ((seat: string, channel: number, bytes: Uint8Array) => void) | undefined;
  /** An input or published state rejected (NOT_OWNER, RATE_LIMITED, WIRE_*): it was dropped; count or kick. */
  onRejected: ((seat: string, error: ShardlineError) => void) | undefined;
  /** An update ran world ticks: how long, in ms (simulation, snapshots and their hand-off). */
  onTicked: ((ms: number) => void) | undefined;
  /** The RPC router, with `rpc` configured: `host.rpc.handle(...)`, `host.rpc.broadcastEvent(...)`. */
  readonly rpc: RpcRouter | undefined;
  /** What clients' hellos must name (worldFingerprint): the world's schemas and RPC catalog. */
  private readonly fingerprint: string;
  private readonly seats: Seats;
  private readonly relay: StateRelay | undefined;
  /** Connections that have not said hello yet. */
  private readonly pending = new Map<string, SessionInfo>();
  private readonly clocks = new Map<string, SeatClock>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private flushQueued = false;

  constructor(private readonly options: WorldHostOptions) {
    const { server } = options;
    this.seats = new Seats({ graceMs: options.graceMs ?? 30_000 });
    this.relay = options.states && new StateRelay(options.states.template, options.states.maxPerSecond);
    this.rpc = options.rpc && this.routerFor(options.rpc);
    this.fingerprint = worldFingerprint(options.world.schema, options.rpc?.catalog);
    server.onConnect = (info) => this.pending.set(info.session, info);
    server.onDisconnect = (session, reason) => this.disconnected(session, reason);
    server.onMessage = (session, channel, bytes) => this.received(session, channel, bytes);
  }

  start(): void {
    this.timer = setInterval(() => this.update(), this.options.updateMs ?? 5);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A seat's clock, once it has sent a clock ping. */
  clockOf(seat: string): SeatClock | undefined {
    return this.clocks.get(seat);
  }

  /** The seat a connection sits in. */
  seatOf(session: string): string | undefined {
    return this.seats.seatOf(session);
  }

  private received(session: string, channel: number, bytes: Uint8Array): void {
    const { world, controlChannel, ackChannel, inputChannel } = this.options;
    if (channel === controlChannel) {
      this.control(session, bytes);
      return;
    }
    const seat = this.seats.seatOf(session);
    if (seat === undefined) return; // not in the world yet: nothing else counts
    if (this.rpc && isRpcChannel(this.options.rpc!.channels, channel)) {
      this.rpc.receive(seat, bytes, Date.now());
    } else if (channel === ackChannel) {
      if (bytes.length === 4)
        world.acknowledge(seat, new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true));
      else this.clockPing(session, seat, bytes);
    } else if (channel === inputChannel) {
      this.rejecting(seat, () => world.receiveInput(seat, bytes));
    } else if (this.relay && channel === this.options.states?.channel) {
      this.rejecting(seat, () => this.relayState(seat, bytes));
    } else {
      this.onMessage?.(seat, channel, bytes);
    }
  }

  private control(session: string, bytes: Uint8Array): void {
    const info = this.pending.get(session);
    let message: ReturnType<typeof decodeSeatMessage>;
    try {
      message = decodeSeatMessage(bytes);
    } catch (error) {
      if (isShardlineError(error)) return; // malformed: ignored, the connection stays out of the world
      throw error;
    }
    if (!info || message.type !== 'hello') return;
    this.pending.delete(session);
    if (message.fingerprint !== this.fingerprint) {
      // Another build of the game: its schemas or calls would be misread. Not seated, told why.
      queueMicrotask(() => {
        if (this.options.server.sessions.includes(session))
          this.options.server.kick(session, 'protocol-mismatch');
      });
      return;
    }
    const resumed = message.token ? this.seats.resume(session, message.token, Date.now()) : undefined;
    const { seat, token } = resumed ?? this.seats.join(session);
    if (resumed?.replaced !== undefined) {
      // The old link is dead but not yet timed out: close it (it no longer sits anywhere).
      this.options.world.removeClient(seat, { keepOwnership: true });
      this.options.server.kick(resumed.replaced);
    }
    if (resumed) this.relay?.restart(seat); // its new publisher numbers from scratch
    // Over a reliable transport (WebSocket, TCP) every snapshot sent arrives, in order: it counts as
    // acknowledged once sent, and the client sends no acks (PROTOCOL.md §11).
    this.options.world.addClient(seat, { acknowledgedOnSend: info.capabilities.reliable });
    this.sendTo(
      session,
      this.options.controlChannel,
      encodeSeatMessage({ type: 'welcome', resumed: resumed !== undefined, token, seat }),
      'reliable',
    );
    // A seat keeps its RPC record (rates, strikes) across a dropped link.
    if (!resumed) this.rpc?.addClient(seat, Date.now());
    if (resumed) this.onRejoin?.(seat, info);
    else this.onJoin?.(seat, info);
  }

  private disconnected(session: string, reason: DisconnectReason): void {
    this.pending.delete(session);
    if (reason === 'timeout' || reason === 'link-lost') {
      const seat = this.seats.drop(session, Date.now());
      if (seat !== undefined) this.options.world.removeClient(seat, { keepOwnership: true });
      return;
    }
    const seat = this.seats.leave(session);
    if (seat !== undefined) this.giveUp(seat, reason);
  }

  private giveUp(seat: string, reason: DisconnectReason): void {
    this.options.world.removeClient(seat);
    this.clocks.delete(seat);
    this.rpc?.removeClient(seat);
    this.relay?.remove(seat);
    this.sendToSeats(
      this.options.controlChannel,
      encodeSeatMessage({ type: 'left', reason, seat }),
      'reliable',
    );
    this.onLeave?.(seat, reason);
  }

  /** Answers a clock ping at once (a pong that waits skews the client's estimate) and keeps its report. */
  private clockPing(session: string, seat: string, bytes: Uint8Array): void {
    const report = readPing(bytes);
    const nowMs = Date.now();
    const last = this.clocks.get(seat);
    if (!report || (last && nowMs - last.reportedAtMs < 1000 / MAX_PINGS_PER_SECOND)) return;
    const halfTripMs = this.options.server.stats(session).rttMs / 2;
    this.clocks.set(seat, {
      driftMs: report.serverEstimateMs + halfTripMs - nowMs,
      viewDelayMs: report.viewDelayMs,
      reportedAtMs: nowMs,
    });
    this.sendTo(session, this.options.ackChannel, answerPing(bytes, nowMs)!, 'unreliable-no-delay');
  }

  private relayState(seat: string, bytes: Uint8Array): void {
    const relayed = this.relay!.relay(seat, bytes, Date.now());
    if (!relayed) return; // a duplicate or late state
    this.sendToSeats(this.options.states!.channel, relayed, 'unreliable', seat);
  }

  /** Runs `receive`; a ShardlineError it throws rejects what the seat sent and is reported. */
  private rejecting(seat: string, receive: () => unknown): void {
    try {
      receive();
    } catch (error) {
      if (!isShardlineError(error)) throw error;
      this.onRejected?.(seat, error);
    }
  }

  private sendToSeats(channel: number, bytes: Uint8Array, type: SendType, except?: string): void {
    for (const seat of this.seats.ids) {
      const session = this.seats.sessionOf(seat);
      if (seat !== except && session !== undefined) this.sendTo(session, channel, bytes, type);
    }
  }

  /**
   * Sends to one connection. One that cannot take more (SEND_QUEUE_FULL: it is not keeping up) is
   * kicked once the current work is done, so neither the loop in progress nor the others suffer.
   */
  private sendTo(session: string, channel: number, bytes: Uint8Array, type: SendType): void {
    try {
      this.options.server.send(session, channel, bytes, type);
    } catch (error) {
      if (!isShardlineError(error)) throw error;
      queueMicrotask(() => {
        if (this.options.server.sessions.includes(session)) this.options.server.kick(session);
      });
    }
  }

  /** Runs the world's due ticks and sends their snapshots; start() calls it every `updateMs`. */
  update(): void {
    const { world, snapshotChannel } = this.options;
    const started = performance.now();
    const tickBefore = world.tick;
    const now = Date.now();
    const snapshots = world.update(now);
    // Snapshots leave now, not at the next connection update: each is complete for its tick.
    for (const { client, bytes } of snapshots) {
      const session = this.seats.sessionOf(client);
      if (session !== undefined) this.sendTo(session, snapshotChannel, bytes, 'unreliable-no-delay');
    }
    if (world.tick !== tickBefore) this.onTicked?.(performance.now() - started);
    for (const seat of this.seats.expire(now)) this.giveUp(seat, 'timeout');
    this.rpc?.update(now);
  }

  /**
   * Replies and events sent in this turn leave together at its end (one flush for a datagram's
   * worth of calls), not at the next connection tick.
   */
  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.options.server.flush();
    });
  }

  private routerFor(rpc: NonNullable<WorldHostOptions['rpc']>): RpcRouter {
    const router = new RpcRouter({
      ...rpc.limits,
      catalog: rpc.catalog,
      send: (seat, bytes, delivery) => {
        const session = this.seats.sessionOf(seat);
        const { channel, type } = rpcRoute(rpc.channels, delivery);
        if (session === undefined) return;
        this.sendTo(session, channel, bytes, type);
        this.flushSoon();
      },
    });
    router.onMisbehaving = (seat) => {
      // After the current work: the router is still inside its receive.
      queueMicrotask(() => {
        const session = this.seats.sessionOf(seat);
        if (session !== undefined && this.options.server.sessions.includes(session))
          this.options.server.kick(session, 'misbehaving');
      });
    };
    return router;
  }
}
