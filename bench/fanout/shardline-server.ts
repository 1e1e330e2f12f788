import * as nodeCrypto from 'node:crypto';
import {
  aeadFromNodeCrypto,
  defineEntity,
  defineWorld,
  GameServer,
  MAX_WORLD_PLAYERS,
  type ServerTransport,
  serveWorld,
  t,
  WebSocketServerTransport,
  WORLD_CHANNELS,
  type WorldInstance,
  WorldRuntime,
} from '@shardline/server';
import type { ServerProbe } from './probe.js';
import { FanoutWorld, roomOf, TICK_HZ, type Variant, viewpointOf } from './scenario.js';

export const PROTOCOL_ID = 0xfa0;

/** The unit as a game would declare it: positions to 1 cm over the map. */
export function fanoutUnit(variant: Variant) {
  const axis = t.quantized({ min: 0, max: variant.mapSize, precision: 0.01 });
  return defineEntity('FanoutUnit', { x: axis, y: axis });
}

/** The fan-out world as a game declares it, in a module the server and the bots both import. */
export function fanoutKind(variant: Variant) {
  return defineWorld('fanout', {
    entities: [fanoutUnit(variant)],
    tickHz: TICK_HZ,
    maxPlayers: variant.botsPerRoom ?? MAX_WORLD_PLAYERS,
  });
}

/** The instance id of room r. */
export function roomId(room: number): string {
  return `room-${room}`;
}

export interface WorldCounters {
  snapshotBytes: number;
  fullStates: number;
}

export interface StartedServer {
  address: string;
  /** What each bot joins with: a connect token, base64 (Shardline), or a room id (Colyseus). */
  tokens: string[];
  /** What the worlds report having sent so far (a cross-check of the bots' count); null for Colyseus. */
  worldCounters: () => WorldCounters | null;
}

/** The bot a client id names (`bot-<i>`). */
const botIndex = (clientId: string) => Number(clientId.slice('bot-'.length));

/**
 * The variant's rooms (one for everyone and interest) as instances of one world kind in a
 * WorldRuntime over `server`, ids roomId(r), room r running its own seeded world; with a view
 * radius, the player with client id `bot-<i>` watches viewpointOf(variant, i). Rooms are created
 * together, so their ticks fall due together.
 */
export function fanoutRuntime(variant: Variant, server: GameServer) {
  const kind = fanoutKind(variant);
  const Unit = kind.entities[0];
  const radius = variant.viewRadius;
  const served = serveWorld(
    kind,
    (world) => {
      const simulation = new FanoutWorld(variant, world.options.room as number);
      const ids = simulation.units.map((unit) => world.spawn(Unit, unit));
      return {
        join: (player) => {
          if (radius) world.setViewpoint(player, { ...viewpointOf(variant, botIndex(player.id)), radius });
        },
        tick: () => {
          for (const index of simulation.step()) world.set(ids[index]!, { ...simulation.units[index]! });
        },
      };
    },
    radius
      ? {
          interest: {
            cellSize: radius / 2,
            positionOf: (_schema, state) => state as { x: number; y: number },
          },
        }
      : {},
  );
  // Seats stay reserved until the bots have all connected, however long that takes.
  const runtime = new WorldRuntime({ server, worlds: [served], reservationMs: 600_000 });
  const rooms: WorldInstance[] = [];
  for (let room = 0; room < variant.rooms; room++) {
    rooms.push(runtime.create(kind.name, { id: roomId(room), options: { room } }));
  }
  const ticket = (bot: number) =>
    runtime.ticket(rooms[roomOf(variant, bot)]!, { clientId: `bot-${bot}` }).token;
  return { kind, runtime, rooms, ticket };
}

/** A GameServer for the fan-out worlds on `transport`. */
export function fanoutServer(transport: ServerTransport, bots: number): GameServer {
  return new GameServer({
    protocolId: PROTOCOL_ID,
    privateKey: nodeCrypto.randomBytes(32),
    aead: aeadFromNodeCrypto(nodeCrypto),
    transports: [transport],
    channels: WORLD_CHANNELS,
    maxClients: bots + 10,
  });
}

/**
 * A Shardline WebSocket server running the variant's worlds (fanoutRuntime) as a product server
 * does: the runtime's own timer updates them when their ticks fall due (WorldRuntime.start). Each
 * room's tick (simulation, snapshots and their hand-off to its players' sockets) is timed by `probe`.
 */
export async function startShardline(
  variant: Variant,
  bots: number,
  probe: ServerProbe,
): Promise<StartedServer> {
  const server = fanoutServer(new WebSocketServerTransport(), bots);
  const { runtime, rooms, ticket } = fanoutRuntime(variant, server);
  const [address] = await server.start();
  runtime.observeTicks((_room, ms) => probe.tick(ms));
  runtime.start();
  const tokens = Array.from({ length: bots }, (_, i) => Buffer.from(ticket(i)).toString('base64'));
  return { address: address!, tokens, worldCounters: () => worldCounters(rooms) };
}

/** What the rooms say they sent, summed. */
function worldCounters(rooms: readonly WorldInstance[]): WorldCounters {
  let snapshotBytes = 0;
  let fullStates = 0;
  for (const room of rooms) {
    snapshotBytes += room.stats().snapshotBytes;
    for (const seat of room.players.keys()) fullStates += room.seatMetrics(seat)?.fullStates ?? 0;
  }
  return { snapshotBytes, fullStates };
}
