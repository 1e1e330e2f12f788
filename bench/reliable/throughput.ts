import * as nodeCrypto from 'node:crypto';
import { createSocket } from 'node:dgram';
import { GameClient } from '@shardline/client';
import { UdpClientTransport } from '@shardline/client/node';
import { aeadFromNodeCrypto, GameServer, UdpServerTransport } from '@shardline/server';
import { MESSAGE_BYTES } from './message.js';

/** How long each side is measured, and how many sends go out between event-loop turns. */
const WINDOW_MS = 3_000;
const BATCH = 256;
/** The Shardline sender pauses while this many messages are queued or unacknowledged. */
const MAX_OUTSTANDING = 20_000;

const turn = () => new Promise((resolve) => setImmediate(resolve));

async function rawDgram(): Promise<number> {
  const receiver = createSocket('udp4');
  const sender = createSocket('udp4');
  let received = 0;
  receiver.on('message', () => received++);
  await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', resolve));
  const port = receiver.address().port;
  const payload = new Uint8Array(MESSAGE_BYTES);
  const start = performance.now();
  while (performance.now() - start < WINDOW_MS) {
    for (let i = 0; i < BATCH; i++) sender.send(payload, port, '127.0.0.1');
    await turn();
  }
  const elapsedS = (performance.now() - start) / 1000;
  sender.close();
  receiver.close();
  return received / elapsedS;
}

async function shardline(): Promise<number> {
  const aead = aeadFromNodeCrypto(nodeCrypto);
  const channels = [{ kind: 'reliable-ordered' as const }];
  const endpoint = { sendRateBytesPerSecond: 256 * 1024 * 1024 };
  const server = new GameServer({
    protocolId: 1,
    privateKey: new Uint8Array(32).fill(9),
    aead,
    transports: [new UdpServerTransport()],
    channels,
    endpoint,
    tickMs: 5,
  });
  let received = 0;
  server.onMessage = () => received++;
  const [address] = await server.start();
  const client = new GameClient({
    transport: new UdpClientTransport(),
    token: server.issueToken({ clientId: 'throughput', expiresInMs: 60_000 }),
    channels,
    aead,
    endpoint,
    tickMs: 5,
  });
  await client.connect(address);
  const payload = new Uint8Array(MESSAGE_BYTES);
  const start = performance.now();
  while (performance.now() - start < WINDOW_MS) {
    const stats = client.stats()!;
    if (stats.sendQueueLength + stats.unackedReliable < MAX_OUTSTANDING) {
      for (let i = 0; i < BATCH; i++) client.send(0, payload);
    }
    await turn();
  }
  const elapsedS = (performance.now() - start) / 1000;
  client.disconnect();
  await server.stop();
  return received / elapsedS;
}

/** 64-byte messages per second delivered on loopback: plain datagrams, and Shardline's UDP path. */
export async function measureLoopbackThroughput(): Promise<{
  rawDgramMessagesPerSecond: number;
  shardlineMessagesPerSecond: number;
}> {
  const rawDgramMessagesPerSecond = await rawDgram();
  const shardlineMessagesPerSecond = await shardline();
  return { rawDgramMessagesPerSecond, shardlineMessagesPerSecond };
}
