/** The arena as any client joins it (bots, tests, the browser page): its world and world client. */
import { ClientWorld, type GameClient, WorldClient } from '@shardline/client';
import { ACK_CHANNEL, arenaRpcs, CONTROL_CHANNEL, Fighter, RPC_CHANNELS, SNAPSHOT_CHANNEL } from './game.js';

/**
 * Connects `client` (made with ARENA_CHANNELS) to the arena at `address` and asks for a seat;
 * `seated` resolves with it once the server has welcomed this client.
 */
export async function joinArena(client: GameClient, address: string) {
  const world = new ClientWorld({ schemas: [Fighter] });
  const worldClient = new WorldClient({
    client,
    world,
    controlChannel: CONTROL_CHANNEL,
    snapshotChannel: SNAPSHOT_CHANNEL,
    ackChannel: ACK_CHANNEL,
    rpc: { catalog: arenaRpcs, channels: RPC_CHANNELS },
  });
  const seated = new Promise<string>((resolve) => {
    worldClient.onWelcome = (seat) => resolve(seat);
  });
  await worldClient.connect(address);
  /** The fighters this client holds, as of its newest snapshot. */
  const fighters = () => [...world.snapshot.snapshots[0]!.entries()].map(([, state]) => state);
  return { world, worldClient, fighters, seated };
}
