import { ShardlineError } from '../errors.js';
import type { ChannelConfig } from '../reliable/channel.js';
import { ReliableEndpoint, type SendType } from '../reliable/endpoint.js';
import type { EndpointStats } from '../reliable/stats.js';
import type { TransportCapabilities } from '../transport/types.js';
import { chacha20Poly1305 } from './chacha20-poly1305.js';
import type { Aead } from './crypto.js';
import { HandshakeClient } from './handshake-client.js';
import { describePacket, type PacketLog } from './packet-log.js';
import { PacketType } from './packets.js';
import {
  openSessionDatagram,
  SESSION_HEADROOM_BYTES,
  sealFramedDatagram,
  sealSessionDatagram,
} from './protection.js';
import { type DisconnectReason, reasonCode, reasonFromCode } from './reasons.js';
import {
  DISCONNECT_REDUNDANCY,
  endpointTuning,
  packetBudget,
  type TunableEndpointOptions,
} from './server-connections.js';

export interface ClientConnectionOptions {
  /** The connect token from the issuer. */
  token: Uint8Array;
  /**
   * ChaCha20-Poly1305 for unreliable transports (UDP), whose packets are encrypted. Default: core's
   * `chacha20Poly1305`. Stream transports (WebSocket, TCP) use none.
   */
  aead?: Aead;
  capabilities: TransportCapabilities;
  channels: readonly ChannelConfig[];
  endpoint?: TunableEndpointOptions;
  /** Records every packet in and out; the peer is named `server`. */
  packetLog?: PacketLog;
}

export type ClientState = 'connecting' | 'connected' | 'disconnected';

export type ClientEvent =
  | { type: 'connected' }
  | { type: 'message'; channel: number; bytes: Uint8Array }
  | { type: 'disconnected'; reason: DisconnectReason };

/**
 * A client's connection to a server, sans-IO: handshake first, then the reliable endpoint inside
 * Data packets. Datagrams to send accumulate in `outgoing`, what happened in `events`.
 */
export class ClientConnection {
  readonly outgoing: Uint8Array[] = [];
  readonly events: ClientEvent[] = [];
  private readonly handshake: HandshakeClient;
  private readonly secure: boolean;
  private endpoint: ReliableEndpoint | undefined;
  private currentState: ClientState = 'connecting';
  /** The latest time the caller gave, for log entries. */
  private nowMs = 0;
  private reason: DisconnectReason | undefined;

  constructor(
    private readonly options: ClientConnectionOptions,
    nowMs: number,
  ) {
    this.secure = !options.capabilities.reliable;
    this.handshake = new HandshakeClient(
      options.token,
      this.secure ? (options.aead ?? chacha20Poly1305) : undefined,
      this.secure,
    );
    this.update(nowMs);
  }

  get state(): ClientState {
    return this.currentState;
  }

  get disconnectReason(): DisconnectReason | undefined {
    return this.reason;
  }

  receive(datagram: Uint8Array, nowMs: number): void {
    this.nowMs = nowMs;
    if (this.currentState === 'disconnected') return;
    if (this.currentState === 'connecting') {
      this.options.packetLog?.record(
        describePacket('in', 'server', nowMs, datagram.length, datagram[0] ?? -1),
      );
      for (const reply of this.handshake.handle(datagram, nowMs)) this.emitRaw(reply);
      this.afterHandshake(nowMs);
      return;
    }
    const opened = openSessionDatagram(this.handshake.protection, datagram);
    if (!opened) return;
    const { type, payload } = opened;
    this.options.packetLog?.record(describePacket('in', 'server', nowMs, datagram.length, type, payload));
    if (type === PacketType.Data) {
      for (const message of this.endpoint!.receive(payload, nowMs)) {
        this.events.push({ type: 'message', channel: message.channel, bytes: message.bytes });
      }
    } else if (type === PacketType.Message && payload.length > 0) {
      const message = this.endpoint!.receiveMessage(payload[0]!, payload.subarray(1), datagram.length, nowMs);
      if (message) this.events.push({ type: 'message', channel: message.channel, bytes: message.bytes });
    } else if (type === PacketType.Disconnect && payload.length === 1) {
      this.finish(reasonFromCode(payload[0]!));
    }
  }

  update(nowMs: number): void {
    this.nowMs = nowMs;
    if (this.currentState === 'connecting') {
      for (const datagram of this.handshake.update(nowMs)) this.emitRaw(datagram);
      this.afterHandshake(nowMs);
      return;
    }
    if (this.currentState !== 'connected') return;
    const packets = this.endpoint!.update(nowMs);
    if (this.endpoint!.state === 'timed-out') {
      this.finish('timeout');
      return;
    }
    for (const packet of packets) this.emitFramed(packet);
  }

  /**
   * Queues a message; returns true when the connection should be updated at once (the send type asks
   * for it). An `unreliable-no-delay` message that could leave in a packet of its own
   * (ReliableEndpoint.sendNow) is in `outgoing` already, and needs no update (returns false).
   */
  send(channel: number, bytes: Uint8Array, nowMs: number, type?: SendType): boolean {
    if (this.currentState !== 'connected')
      throw new ShardlineError('VALUE_INVALID', `cannot send while ${this.currentState}`);
    if (type !== 'unreliable-no-delay') return this.endpoint!.send(channel, bytes, nowMs, type);
    const packet = this.endpoint!.sendNow(channel, bytes, nowMs);
    if (!packet) return true;
    this.nowMs = nowMs;
    this.emitFramed(packet);
    return false;
  }

  /** Leaves, telling the server (closed-by-client). */
  disconnect(): void {
    if (this.currentState === 'connected') {
      const copies = this.secure ? DISCONNECT_REDUNDANCY : 1;
      for (let i = 0; i < copies; i++) {
        this.emit(PacketType.Disconnect, Uint8Array.of(reasonCode('closed-by-client')));
      }
    }
    if (this.currentState !== 'disconnected') this.finish('closed-by-client');
  }

  /**
   * Ends the connection without telling the server, which cannot be reached: the transport's link
   * ended without a Disconnect packet (`link-lost`, as the server sees it), or the client gave up
   * waiting for the handshake (`timeout`).
   */
  end(reason: 'link-lost' | 'timeout'): void {
    if (this.currentState !== 'disconnected') this.finish(reason);
  }

  stats(nowMs: number): EndpointStats | undefined {
    return this.endpoint?.stats(nowMs);
  }

  private afterHandshake(nowMs: number): void {
    if (this.handshake.state === 'failed') {
      this.finish(this.handshake.failureReason!); // a failed handshake always has its reason
    } else if (this.handshake.state === 'connected') {
      this.endpoint = new ReliableEndpoint(
        {
          ...endpointTuning(this.options.endpoint, this.secure, this.handshake.token.timeoutMs),
          channels: this.options.channels,
          timeoutMs: this.handshake.token.timeoutMs,
          transportReliable: !this.secure,
          mtuBytes: packetBudget(this.options.capabilities, this.secure),
          headroomBytes: SESSION_HEADROOM_BYTES,
        },
        nowMs,
      );
      this.currentState = 'connected';
      this.events.push({ type: 'connected' });
    }
  }

  private finish(reason: DisconnectReason): void {
    this.currentState = 'disconnected';
    this.reason = reason;
    this.events.push({ type: 'disconnected', reason });
  }

  private emit(type: PacketType, payload: Uint8Array): void {
    const datagram = sealSessionDatagram(this.handshake.protection, type, payload);
    this.options.packetLog?.record(
      describePacket('out', 'server', this.nowMs, datagram.length, type, payload),
    );
    this.outgoing.push(datagram);
  }

  /** Queues a data packet from the endpoint (after its headroom), and logs it. */
  private emitFramed(framed: Uint8Array): void {
    const datagram = sealFramedDatagram(this.handshake.protection, PacketType.Data, framed);
    this.options.packetLog?.record(
      describePacket(
        'out',
        'server',
        this.nowMs,
        datagram.length,
        PacketType.Data,
        framed.subarray(SESSION_HEADROOM_BYTES),
      ),
    );
    this.outgoing.push(datagram);
  }

  private emitRaw(datagram: Uint8Array): void {
    this.options.packetLog?.record(
      describePacket('out', 'server', this.nowMs, datagram.length, datagram[0]!), // a handshake packet: never empty
    );
    this.outgoing.push(datagram);
  }
}
