import {
  type ClientWorld,
  type DisconnectReason,
  decodeSeatMessage,
  encodeSeatMessage,
  isShardlineError,
} from '@shardline/core';
import type { GameClient } from './game-client.js';

export interface WorldClientOptions {
  client: GameClient;
  world: ClientWorld;
  /** The reliable channel for seat messages (see WorldHost). */
  controlChannel: number;
  snapshotChannel: number;
  ackChannel: number;
  /** The token of a seat this client held before its link dropped: connect takes it back. */
  reconnectToken?: Uint8Array;
}

/**
 * Joins a WorldHost's world from a GameClient and feeds a ClientWorld: snapshots are decoded and
 * acknowledged at once. After its link drops (onDisconnect 'timeout'), connect a new GameClient and
 * pass this one's `reconnectToken` (and the same ClientWorld) to take the seat back within the
 * server's grace period. Other channels reach `onMessage`.
 */
export class WorldClient {
  onMessage: ((channel: number, bytes: Uint8Array) => void) | undefined;
  /** The server seated this client: a new seat, or (`resumed`) the one it held before. */
  onWelcome: ((seat: string, resumed: boolean) => void) | undefined;
  /** Another client's seat was given up, and why ('timeout' when its grace period ran out). */
  onPeerLeft: ((seat: string, reason: DisconnectReason) => void) | undefined;
  /** This client's seat, once welcomed. */
  seat: string | undefined;
  /** Keep it to rejoin after a dropped link; each one works once and is replaced on every welcome. */
  reconnectToken: Uint8Array | undefined;

  constructor(private readonly options: WorldClientOptions) {
    this.reconnectToken = options.reconnectToken;
    options.client.onMessage = (channel, bytes) => this.received(channel, bytes);
  }

  get world(): ClientWorld {
    return this.options.world;
  }

  /** Connects the GameClient and asks for a seat (the old one, with a reconnect token). */
  async connect(address?: string): Promise<void> {
    const { client, controlChannel } = this.options;
    await client.connect(address);
    client.send(controlChannel, encodeSeatMessage({ type: 'hello', token: this.reconnectToken }), 'reliable');
  }

  private received(channel: number, bytes: Uint8Array): void {
    const { client, world, controlChannel, snapshotChannel, ackChannel } = this.options;
    if (channel === controlChannel) {
      this.control(bytes);
      return;
    }
    if (channel !== snapshotChannel) {
      this.onMessage?.(channel, bytes);
      return;
    }
    const result = world.receive(bytes);
    if (!('ack' in result)) return;
    const ack = new Uint8Array(4);
    new DataView(ack.buffer).setUint32(0, result.ack, true);
    client.send(ackChannel, ack, 'unreliable');
  }

  private control(bytes: Uint8Array): void {
    let message: ReturnType<typeof decodeSeatMessage>;
    try {
      message = decodeSeatMessage(bytes);
    } catch (error) {
      if (isShardlineError(error)) return;
      throw error;
    }
    if (message.type === 'welcome') {
      this.seat = message.seat;
      this.reconnectToken = message.token;
      this.onWelcome?.(message.seat, message.resumed);
    } else if (message.type === 'left') {
      this.onPeerLeft?.(message.seat, message.reason);
    }
  }
}
