import { isShardlineError, ShardlineError } from '../errors.js';
import type { ChannelConfig } from '../reliable/channel.js';
import { type EndpointOptions, ReliableEndpoint, type SendType } from '../reliable/endpoint.js';
import { DEFAULT_MTU_BYTES } from '../reliable/limits.js';
import type { EndpointStats } from '../reliable/stats.js';
import type { TransportCapabilities } from '../transport/types.js';
import type { Aead } from './crypto.js';
import { HandshakeServer, SEALED_CHALLENGE_BYTES } from './handshake-server.js';
import { describePacket, type PacketLog } from './packet-log.js';
import {
  isMessagePacket,
  MESSAGE_OVERHEAD_BYTES,
  PacketType,
  REQUEST_BYTES,
  writeMessagePacket,
} from './packets.js';
import {
  openSessionDatagram,
  PacketProtection,
  PROTECTION_OVERHEAD_BYTES,
  SESSION_HEADROOM_BYTES,
  sealFramedDatagram,
  sealSessionDatagram,
} from './protection.js';
import { type DisconnectReason, reasonCode } from './reasons.js';
import type { PrivateToken } from './token.js';
import { type Scheduled, UpdateSchedule } from './update-schedule.js';

/**
 * The largest reliable packet that fits the transport once wrapped: the protection overhead on secure
 * transports, the type byte on streams, and never more than the default MTU.
 */
export function packetBudget(capabilities: TransportCapabilities, secure: boolean): number {
  const wrapping = secure ? PROTECTION_OVERHEAD_BYTES : 1;
  return Math.min(DEFAULT_MTU_BYTES, capabilities.maxDatagramBytes) - wrapping;
}

/**
 * A full-size Request or Response (1053 or 665 bytes). Only these make a connected peer's server say
 * Accepted (25 bytes) again: a reply is never larger than what caused it, so a spoofed source address
 * cannot turn the server against a connected client (PROTOCOL.md §10.2).
 */
function isHandshakeDatagram(datagram: Uint8Array): boolean {
  if (datagram[0] === PacketType.Request) return datagram.length === REQUEST_BYTES;
  // A Response: type, challenge sequence u64, sealed challenge token.
  return datagram[0] === PacketType.Response && datagram.length === 1 + 8 + SEALED_CHALLENGE_BYTES;
}

/** Disconnect packets go out this many times over lossy transports, so one of them arrives. */
export const DISCONNECT_REDUNDANCY = 3;

/** Endpoint options a game may tune; channels, timeout and transport reliability come from elsewhere. */
export type TunableEndpointOptions = Omit<
  EndpointOptions,
  'channels' | 'timeoutMs' | 'transportReliable' | 'mtuBytes'
>;

/**
 * Keepalives over a stream (WebSocket, TCP) only show the peer is there and sample the RTT: nothing
 * is lost, and a dead link closes the stream, so they go every 2.5 s (a quarter of the default 10 s
 * timeout) rather than every 250 ms (datagrams). A passive client (a spectator) sends nothing else,
 * and each packet in costs its server a read; headers also reach clients within half of this.
 */
export const STREAM_KEEPALIVE_MS = 2500;
const DATAGRAM_KEEPALIVE_MS = 250;

/**
 * A game's endpoint tuning over the transport's defaults. The default keepalive is also at most a
 * quarter of the connection's timeout, so an idle peer is never timed out between keepalives.
 */
export function endpointTuning(
  tuning: TunableEndpointOptions | undefined,
  secure: boolean,
  timeoutMs: number,
): TunableEndpointOptions {
  const keepaliveMs = Math.min(secure ? DATAGRAM_KEEPALIVE_MS : STREAM_KEEPALIVE_MS, timeoutMs / 4);
  return { keepaliveMs, ...tuning };
}

export interface ServerConnectionsOptions {
  protocolId: number;
  /** The secret shared with the token issuer (32 bytes). */
  privateKey: Uint8Array;
  /** Opens tokens on every transport, and encrypts packets over unreliable ones (UDP). */
  aead: Aead;
  /** Addresses this server answers to; tokens must name one. */
  addresses: readonly string[];
  /** Of the transport these connections run over: decides challenge/encryption and reliability mode. */
  capabilities: TransportCapabilities;
  channels: readonly ChannelConfig[];
  maxClients: number;
  endpoint?: TunableEndpointOptions;
  /** Records every packet in and out (see PacketLog). */
  packetLog?: PacketLog;
}

export type ServerEvent =
  | { type: 'connected'; session: string; clientId: string; userData: Uint8Array; world: string }
  | { type: 'message'; session: string; channel: number; bytes: Uint8Array }
  | { type: 'disconnected'; session: string; clientId: string; reason: DisconnectReason };

export interface Outgoing {
  peer: string;
  datagram: Uint8Array;
}

/**
 * A session as ServerConnections.handle gives it: what a caller keeps to send to it without a lookup
 * by peer (sendTo, sendToEach). Only handles from the same ServerConnections may be passed back.
 */
export interface ConnectionHandle {
  /** The peer address the session runs over. */
  readonly peer: string;
  /** The connections it belongs to. */
  readonly owner: ServerConnections;
  /** Whether the session has ended (then sends through the handle are refused or skipped). */
  readonly dropped: boolean;
}

/** A session; its schedule fields say when its endpoint next needs an update (nextUpdateMs). */
interface Session extends Scheduled {
  /** The peer address the session runs over (its key in `sessions`). */
  peer: string;
  owner: ServerConnections;
  clientId: string;
  endpoint: ReliableEndpoint;
  protection: PacketProtection | undefined;
}

/**
 * The server's connections over one transport, sans-IO: datagrams in through `receive`, time through
 * `update`; what to transmit accumulates in `outgoing` and what happened in `events`, both drained by
 * the caller. Peers without a session only reach the handshake, which allocates nothing for them.
 */
export class ServerConnections {
  readonly outgoing: Outgoing[] = [];
  readonly events: ServerEvent[] = [];
  private readonly sessions = new Map<string, Session>();
  /** Which sessions need an update when: busy ones at once, idle ones at their keepalive or timeout. */
  private readonly schedule = new UpdateSchedule<Session>();
  private readonly updateScheduled = (session: Session) => this.updateSession(session, this.nowMs);
  private readonly clients = new Map<string, string>();
  private readonly handshake: HandshakeServer;
  private readonly secure: boolean;
  /** The latest time the caller gave (for log entries of packets queued outside receive/update). */
  private nowMs = 0;
  /**
   * The Message packet made last: sending the same message on the same channel again (every
   * client's copy of one snapshot) hands the transport this very array, which it may frame once.
   */
  private lastMessage: Uint8Array | undefined;

  constructor(private readonly options: ServerConnectionsOptions) {
    this.secure = !options.capabilities.reliable;
    this.handshake = new HandshakeServer({
      protocolId: options.protocolId,
      privateKey: options.privateKey,
      aead: options.aead,
      addresses: options.addresses,
      secure: this.secure,
    });
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Handshake counters (requests, challenges, accepted, ignored, denied by reason). */
  get handshakeCounters(): HandshakeServer['counters'] {
    return this.handshake.counters;
  }

  receive(peer: string, datagram: Uint8Array, nowMs: number): void {
    this.nowMs = nowMs;
    const session = this.sessions.get(peer);
    if (session) {
      this.receiveFromSession(peer, session, datagram, nowMs);
      return;
    }
    this.options.packetLog?.record(describePacket('in', peer, nowMs, datagram.length, datagram[0] ?? -1));
    const result = this.handshake.handle(peer, datagram, nowMs, (client) => this.admit(client));
    if (result.kind === 'denied' || result.kind === 'challenge') this.emitRaw(peer, result.reply);
    if (result.kind === 'accepted') this.open(peer, result.client, nowMs);
  }

  /**
   * Updates the sessions that need it (resends, acks, batching, keepalives and timeouts, see
   * UpdateSchedule); `only` limits it to one session.
   */
  update(nowMs: number, only?: string): void {
    this.nowMs = nowMs;
    if (only !== undefined) {
      const session = this.sessions.get(only);
      if (session) this.updateSession(session, nowMs);
      return;
    }
    this.schedule.run(nowMs, this.updateScheduled);
  }

  /**
   * When `update` next has something to do (ms): −∞ if a session is due now, +∞ if none is scheduled.
   * Never late; it may be early (see UpdateSchedule.nextRunAtMs).
   */
  nextUpdateAtMs(): number {
    return this.schedule.nextRunAtMs();
  }

  /**
   * Queues a message for a session; returns true when it should be updated at once (the send type
   * asks for it). An `unreliable-no-delay` message that could leave in a packet of its own is in
   * `outgoing` already, and needs no update (returns false): over a stream as a Message packet
   * (ReliableEndpoint.takeMessage) or a reliable packet of its own (ReliableEndpoint.sendNow).
   */
  send(session: string, channel: number, bytes: Uint8Array, nowMs: number, type?: SendType): boolean {
    const target = this.sessions.get(session);
    if (!target) throw new ShardlineError('VALUE_INVALID', `no session ${session}`);
    return this.sendToSession(target, channel, bytes, nowMs, type);
  }

  /** The handle of a peer's session, for sends without a lookup (sendTo, sendToEach); undefined if none. */
  handle(peer: string): ConnectionHandle | undefined {
    return this.sessions.get(peer);
  }

  /** `send` through a handle; VALUE_INVALID once its session has ended. */
  sendTo(
    handle: ConnectionHandle,
    channel: number,
    bytes: Uint8Array,
    nowMs: number,
    type?: SendType,
  ): boolean {
    if (handle.dropped || handle.owner !== this) {
      throw new ShardlineError('VALUE_INVALID', `no session ${handle.peer}`);
    }
    return this.sendToSession(handle as Session, channel, bytes, nowMs, type);
  }

  /**
   * One message to many sessions, as `send` to each in turn, and those it asks for updated at once
   * (an `unreliable-no-delay` message queued): nothing for the caller to do but transmit `outgoing`.
   * Over a stream, every copy that leaves as a Message packet is the same array, made once.
   * Sessions that have ended are skipped; one that refuses the message (SEND_QUEUE_FULL: it is not
   * keeping up) is handed to `refused`, and the others still get it.
   */
  sendToEach(
    handles: readonly ConnectionHandle[],
    channel: number,
    bytes: Uint8Array,
    nowMs: number,
    type: SendType | undefined,
    refused: (peer: string, error: ShardlineError) => void,
  ): void {
    this.nowMs = nowMs;
    // The Message-packet shortcut below makes the packet once for all; without it sendToSession sends
    // each the same packet (messagePacket finds it again), only slower.
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, see above
    const noDelay = type === 'unreliable-no-delay';
    const messageBytes = MESSAGE_OVERHEAD_BYTES + bytes.length;
    let message: Uint8Array | undefined;
    for (let i = 0; i < handles.length; i++) {
      const target = handles[i] as Session;
      if (target.dropped) continue;
      try {
        // Stryker disable next-line ConditionalExpression,BooleanLiteral: equivalent, see noDelay
        if (noDelay && !this.secure && target.endpoint.takeMessage(channel, messageBytes, nowMs)) {
          message ??= this.messagePacket(channel, bytes);
          this.queueMessage(target.peer, message);
        } else if (this.sendToSession(target, channel, bytes, nowMs, type)) {
          this.updateSession(target, nowMs);
        }
      } catch (error) {
        if (!isShardlineError(error)) throw error;
        refused(target.peer, error);
      }
    }
  }

  /** The smoothed round trip of a session, ms (stats().rttMs without building the stats). */
  rttMs(session: string): number {
    const target = this.sessions.get(session);
    if (!target) throw new ShardlineError('VALUE_INVALID', `no session ${session}`);
    return target.endpoint.rttMs;
  }

  /** Ends a session, telling the peer why. */
  disconnect(session: string, reason: DisconnectReason): void {
    if (this.sessions.has(session)) this.close(session, reason);
  }

  stats(session: string, nowMs: number): EndpointStats & { tampered: number; replayed: number } {
    const target = this.sessions.get(session);
    if (!target) throw new ShardlineError('VALUE_INVALID', `no session ${session}`);
    const counters = target.protection?.counters ?? { tampered: 0, replayed: 0 };
    return { ...target.endpoint.stats(nowMs), tampered: counters.tampered, replayed: counters.replayed };
  }

  private sendToSession(
    target: Session,
    channel: number,
    bytes: Uint8Array,
    nowMs: number,
    type: SendType | undefined,
  ): boolean {
    if (type !== 'unreliable-no-delay') {
      this.schedule.markDue(target);
      return target.endpoint.send(channel, bytes, nowMs, type);
    }
    if (!this.secure && target.endpoint.takeMessage(channel, MESSAGE_OVERHEAD_BYTES + bytes.length, nowMs)) {
      this.nowMs = nowMs;
      this.queueMessage(target.peer, this.messagePacket(channel, bytes));
      return false;
    }
    const packet = target.endpoint.sendNow(channel, bytes, nowMs);
    if (!packet) {
      this.schedule.markDue(target); // queued instead
      return true;
    }
    this.nowMs = nowMs;
    this.emitFramed(target.peer, target, packet);
    return false;
  }

  private updateSession(session: Session, nowMs: number): void {
    const packets = session.endpoint.update(nowMs);
    if (session.endpoint.state === 'timed-out') {
      this.close(session.peer, 'timeout');
      return;
    }
    for (const packet of packets) this.emitFramed(session.peer, session, packet);
    const nextMs = session.endpoint.nextUpdateMs(nowMs);
    if (nextMs <= nowMs) this.schedule.markDue(session);
    else this.schedule.schedule(session, nextMs);
  }

  private admit(client: PrivateToken): DisconnectReason | undefined {
    if (this.clients.has(client.clientId)) return 'already-connected';
    if (this.sessions.size >= this.options.maxClients) return 'server-full';
    return undefined;
  }

  private open(peer: string, client: PrivateToken, nowMs: number): void {
    const protection = this.secure
      ? new PacketProtection(
          this.options.aead,
          client.serverToClientKey,
          client.clientToServerKey,
          this.options.protocolId,
        )
      : undefined;
    const endpoint = new ReliableEndpoint(
      {
        ...endpointTuning(this.options.endpoint, this.secure, client.timeoutMs),
        channels: this.options.channels,
        timeoutMs: client.timeoutMs,
        transportReliable: !this.secure,
        mtuBytes: packetBudget(this.options.capabilities, this.secure),
        headroomBytes: SESSION_HEADROOM_BYTES,
      },
      nowMs,
    );
    const session: Session = {
      peer,
      owner: this,
      clientId: client.clientId,
      endpoint,
      protection,
      dueNow: false,
      nextRunMs: nowMs,
      dropped: false,
    };
    this.sessions.set(peer, session);
    this.schedule.markDue(session);
    this.clients.set(client.clientId, peer);
    this.emit(peer, session, PacketType.Accepted, new Uint8Array(0));
    this.events.push({
      type: 'connected',
      session: peer,
      clientId: client.clientId,
      userData: client.userData,
      world: client.world,
    });
  }

  private receiveFromSession(peer: string, session: Session, datagram: Uint8Array, nowMs: number): void {
    if (session.protection && isHandshakeDatagram(datagram)) {
      // The client did not hear our Accepted yet: say it again (smaller than what it answers).
      this.emit(peer, session, PacketType.Accepted, new Uint8Array(0));
      return;
    }
    const opened = openSessionDatagram(session.protection, datagram);
    if (!opened) return;
    const { type, payload } = opened;
    this.options.packetLog?.record(describePacket('in', peer, nowMs, datagram.length, type, payload));
    if (type === PacketType.Data) {
      // Over datagrams what arrived is acknowledged at the next update; over a stream acks ride on
      // packets sent anyway (PROTOCOL.md §9.3), so receiving gives the session nothing to do.
      if (this.secure) this.schedule.markDue(session);
      for (const message of session.endpoint.receive(payload, nowMs)) {
        this.events.push({ type: 'message', session: peer, channel: message.channel, bytes: message.bytes });
      }
    } else if (type === PacketType.Disconnect && payload.length === 1) {
      // A client may only leave: whatever code it sends, the server records 'closed-by-client'.
      this.close(peer, 'closed-by-client', false);
    }
  }

  private close(peer: string, reason: DisconnectReason, tellPeer = true): void {
    const session = this.sessions.get(peer)!;
    if (tellPeer) {
      const copies = this.secure ? DISCONNECT_REDUNDANCY : 1;
      for (let i = 0; i < copies; i++) {
        this.emit(peer, session, PacketType.Disconnect, Uint8Array.of(reasonCode(reason)));
      }
    }
    this.sessions.delete(peer);
    session.dropped = true;
    this.clients.delete(session.clientId);
    this.events.push({ type: 'disconnected', session: peer, clientId: session.clientId, reason });
  }

  /** Queues a datagram to a peer that has a session, and logs it. */
  private emit(peer: string, session: Session, type: PacketType, payload: Uint8Array): void {
    const datagram = sealSessionDatagram(session.protection, type, payload);
    this.options.packetLog?.record(describePacket('out', peer, this.nowMs, datagram.length, type, payload));
    this.outgoing.push({ peer, datagram });
  }

  /** Queues a data packet from the endpoint (after its headroom) to a peer, and logs it. */
  private emitFramed(peer: string, session: Session, framed: Uint8Array): void {
    const datagram = sealFramedDatagram(session.protection, PacketType.Data, framed);
    this.options.packetLog?.record(
      describePacket(
        'out',
        peer,
        this.nowMs,
        datagram.length,
        PacketType.Data,
        framed.subarray(SESSION_HEADROOM_BYTES),
      ),
    );
    this.outgoing.push({ peer, datagram });
  }

  /** A Message packet carrying `message` on `channel`: the one made last, when it carries the same. */
  private messagePacket(channel: number, message: Uint8Array): Uint8Array {
    let datagram = this.lastMessage;
    if (datagram === undefined || !isMessagePacket(datagram, channel, message)) {
      datagram = writeMessagePacket(channel, message);
      this.lastMessage = datagram;
    }
    return datagram;
  }

  /** Queues a Message packet to a peer, and logs it. */
  private queueMessage(peer: string, datagram: Uint8Array): void {
    this.options.packetLog?.record(
      describePacket('out', peer, this.nowMs, datagram.length, PacketType.Message),
    );
    this.outgoing.push({ peer, datagram });
  }

  /** Queues a handshake reply (no session), and logs it. */
  private emitRaw(peer: string, datagram: Uint8Array): void {
    this.options.packetLog?.record(
      describePacket('out', peer, this.nowMs, datagram.length, datagram[0]!), // a handshake reply: never empty
    );
    this.outgoing.push({ peer, datagram });
  }
}
