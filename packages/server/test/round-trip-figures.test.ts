import * as nodeCrypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  type ClientTransport,
  GameClient,
  WebSocketClientTransport,
  type WebSocketConstructor,
} from '@shardline/client';
import { TcpClientTransport, UdpClientTransport } from '@shardline/client/node';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  ConditionedServerTransport,
  GameServer,
  type ServerTransport,
  TcpServerTransport,
  UdpServerTransport,
  WebSocketServerTransport,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

const aead = aeadFromNodeCrypto(nodeCrypto);
const RELIABLE = 0;
const ECHO = 1;
const channels: ChannelConfig[] = [{ kind: 'reliable-ordered' }, { kind: 'unreliable' }];
/** Added by the conditioner on the server's side, each way (ms): a 40 ms round trip. */
const ONE_WAY_MS = 20;
/**
 * Both sides update every TICK_MS, so an ack waits up to that long for the peer's next update: the
 * time an RTT must leave out (counted in, UDP read 5 ms and more high here).
 */
const TICK_MS = 25;
/** How far the mean reported RTT may sit from the mean echo's round trip over the same link (ms). */
const TOLERANCE_MS = 3;

const transports: [string, () => ServerTransport, () => ClientTransport][] = [
  ['udp', () => new UdpServerTransport(), () => new UdpClientTransport()],
  [
    'websocket',
    () => new WebSocketServerTransport(),
    () => new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
  ],
  ['tcp', () => new TcpServerTransport(), () => new TcpClientTransport()],
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: GameServer | undefined;
const clients: GameClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await server?.stop();
  server = undefined;
});

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

describe('round-trip and loss figures', () => {
  it('read the link over UDP, WebSocket and TCP at a known delay, and no loss on a lossless link', async () => {
    const game = new GameServer({
      protocolId: 7,
      privateKey: new Uint8Array(32).fill(3),
      aead,
      transports: transports.map(
        ([, serverTransport]) => new ConditionedServerTransport(serverTransport(), { latencyMs: ONE_WAY_MS }),
      ),
      channels,
      tickMs: TICK_MS,
    });
    server = game;
    const addresses = await game.start();
    // Reliable messages come back at the server's next update; echoes at once, as an RPC reply does.
    game.onMessage = (session, channel, bytes) =>
      game.send(session, channel, bytes, channel === ECHO ? 'unreliable-no-delay' : undefined);
    const sessionOf = new Map<string, string>();
    game.onConnect = ({ session, clientId }) => sessionOf.set(clientId, session);

    const echoes = new Map<string, number[]>();
    for (const [index, [name, , clientTransport]] of transports.entries()) {
      const client = new GameClient({
        transport: clientTransport(),
        token: game.issueToken({ clientId: name, expiresInMs: 30_000 }),
        channels,
        aead,
        tickMs: TICK_MS,
      });
      await client.connect(addresses[index]!);
      const rounds: number[] = [];
      echoes.set(name, rounds);
      client.onMessage = (channel, bytes) => {
        if (channel !== ECHO) return;
        rounds.push(performance.now() - new DataView(bytes.buffer, bytes.byteOffset).getFloat64(0, true));
      };
      clients.push(client);
    }
    /** Each client's and its session's reported RTT, read every 50 ms, by transport. */
    const readings = new Map(
      transports.map(([name]) => [name, { client: [] as number[], server: [] as number[] }]),
    );
    const read = () => {
      for (const [index, [name]] of transports.entries()) {
        const reading = readings.get(name)!;
        reading.client.push(clients[index]!.stats()!.rttMs);
        reading.server.push(game.stats(sessionOf.get(name)!).rttMs);
      }
    };
    const stamp = new Uint8Array(8);
    /** `rounds` rounds of 50 ms, each with an echo from every client if `echo`, a reliable message if `reliable`. */
    const run = async (rounds: number, echo: boolean, reliable: boolean) => {
      for (let round = 0; round < rounds; round++) {
        new DataView(stamp.buffer).setFloat64(0, performance.now(), true);
        for (const client of clients) {
          if (reliable) client.send(RELIABLE, stamp);
          if (echo) client.send(ECHO, stamp, 'unreliable-no-delay');
        }
        await sleep(50);
        read();
      }
    };
    /**
     * Over the phase just run, for both sides: no loss, and (if `timed`) the mean reported RTT within
     * TOLERANCE_MS of the mean echo.
     */
    const expectTruth = (name: string, timed: boolean) => {
      const echoMs = mean(echoes.get(name)!);
      expect(echoMs).toBeGreaterThanOrEqual(2 * ONE_WAY_MS);
      const index = transports.findIndex(([transport]) => transport === name);
      const stats = { client: clients[index]!.stats()!, server: game.stats(sessionOf.get(name)!) };
      for (const side of ['client', 'server'] as const) {
        expect(stats[side].packetLossPercent, `${name} ${side}: loss`).toBe(0);
        expect(stats[side].packetsLost, `${name} ${side}: lost`).toBe(0);
        if (!timed) continue;
        const rttMs = mean(readings.get(name)![side]);
        const offMs = Math.abs(rttMs - echoMs);
        expect(offMs, `${name} ${side}: RTT ${rttMs} ms, echo ${echoMs} ms`).toBeLessThanOrEqual(
          TOLERANCE_MS,
        );
      }
    };
    const forget = (what: Iterable<number[]>) => {
      for (const values of what) values.length = 0;
    };

    await run(10, true, false); // what a round trip takes, as an RPC reply would see it
    forget([...readings.values()].flatMap(({ client, server }) => [client, server]));
    await run(60, false, false); // idle for 3 s
    // UDP keepalives (every 250 ms) time the link; streams' come every 2.5 s, too few to judge by.
    for (const [name] of transports) expectTruth(name, name === 'udp');

    forget(echoes.values());
    forget([...readings.values()].flatMap(({ client, server }) => [client, server]));
    await run(60, true, true); // 20 reliable messages and 20 echoes a second from every client, 3 s
    for (const [name] of transports) {
      expect(echoes.get(name)!.length).toBeGreaterThanOrEqual(55);
      expectTruth(name, true);
    }
  }, 15_000);
});
