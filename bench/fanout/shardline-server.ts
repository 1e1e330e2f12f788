import * as nodeCrypto from 'node:crypto';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  defineEntity,
  GameServer,
  ServerWorld,
  t,
  WebSocketServerTransport,
  WorldHost,
} from '@shardline/server';
import type { ServerProbe } from './probe.js';
import { FanoutWorld, TICK_HZ, type Variant, viewpointOf } from './scenario.js';

export const CONTROL_CHANNEL = 0;
export const SNAPSHOT_CHANNEL = 1;
export const ACK_CHANNEL = 2;
export const SHARDLINE_CHANNELS: ChannelConfig[] = [
  { kind: 'reliable-ordered' },
  { kind: 'unreliable-sequenced' },
  { kind: 'unreliable' },
];
export const PROTOCOL_ID = 0xfa0;

/** The unit as a game would declare it: positions to 1 cm over the map. */
export function fanoutUnit(variant: Variant) {
  const axis = t.quantized({ min: 0, max: variant.mapSize, precision: 0.01 });
  return defineEntity('FanoutUnit', { x: axis, y: axis });
}

export interface WorldCounters {
  snapshotBytes: number;
  fullStates: number;
}

function worldCounters(world: ServerWorld): WorldCounters {
  const metrics = world.metrics();
  const fullStates = Object.values(metrics.clients).reduce((sum, client) => sum + client.fullStates, 0);
  return { snapshotBytes: metrics.bytes, fullStates };
}

export interface StartedServer {
  address: string;
  /** Connect tokens for the bots, base64 (Shardline only). */
  tokens: string[];
  /** What the world reports having sent so far (a cross-check of the bots' count); null for Colyseus. */
  worldCounters: () => WorldCounters | null;
}

/** A Shardline WebSocket server running the fan-out world; each tick's work is timed by `probe`. */
export async function startShardline(
  variant: Variant,
  bots: number,
  probe: ServerProbe,
): Promise<StartedServer> {
  const Unit = fanoutUnit(variant);
  const server = new GameServer({
    protocolId: PROTOCOL_ID,
    privateKey: nodeCrypto.randomBytes(32),
    aead: aeadFromNodeCrypto(nodeCrypto),
    transports: [new WebSocketServerTransport()],
    channels: SHARDLINE_CHANNELS,
    maxClients: bots + 10,
  });
  const radius = variant.viewRadius;
  const world = new ServerWorld(
    {
      schemas: [Unit],
      tickHz: TICK_HZ,
      ...(radius
        ? {
            interest: {
              cellSize: radius / 2,
              positionOf: (_schema, state) => state as { x: number; y: number },
            },
          }
        : {}),
    },
    Date.now(),
  );
  const host = new WorldHost({
    server,
    world,
    controlChannel: CONTROL_CHANNEL,
    snapshotChannel: SNAPSHOT_CHANNEL,
    ackChannel: ACK_CHANNEL,
  });
  const simulation = new FanoutWorld(variant);
  const ids = simulation.units.map((unit) => world.spawn(Unit, unit));
  world.onTick = () => {
    for (const index of simulation.step()) world.set(ids[index]!, { ...simulation.units[index]! });
  };
  let joined = 0;
  host.onJoin = (seat) => {
    if (radius) world.setViewpoint(seat, { ...viewpointOf(variant, joined), radius });
    joined++;
  };
  const [address] = await server.start();
  setInterval(() => {
    const tickBefore = world.tick;
    probe.time(
      () => host.update(),
      () => world.tick !== tickBefore,
    );
  }, 5);
  const tokens = Array.from({ length: bots }, (_, i) =>
    Buffer.from(
      server.issueToken({ clientId: `bot-${i}`, expiresInMs: 600_000, timeoutMs: 30_000 }),
    ).toString('base64'),
  );
  return { address: address!, tokens, worldCounters: () => worldCounters(world) };
}
