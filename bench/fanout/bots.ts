/**
 * The bots child process: `bots.ts <shardline|colyseus> <variant>`. On `connect` it joins the given
 * number of passive clients, one per token (Shardline: a connect token naming its room; Colyseus in
 * rooms: the room id), each decoding its world as a game client would. Between `start` and `stop`
 * it counts what their sockets read.
 */
import {
  GameClient,
  JoinedWorld,
  WebSocketClientTransport,
  type WebSocketConstructor,
  WORLD_CHANNELS,
} from '@shardline/client';
import { Client as ColyseusClient } from 'colyseus.js';
import WebSocket from 'ws';
import { type BotMeasurement, type RunnerMessage, tellParent } from './ipc.js';
import { roomOf, variantNamed } from './scenario.js';
import { fanoutKind, roomId } from './shardline-server.js';

const CONNECT_CONCURRENCY = 25;
/** Connection updates (acks, keepalives) every 50 ms rather than 10: hundreds of bots share a core. */
const BOT_TICK_MS = 50;

interface Bot {
  socket: () => WebSocket | undefined;
  entitiesHeld: () => number;
}

const [stack, variantName] = process.argv.slice(2);
const variant = variantNamed(variantName!);
const bots: Bot[] = [];
let messages = 0;

/** Bytes read so far by a bot's TCP socket (ws keeps it as `_socket`). */
function bytesRead(bot: Bot): number {
  const socket = bot.socket() as unknown as { _socket?: { bytesRead: number } } | undefined;
  return socket?._socket?.bytesRead ?? 0;
}

function counted(socket: WebSocket): WebSocket {
  socket.on('message', () => messages++);
  return socket;
}

/** A WebSocket transport whose socket is counted and kept in `bot.socket`. */
function countingTransport(bot: { socket: WebSocket | undefined }): WebSocketClientTransport {
  class CountingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      bot.socket = counted(this);
    }
  }
  return new WebSocketClientTransport({ WebSocket: CountingWebSocket as unknown as WebSocketConstructor });
}

/** Bot `index`, a player of its room's world instance, joined as a game client joins a world. */
async function shardlineBot(address: string, token: string, index: number): Promise<Bot> {
  const link: { socket: WebSocket | undefined } = { socket: undefined };
  const kind = fanoutKind(variant);
  const world = await JoinedWorld.open({
    kind,
    world: { id: roomId(roomOf(variant, index)), kind: kind.name },
    connect: async () => {
      const client = new GameClient({
        transport: countingTransport(link),
        token: Buffer.from(token, 'base64'),
        channels: WORLD_CHANNELS,
        tickMs: BOT_TICK_MS,
      });
      await client.connect(address);
      return client;
    },
  });
  return { socket: () => link.socket, entitiesHeld: () => world.view.snapshot.snapshots[0]!.size };
}

/** `roomId`: the room to join, or undefined: the one room, by name. */
async function colyseusBot(address: string, roomId: string | undefined): Promise<Bot> {
  const client = new ColyseusClient(address);
  const room = await (roomId === undefined ? client.join('fanout') : client.joinById(roomId));
  const socket = counted((room.connection.transport as unknown as { ws: WebSocket }).ws);
  const state = room.state as { units?: { size: number } };
  return { socket: () => socket, entitiesHeld: () => state.units?.size ?? 0 };
}

/** Joins `count` bots; `firstIndex` is the first one's index among all the run's bots. */
async function connectAll(
  address: string,
  count: number,
  tokens: string[],
  firstIndex: number,
): Promise<number> {
  const join = (i: number): Promise<Bot> => {
    if (stack === 'colyseus') return colyseusBot(address, variant.botsPerRoom ? tokens[i] : undefined);
    return shardlineBot(address, tokens[i]!, firstIndex + i);
  };
  let failed = 0;
  for (let first = 0; first < count; first += CONNECT_CONCURRENCY) {
    const batch = Array.from({ length: Math.min(CONNECT_CONCURRENCY, count - first) }, (_, i) =>
      join(first + i),
    );
    for (const result of await Promise.allSettled(batch)) {
      if (result.status === 'fulfilled') bots.push(result.value);
      else failed++;
    }
  }
  return failed;
}

let window: { startedAt: bigint; cpu: NodeJS.CpuUsage; bytes: number; messages: number } | undefined;
process.on('message', async (message: RunnerMessage) => {
  if (message.type === 'connect') {
    const failed = await connectAll(message.address, message.bots, message.tokens, message.firstBot);
    tellParent({ type: 'connected', bots: bots.length, failed });
  } else if (message.type === 'start') {
    window = {
      startedAt: process.hrtime.bigint(),
      cpu: process.cpuUsage(),
      bytes: total(bytesRead),
      messages,
    };
  } else if (message.type === 'stop' && window) {
    const connected = bots.filter((bot) => bot.socket()?.readyState === WebSocket.OPEN);
    const seconds = Number(process.hrtime.bigint() - window.startedAt) / 1e9;
    const cpu = process.cpuUsage(window.cpu);
    const measurement: BotMeasurement = {
      connected: connected.length,
      bytesRead: total(bytesRead) - window.bytes,
      messages: messages - window.messages,
      meanEntitiesHeld:
        connected.reduce((sum, bot) => sum + bot.entitiesHeld(), 0) / Math.max(1, connected.length),
      seconds,
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
    };
    tellParent({ type: 'bots-measured', measurement });
  }
});

process.on('SIGTERM', () => process.exit(0)); // exit normally, so a --cpu-prof profile is written

function total(of: (bot: Bot) => number): number {
  return bots.reduce((sum, bot) => sum + of(bot), 0);
}
