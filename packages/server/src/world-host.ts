import {
  type DisconnectReason,
  isShardlineError,
  type ServerWorld,
  type ShardlineError,
} from '@shardline/core';
import type { GameServer, SessionInfo } from './game-server.js';

export interface WorldHostOptions {
  server: GameServer;
  world: ServerWorld;
  /** An `unreliable-sequenced` channel: each snapshot supersedes the last, loss costs nothing. */
  snapshotChannel: number;
  /** An `unreliable` channel for the clients' acknowledgements (a tick, u32 little-endian). */
  ackChannel: number;
  /** An `unreliable` channel for input messages (InputSender) to world.receiveInput, if the world takes input. */
  inputChannel?: number;
  /** How often the world is updated, in ms. Default 5 (ticks still run at the world's rate). */
  updateMs?: number;
}

/**
 * Runs a ServerWorld over a GameServer: clients join the world when they connect and leave when they
 * disconnect, their acknowledgements steer the deltas, and every send tick's snapshots go out on the
 * snapshot channel. Game messages on other channels reach `onMessage`.
 */
export class WorldHost {
  onConnect: ((info: SessionInfo) => void) | undefined;
  onMessage: ((session: string, channel: number, bytes: Uint8Array) => void) | undefined;
  onDisconnect: ((session: string, reason: DisconnectReason) => void) | undefined;
  /** An input the world rejected (NOT_OWNER, RATE_LIMITED, WIRE_*): it was dropped; count or disconnect. */
  onInputRejected: ((session: string, error: ShardlineError) => void) | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: WorldHostOptions) {
    const { server, world, ackChannel, inputChannel } = options;
    server.onConnect = (info) => {
      world.addClient(info.session);
      this.onConnect?.(info);
    };
    server.onDisconnect = (session, reason) => {
      world.removeClient(session);
      this.onDisconnect?.(session, reason);
    };
    server.onMessage = (session, channel, bytes) => {
      if (channel === ackChannel) {
        if (bytes.length === 4)
          world.acknowledge(session, new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true));
        return;
      }
      if (channel === inputChannel) {
        this.receiveInput(session, bytes);
        return;
      }
      this.onMessage?.(session, channel, bytes);
    };
  }

  start(): void {
    this.timer = setInterval(() => this.update(), this.options.updateMs ?? 5);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private receiveInput(session: string, bytes: Uint8Array): void {
    try {
      this.options.world.receiveInput(session, bytes);
    } catch (error) {
      if (!isShardlineError(error)) throw error;
      this.onInputRejected?.(session, error);
    }
  }

  private update(): void {
    const { server, world, snapshotChannel } = this.options;
    for (const { client, bytes } of world.update(Date.now())) {
      if (server.sessions.includes(client)) server.send(client, snapshotChannel, bytes, 'unreliable');
    }
  }
}
