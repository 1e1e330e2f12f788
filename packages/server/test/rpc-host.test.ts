import * as nodeCrypto from 'node:crypto';
import {
  ClientWorld,
  type DeclarationsOf,
  GameClient,
  WebSocketClientTransport,
  type WebSocketConstructor,
  WorldClient,
} from '@shardline/client';
import { UdpClientTransport } from '@shardline/client/node';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  ConditionedClientTransport,
  ConditionedServerTransport,
  type DisconnectReason,
  defineEntity,
  defineRpcs,
  event,
  GameServer,
  type RpcChannels,
  rpc,
  type ServerTransport,
  ServerWorld,
  t,
  UdpServerTransport,
  WebSocketServerTransport,
  WorldHost,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const aead = aeadFromNodeCrypto(nodeCrypto);
const channels: ChannelConfig[] = [
  { kind: 'reliable-ordered' },
  { kind: 'unreliable-sequenced' },
  { kind: 'unreliable' },
  { kind: 'reliable-ordered' },
  { kind: 'reliable-unordered' },
  { kind: 'unreliable' },
];
const RPC: RpcChannels = { ordered: 3, unordered: 4, unreliable: 5 };
const Marker = defineEntity('Marker', { n: t.u8() });
const game = defineRpcs({
  buy: rpc({
    params: { item: t.enum(['sword', 'shield'] as const), count: t.int({ min: 1, max: 10 }) },
    reply: { gold: t.u16() },
    rate: { perSecond: 50, burst: 50 },
  }),
  wave: event({ params: { at: t.i16() } }),
});
type Game = DeclarationsOf<typeof game>;

async function waitFor(condition: () => boolean, timeoutMs = 8_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(transport: ServerTransport) {
  const server = new GameServer({
    protocolId: 9,
    privateKey: new Uint8Array(32).fill(5),
    aead,
    transports: [transport],
    channels,
  });
  const world = new ServerWorld({ schemas: [Marker], tickHz: 30 }, Date.now());
  const host = new WorldHost({
    server,
    world,
    controlChannel: 0,
    snapshotChannel: 1,
    ackChannel: 2,
    rpc: { catalog: game, channels: RPC, limits: { abuse: { rejections: 50, windowMs: 5_000 } } },
  });
  const [address] = await server.start();
  host.start();
  cleanups.push(
    () => server.stop(),
    () => host.stop(),
  );
  let gold = 100;
  host.rpc!.handle(game.definitions.buy, (params) => {
    gold -= params.count * (params.item === 'sword' ? 10 : 5);
    return { gold: Math.max(0, gold) };
  });
  return { server, host, address: address!, transport };
}

let clients = 0;
async function join(
  started: Awaited<ReturnType<typeof start>>,
  transport: ConstructorParameters<typeof GameClient>[0]['transport'],
) {
  const client = new GameClient({
    transport,
    token: started.server.issueToken({ clientId: `c${++clients}`, expiresInMs: 10_000, timeoutMs: 3_000 }),
    channels,
    aead,
  });
  const reasons: DisconnectReason[] = [];
  client.onDisconnect = (reason) => reasons.push(reason);
  const worldClient = new WorldClient<Game>({
    client,
    world: new ClientWorld({ schemas: [Marker] }),
    controlChannel: 0,
    snapshotChannel: 1,
    ackChannel: 2,
    rpc: { catalog: game, channels: RPC },
  });
  await worldClient.connect(started.address);
  await waitFor(() => worldClient.seat !== undefined);
  cleanups.push(() => client.disconnect());
  return { client, worldClient, rpc: worldClient.rpc!, reasons };
}

describe.each([
  [
    'WebSocket',
    () => new WebSocketServerTransport(),
    () => new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
  ],
  [
    'UDP at 30 ms and 10% loss',
    () => new ConditionedServerTransport(new UdpServerTransport(), { latencyMs: 30, lossPercent: 10 }),
    () => new ConditionedClientTransport(new UdpClientTransport(), { latencyMs: 30, lossPercent: 10 }),
  ],
] as const)('RPC through WorldHost and WorldClient over %s', (_name, serverTransport, clientTransport) => {
  it('answers calls and relays events naming their sender', async () => {
    const started = await start(serverTransport());
    const alice = await join(started, clientTransport());
    const bob = await join(started, clientTransport());
    await expect(alice.rpc.call.buy({ item: 'sword', count: 2 })).resolves.toEqual({ gold: 80 });
    await expect(bob.rpc.call.buy({ item: 'shield', count: 4 })).resolves.toEqual({ gold: 60 });

    const heard: string[] = [];
    bob.rpc.on(game.definitions.wave, (params, info) => heard.push(`bob: ${info.sender} ${params.at}`));
    started.host.rpc!.on(game.definitions.wave, (params, info) =>
      heard.push(`server: ${info.sender} ${params.at}`),
    );
    alice.rpc.broadcastEvent(game.definitions.wave, { at: -3 });
    await waitFor(() => heard.length === 2);
    expect(heard.sort()).toEqual([
      `bob: ${alice.worldClient.seat} -3`,
      `server: ${alice.worldClient.seat} -3`,
    ]);
    expect(started.host.rpc!.stats(alice.worldClient.seat!)).toEqual({ calls: 2, rejected: {} });
  });

  it('disconnects a flooding client as misbehaving while another keeps calling', async () => {
    const started = await start(serverTransport());
    const flooder = await join(started, clientTransport());
    const honest = await join(started, clientTransport());
    for (let i = 0; i < 2_000; i++) flooder.rpc.call.buy({ item: 'sword', count: 1 }).catch(() => {});
    await expect(honest.rpc.call.buy({ item: 'shield', count: 1 })).resolves.toMatchObject({});
    await waitFor(() => flooder.reasons.length > 0);
    expect(flooder.reasons).toEqual(['misbehaving']);
    await expect(honest.rpc.call.buy({ item: 'shield', count: 1 })).resolves.toMatchObject({});
  });
});

describe('a client of another build', () => {
  it('is not seated, and is told protocol-mismatch, when its RPC catalog differs', async () => {
    const started = await start(new WebSocketServerTransport());
    const other = defineRpcs({ buy: rpc({ params: { item: t.u8() } }) });
    const client = new GameClient({
      transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
      token: started.server.issueToken({ clientId: 'old-build', expiresInMs: 10_000, timeoutMs: 3_000 }),
      channels,
      aead,
    });
    const reasons: DisconnectReason[] = [];
    client.onDisconnect = (reason) => reasons.push(reason);
    const stale = new WorldClient({
      client,
      world: new ClientWorld({ schemas: [Marker] }),
      controlChannel: 0,
      snapshotChannel: 1,
      ackChannel: 2,
      rpc: { catalog: other, channels: RPC },
    });
    await stale.connect(started.address);
    await waitFor(() => reasons.length > 0);
    expect(reasons).toEqual(['protocol-mismatch']);
    expect(stale.seat).toBeUndefined();
    const current = await join(
      started,
      new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
    );
    expect(current.worldClient.seat).toBeDefined();
  });
});
