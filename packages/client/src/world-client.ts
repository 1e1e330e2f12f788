import type { ClientWorld } from '@shardline/core';
import type { GameClient } from './game-client.js';

export interface WorldClientOptions {
  client: GameClient;
  world: ClientWorld;
  snapshotChannel: number;
  ackChannel: number;
}

/**
 * Feeds a ClientWorld from a GameClient: snapshots from the snapshot channel are decoded and
 * acknowledged at once on the ack channel. Other channels reach `onMessage`.
 */
export class WorldClient {
  onMessage: ((channel: number, bytes: Uint8Array) => void) | undefined;

  constructor(private readonly options: WorldClientOptions) {
    const { client, world, snapshotChannel, ackChannel } = options;
    client.onMessage = (channel, bytes) => {
      if (channel !== snapshotChannel) {
        this.onMessage?.(channel, bytes);
        return;
      }
      const result = world.receive(bytes);
      if (!('ack' in result)) return;
      const ack = new Uint8Array(4);
      new DataView(ack.buffer).setUint32(0, result.ack, true);
      client.send(ackChannel, ack, 'unreliable');
    };
  }

  get world(): ClientWorld {
    return this.options.world;
  }
}
