import {
  type Aead,
  type ChannelConfig,
  type ConnectionHandle,
  chacha20Poly1305,
  type DisconnectReason,
  type EndpointStats,
  issueConnectToken,
  type PacketLog,
  type SendType,
  ServerConnections,
  type ServerTransport,
  ShardlineError,
  type TokenGrant,
  type TransportCapabilities,
  type TunableEndpointOptions,
} from '@shardline/core';
import { TurnBudget, type TurnBudgetOptions, type TurnBudgetStats } from './turn-budget.js';

export interface GameServerOptions {
  protocolId: number;
  /** The secret shared with the token issuer (32 bytes). */
  privateKey: Uint8Array;
  /**
   * ChaCha20-Poly1305 for UDP packets and connect tokens. Default `chacha20Poly1305` (core's own,
   * allocation-free); `aeadFromNodeCrypto(await import('node:crypto'))` is the native one.
   */
  aead?: Aead;
  transports: readonly ServerTransport[];
  channels: readonly ChannelConfig[];
  /** Sessions per transport. Default 64. */
  maxClients?: number;
  /**
   * How often connections with work to do (resends, acks, queued messages) are updated, in ms.
   * Default 10. Idle ones are updated for their keepalive or timeout (see IDLE_WAKE_MS).
   */
  tickMs?: number;
  endpoint?: TunableEndpointOptions;
  /** Addresses clients reach this server at, as tokens name them. Default: the addresses listened on. */
  publicAddresses?: readonly string[];
  /** Records every packet in and out (e.g. a JsonLinesPacketLog). */
  packetLog?: PacketLog;
  /**
   * Over a lossy transport (UDP: one socket for every peer), each peer's datagrams handled per
   * event-loop turn, and its excess held, so a flooding peer cannot hold the loop (see TurnBudget).
   * Stream transports get the same from their own reads (one message per connection per turn).
   */
  turnBudget?: TurnBudgetOptions;
}

export interface SessionInfo {
  session: string;
  clientId: string;
  userData: Uint8Array;
  /** The world instance its connect token names ('' for none): where a WorldRuntime seats it. */
  world: string;
  /** What the session's transport guarantees (a reliable one delivers every message while the link is up). */
  capabilities: TransportCapabilities;
  /** When the session connected (Date.now, ms). */
  connectedAtMs: number;
}

/**
 * A connected session as `GameServer.handle` gives it: sends through it (sendTo, sendToEach) skip
 * the lookups by session id. It stays valid while the session lasts (`dropped` once it ended).
 */
export type SessionHandle = ConnectionHandle;

/** Hears every session come and go, beside the game's own callbacks (dashboards, logs, the bus). */
export interface SessionObserver {
  connected?(info: SessionInfo): void;
  /** After the game's onDisconnect; `info` is what the session was. */
  disconnected?(info: SessionInfo, reason: DisconnectReason): void;
}

/**
 * Idle connections (nothing to send, only a keepalive or a timeout ahead) wake the server at most
 * this often, ms, so their keepalives and timeouts may come this much late. Waking a process costs
 * more than updating a connection: a server of idle streams would otherwise wake every few ms for
 * one keepalive or another.
 */
export const IDLE_WAKE_MS = 100;

/**
 * A game server on one or more transports: runs the handshake, sessions and reliability for every
 * client, and hands the game connect/message/disconnect callbacks. The edges own the timers: one
 * timer drives every connection's `update`, armed for when the next one needs it.
 */
export class GameServer {
  onConnect: ((info: SessionInfo) => void) | undefined;
  onMessage: ((session: string, channel: number, bytes: Uint8Array) => void) | undefined;
  onDisconnect: ((session: string, reason: DisconnectReason) => void) | undefined;
  private readonly links: Link[] = [];
  private readonly sessionLinks = new Map<string, Link>();
  private readonly sessionInfos = new Map<string, SessionInfo>();
  private readonly observers = new Set<SessionObserver>();
  private running = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed wake fires (ms; +∞: none armed). */
  private wakeAtMs = Number.POSITIVE_INFINITY;
  private lastUpdateMs = Number.NEGATIVE_INFINITY;
  private addresses: string[] = [];
  /** How deep in sendTogether (0: not): sends inside leave at its end. */
  private together = 0;
  /** The sessions that refused a sendToEach's message, and how they are added. */
  private readonly refused: string[] = [];
  private readonly refuse = (peer: string) => {
    this.refused.push(peer);
  };
  /** Scratch lists of the events a pump hands out, one per depth of pumps inside handlers. */
  private readonly takenEvents: ServerConnections['events'][number][][] = [];
  private pumpDepth = 0;

  private readonly aead: Aead;

  constructor(private readonly options: GameServerOptions) {
    this.aead = options.aead ?? chacha20Poly1305;
  }

  /** Listens on every transport; resolves with their addresses. If one cannot, closes them all and rejects. */
  async start(): Promise<string[]> {
    const { transports } = this.options;
    const listening = await Promise.allSettled(transports.map((transport) => transport.listen()));
    const failed = listening.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.allSettled(transports.map((transport) => transport.close()));
      throw failed.reason;
    }
    this.addresses = listening.map((result) => (result as PromiseFulfilledResult<string>).value);
    for (const transport of this.options.transports) {
      const connections = new ServerConnections({
        protocolId: this.options.protocolId,
        privateKey: this.options.privateKey,
        aead: this.aead,
        addresses: this.options.publicAddresses ?? this.addresses,
        capabilities: transport.capabilities,
        channels: this.options.channels,
        maxClients: this.options.maxClients ?? 64,
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.packetLog ? { packetLog: this.options.packetLog } : {}),
      });
      const receive = (peer: string, datagram: Uint8Array) => {
        connections.receive(peer, datagram, Date.now());
        this.pump(link);
        this.wake();
      };
      const budget = transport.capabilities.reliable
        ? undefined
        : new TurnBudget(receive, this.options.turnBudget);
      const link: Link = { transport, connections, handles: [], budget };
      this.links.push(link);
      transport.onDatagram = budget ? (peer, datagram) => budget.receive(peer, datagram) : receive;
      transport.onPeerClosed = (peer) => {
        // A clean leave sends a Disconnect packet first; a stream closing without one lost its link.
        if (this.sessionLinks.has(peer)) connections.disconnect(peer, 'link-lost');
        this.pump(link);
      };
    }
    this.running = true;
    return this.addresses;
  }

  /** Where clients reach this server, as its tokens name them (empty until started). */
  get publicAddresses(): string[] {
    return [...(this.options.publicAddresses ?? this.addresses)];
  }

  /** Issues a token for this server (development, tests; production tokens come from the services). */
  issueToken(
    grant: Omit<TokenGrant, 'serverAddresses'> & { serverAddresses?: readonly string[] },
  ): Uint8Array {
    const { protocolId, privateKey } = this.options;
    return issueConnectToken(
      { ...grant, serverAddresses: grant.serverAddresses ?? this.publicAddresses },
      { protocolId, privateKey, aead: this.aead },
      Date.now(),
    );
  }

  /** Queues a message; it leaves at the next tick, or at once for a send type that asks (no-delay). */
  send(session: string, channel: number, bytes: Uint8Array, type?: SendType): void {
    const link = this.linkOf(session);
    const nowMs = Date.now();
    const updateNow = link.connections.send(session, channel, bytes, nowMs, type);
    if (updateNow) link.connections.update(nowMs, session);
    this.sent(link, updateNow);
  }

  /** A connected session's handle, for sends without the lookups (sendTo, sendToEach); undefined if none. */
  handle(session: string): SessionHandle | undefined {
    return this.sessionLinks.get(session)?.connections.handle(session);
  }

  /** `send` through a session's handle; VALUE_INVALID once the session has ended. */
  sendTo(handle: SessionHandle, channel: number, bytes: Uint8Array, type?: SendType): void {
    const link = this.linkOfHandle(handle);
    const nowMs = Date.now();
    const updateNow = link.connections.sendTo(handle, channel, bytes, nowMs, type);
    if (updateNow) link.connections.update(nowMs, handle.peer);
    this.sent(link, updateNow);
  }

  /**
   * One message to many sessions (a snapshot every player of a world shares), as `send` to each,
   * with one transmission pass at the end: a message that leaves as a Message packet over a stream
   * is one array for all of them, framed once. Sessions that have ended are skipped. Returns the
   * sessions that refused it (SEND_QUEUE_FULL: not keeping up), for the caller to deal with.
   */
  sendToEach(
    handles: readonly SessionHandle[],
    channel: number,
    bytes: Uint8Array,
    type?: SendType,
  ): readonly string[] {
    const nowMs = Date.now();
    if (this.links.length === 1) {
      this.links[0]!.connections.sendToEach(handles, channel, bytes, nowMs, type, this.refuse);
    } else {
      for (const link of this.links) {
        for (const handle of handles) if (handle.owner === link.connections) link.handles.push(handle);
        link.connections.sendToEach(link.handles, channel, bytes, nowMs, type, this.refuse);
        link.handles.length = 0;
      }
    }
    if (this.together === 0) {
      for (const link of this.links) this.pump(link);
      this.wake();
    }
    if (this.refused.length === 0) return NONE;
    return this.refused.splice(0);
  }

  /**
   * Runs `run`, whose sends (send, sendTo, sendToEach) leave together at its end: one pass over
   * what the connections produced, and one look at the timer, for all of them, instead of one per
   * send (a world's round of snapshots, each client's its own, as with interest management).
   */
  sendTogether(run: () => void): void {
    this.together++;
    try {
      run();
    } finally {
      if (--this.together === 0) {
        for (const link of this.links) this.pump(link);
        this.wake();
      }
    }
  }

  /** Sends what every connection has queued now instead of at the next tick (e.g. after a snapshot round). */
  flush(): void {
    const nowMs = Date.now();
    this.lastUpdateMs = nowMs;
    for (const link of this.links) {
      link.connections.update(nowMs);
      this.pump(link);
    }
    this.wake();
  }

  /** Disconnects a session, telling its client why ('kicked' unless said otherwise). */
  kick(session: string, reason: DisconnectReason = 'kicked'): void {
    const link = this.linkOf(session);
    link.connections.disconnect(session, reason);
    this.pump(link);
  }

  /** Adds an observer of sessions; the result removes it. */
  observeSessions(observer: SessionObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Who a connected session is and since when; undefined once it is gone. */
  info(session: string): SessionInfo | undefined {
    return this.sessionInfos.get(session);
  }

  stats(session: string): EndpointStats {
    return this.linkOf(session).connections.stats(session, Date.now());
  }

  /** A session's smoothed round trip, ms (0 before any sample): stats().rttMs, without the rest. */
  rttMs(session: string): number {
    return this.linkOf(session).connections.rttMs(session);
  }

  /** Datagrams the turn budget (over lossy transports) held back to later turns, or dropped, in all. */
  get heldBack(): TurnBudgetStats {
    const total = { deferred: 0, dropped: 0 };
    for (const { budget } of this.links) {
      total.deferred += budget?.stats.deferred ?? 0;
      total.dropped += budget?.stats.dropped ?? 0;
    }
    return total;
  }

  /** The sessions connected now, by id. */
  get sessions(): string[] {
    return [...this.sessionLinks.keys()];
  }

  /** Tells every client the server is shutting down, then closes the transports. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    // One at a time, reporting each before the next: a handler may still send to the others.
    for (const [session, link] of [...this.sessionLinks]) {
      link.connections.disconnect(session, 'server-shutting-down');
      this.pump(link);
    }
    for (const link of this.links) link.budget?.clear(); // what is held back is not handled now
    await Promise.all(this.links.map((link) => link.transport.close()));
  }

  /**
   * Arms the timer for the next update a connection needs: every tickMs while some have work to do,
   * else at the earliest keepalive or timeout, but not sooner than IDLE_WAKE_MS after the last update.
   */
  private wake(): void {
    if (!this.running) return;
    let nextMs = Number.POSITIVE_INFINITY;
    for (const link of this.links) nextMs = Math.min(nextMs, link.connections.nextUpdateAtMs());
    if (nextMs === Number.POSITIVE_INFINITY) return; // nothing ahead: a send or a packet in will ask again
    const atMs =
      nextMs === Number.NEGATIVE_INFINITY
        ? this.lastUpdateMs + (this.options.tickMs ?? 10)
        : Math.max(nextMs, this.lastUpdateMs + IDLE_WAKE_MS);
    if (atMs >= this.wakeAtMs) return; // a wake at or before then is armed
    clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAtMs = Number.POSITIVE_INFINITY;
        this.flush();
      },
      Math.max(0, atMs - Date.now()),
    );
  }

  /**
   * After a send on `link` (`updated`: its session was updated at once): transmits what it
   * produced, and arms the timer for what it queued. Inside sendTogether, at its end instead.
   */
  private sent(link: Link, updated: boolean): void {
    if (this.together > 0) return;
    if (updated) {
      this.pump(link);
      this.wake();
    } else if (link.connections.outgoing.length > 0) {
      this.pump(link); // a no-delay packet that left at once
    } else {
      this.wake(); // queued for the next update
    }
  }

  /** Sends what the connections produced and reports what happened. */
  private pump(link: Link): void {
    // Transports never call back into the server while sending, so the list is not added to meanwhile.
    const { outgoing, events } = link.connections;
    try {
      for (let i = 0; i < outgoing.length; i++) link.transport.send(outgoing[i]!.peer, outgoing[i]!.datagram);
    } finally {
      outgoing.length = 0; // sent, or (a transport threw) dropped: never sent twice
    }
    if (events.length === 0) return;
    // Handlers may send (and so pump) again: take the events out first, into this depth's scratch
    // list (a pump inside a handler uses the next one), rather than a new array per pump.
    let taken = this.takenEvents[this.pumpDepth];
    if (!taken) {
      taken = [];
      this.takenEvents[this.pumpDepth] = taken;
    }
    for (let i = 0; i < events.length; i++) taken.push(events[i]!);
    events.length = 0;
    this.pumpDepth++;
    try {
      for (let i = 0; i < taken.length; i++) this.report(link, taken[i]!);
    } finally {
      this.pumpDepth--;
      taken.length = 0;
    }
  }

  /** One event of a link's connections, to the game's callbacks and the observers. */
  private report(link: Link, event: ServerConnections['events'][number]): void {
    if (event.type === 'connected') {
      this.sessionLinks.set(event.session, link);
      link.transport.admitted?.(event.session);
      const info: SessionInfo = {
        session: event.session,
        clientId: event.clientId,
        userData: event.userData,
        world: event.world,
        capabilities: link.transport.capabilities,
        connectedAtMs: Date.now(),
      };
      this.sessionInfos.set(event.session, info);
      this.onConnect?.(info);
      for (const observer of this.observers) observer.connected?.(info);
    } else if (event.type === 'message') {
      this.onMessage?.(event.session, event.channel, event.bytes);
    } else {
      const info = this.sessionInfos.get(event.session);
      this.sessionLinks.delete(event.session);
      this.sessionInfos.delete(event.session);
      if (link.transport.capabilities.reliable) link.transport.disconnect(event.session);
      this.onDisconnect?.(event.session, event.reason);
      if (info) for (const observer of this.observers) observer.disconnected?.(info, event.reason);
    }
  }

  private linkOf(session: string): Link {
    const link = this.sessionLinks.get(session);
    if (!link) throw new ShardlineError('VALUE_INVALID', `no session ${session}`);
    return link;
  }

  /** The link a handle's session runs over (VALUE_INVALID for a handle of another server). */
  private linkOfHandle(handle: SessionHandle): Link {
    if (this.links.length === 1 && this.links[0]!.connections === handle.owner) return this.links[0]!;
    const link = this.links.find((candidate) => candidate.connections === handle.owner);
    if (!link) throw new ShardlineError('VALUE_INVALID', `no session ${handle.peer}`);
    return link;
  }
}

/** A transport and its connections. */
interface Link {
  transport: ServerTransport;
  connections: ServerConnections;
  /** Scratch: the handles of one sendToEach on this link. */
  handles: SessionHandle[];
  /** Over a lossy transport: what each peer may have handled per turn. */
  budget: TurnBudget | undefined;
}

const NONE: readonly string[] = Object.freeze([]);
