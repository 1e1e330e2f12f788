/**
 * One side of the reliable benchmark, run inside a network namespace by run.ts:
 *   peer.ts receiver <stack> <host> <port> <steadyCount> <burstCount>
 *   peer.ts sender   <stack> <host> <port> <steadyCount> <burstCount> <ratePerSecond>
 * Stacks: `shardline-udp` (GameServer/GameClient over UDP, reliable-ordered channel) and `tcp` (one
 * length-prefixed frame per message over node:net, Nagle off). The receiver prints a JSON line with
 * one-way latencies and the burst completion time, then exits.
 */
import * as nodeCrypto from 'node:crypto';
import { GameClient } from '@shardline/client';
import { TcpClientTransport, UdpClientTransport } from '@shardline/client/node';
import {
  aeadFromNodeCrypto,
  GameServer,
  issueConnectToken,
  TcpServerTransport,
  UdpServerTransport,
} from '@shardline/server';
import { summarize } from '../lib/stats.js';
import { BURST, clockMs, makeMessage, readMessage, STEADY } from './message.js';

const [role, stack, host, portText, steadyText, burstText, rateText] = process.argv.slice(2);
const port = Number(portText);
const bindHost = host ?? '127.0.0.1';
const steadyCount = Number(steadyText);
const burstCount = Number(burstText);
const aead = aeadFromNodeCrypto(nodeCrypto);
const privateKey = new Uint8Array(32).fill(0x5b);
const protocolId = 0x5b5b;
const channels = [{ kind: 'reliable-ordered' as const }];
/** Guard: a run that has not finished by then reports what it has. */
const RUN_LIMIT_MS = 120_000;

/** Latency at the 90th, 95th, 99th and 99.9th percentiles and the maximum, for the tail's shape. */
function percentiles(samples: number[]): Record<string, number> {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { p90: at(0.9), p95: at(0.95), p99: at(0.99), p999: at(0.999), max: sorted.at(-1) ?? 0 };
}

function receiver(): void {
  const latencies: number[] = [];
  let burstReceived = 0;
  let burstFirstSentAt = Number.POSITIVE_INFINITY;
  let burstLastArrival = 0;
  const onMessage = (bytes: Uint8Array) => {
    const arrival = clockMs();
    const { phase, sentAtMs } = readMessage(bytes);
    if (phase === STEADY) latencies.push(arrival - sentAtMs);
    if (phase === BURST) {
      burstReceived++;
      burstFirstSentAt = Math.min(burstFirstSentAt, sentAtMs);
      burstLastArrival = arrival;
    }
    if (latencies.length === steadyCount && burstReceived === burstCount) finish();
  };
  const finish = () => {
    const steady = latencies.length > 0 ? summarize(latencies) : undefined;
    console.log(
      JSON.stringify({
        stack,
        steadyReceived: latencies.length,
        latencyMs: steady,
        percentilesMs: percentiles(latencies),
        burstReceived,
        burstCompletionMs: burstLastArrival - burstFirstSentAt,
      }),
    );
    process.exit(0);
  };
  setTimeout(finish, RUN_LIMIT_MS).unref();

  if (stack === 'tcp') {
    const transport = new TcpServerTransport({ host: bindHost, port });
    transport.onDatagram = (_peer, datagram) => onMessage(datagram);
    void transport.listen().then(() => console.log('listening'));
  } else {
    const game = new GameServer({
      protocolId,
      privateKey,
      aead,
      transports: [new UdpServerTransport({ host: bindHost, port })],
      channels,
      maxClients: 1,
    });
    game.onMessage = (_session, _channel, bytes) => onMessage(bytes);
    void game.start().then(() => console.log('listening'));
  }
}

async function sender(): Promise<void> {
  const rate = Number(rateText);
  let send: (bytes: Uint8Array) => void;
  if (stack === 'tcp') {
    const transport = new TcpClientTransport();
    await transport.connect(`tcp://${host}:${port}`);
    send = (bytes) => transport.send(bytes);
  } else {
    const token = issueConnectToken(
      { clientId: 'bench', serverAddresses: [`udp://${host}:${port}`], expiresInMs: 60_000 },
      { protocolId, privateKey, aead },
      Date.now(),
    );
    const client = new GameClient({ transport: new UdpClientTransport(), token, channels, aead });
    await client.connect();
    send = (bytes) => client.send(0, bytes);
  }
  // Steady phase: `rate` messages per second, sent every 10 ms in groups.
  const perTick = rate / 100;
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      for (let i = 0; i < perTick && sent < steadyCount; i++) send(makeMessage(STEADY, sent++));
      if (sent === steadyCount) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  for (let i = 0; i < burstCount; i++) send(makeMessage(BURST, i));
  console.log('sent');
  setTimeout(() => process.exit(0), RUN_LIMIT_MS).unref();
}

if (role === 'receiver') receiver();
else void sender();
