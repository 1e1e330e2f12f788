import * as nodeCrypto from 'node:crypto';
import { GameClient } from '@shardline/client';
import { UdpClientTransport } from '@shardline/client/node';
import {
  aeadFromNodeCrypto,
  type ChannelConfig,
  GameServer,
  TurnBudget,
  UdpServerTransport,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnBudget', () => {
  const datagram = (n: number) => Uint8Array.of(n);

  it('hands a peer at most perTurn datagrams a turn, the rest in order in later turns', async () => {
    const handled: string[] = [];
    const budget = new TurnBudget((peer, bytes) => handled.push(`${peer}${bytes[0]}`), {
      perTurn: 2,
      backlog: 10,
    });
    for (let i = 0; i < 5; i++) budget.receive('a', datagram(i));
    budget.receive('b', datagram(0)); // another peer in the same turn is not held up by a's excess
    expect(handled).toEqual(['a0', 'a1', 'b0']);
    expect(budget.stats).toEqual({ deferred: 3, dropped: 0 });

    await nextTurn();
    expect(handled.slice(3)).toEqual(['a2', 'a3']);
    budget.receive('a', datagram(5)); // the backlog goes first: a new one waits behind it
    expect(handled).toHaveLength(5);
    await nextTurn();
    expect(handled.slice(5)).toEqual(['a4', 'a5']);
    expect(budget.stats).toEqual({ deferred: 4, dropped: 0 });
    await nextTurn();
    budget.receive('a', datagram(6)); // a new turn with nothing held: handled at once
    expect(handled.at(-1)).toBe('a6');
  });

  it('drops, and counts, what comes past a full backlog', () => {
    const handled: number[] = [];
    const budget = new TurnBudget((_peer, bytes) => handled.push(bytes[0]!), { perTurn: 1, backlog: 3 });
    for (let i = 0; i < 10; i++) budget.receive('a', datagram(i));
    expect(handled).toEqual([0]);
    expect(budget.stats).toEqual({ deferred: 3, dropped: 6 });
  });

  it('handles nothing held back once cleared', async () => {
    const handled: number[] = [];
    const budget = new TurnBudget((_peer, bytes) => handled.push(bytes[0]!), { perTurn: 1 });
    for (let i = 0; i < 3; i++) budget.receive('a', datagram(i));
    budget.clear();
    await nextTurn();
    await nextTurn();
    expect(handled).toEqual([0]);
  });
});

describe('GameServer over UDP under a flood (loopback)', () => {
  const aead = aeadFromNodeCrypto(nodeCrypto);
  const channels: ChannelConfig[] = [{ kind: 'reliable-ordered' }];
  let server: GameServer | undefined;
  const clients: GameClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await server?.stop();
    server = undefined;
  });

  it("bounds a flooding client's datagrams per turn, drops and counts its excess, and serves another client ahead of it", async () => {
    const FLOOD = 100;
    const game = new GameServer({
      protocolId: 7,
      privateKey: new Uint8Array(32).fill(3),
      aead,
      transports: [new UdpServerTransport()],
      channels,
      turnBudget: { perTurn: 2, backlog: 16 },
    });
    server = game;
    const [address] = await game.start();
    const sessions = new Map<string, string>(); // session → client id
    game.onConnect = ({ session, clientId }) => sessions.set(session, clientId);
    const floodSeen: number[] = [];
    let floodSeenWhenProbed: number | undefined;
    game.onMessage = (session, channel, bytes) => {
      if (sessions.get(session) === 'flooder') floodSeen.push(bytes[0]!);
      else {
        floodSeenWhenProbed = floodSeen.length;
        game.send(session, channel, bytes);
      }
    };
    const connect = async (clientId: string) => {
      const client = new GameClient({
        transport: new UdpClientTransport(),
        token: game.issueToken({ clientId, expiresInMs: 10_000 }),
        channels,
        aead,
      });
      clients.push(client);
      await client.connect(address!);
      return client;
    };
    const flooder = await connect('flooder');
    const probe = await connect('probe');
    let echoed = false;
    probe.onMessage = () => {
      echoed = true;
    };

    // One datagram per message, all in the server's socket before the probe's.
    for (let i = 0; i < FLOOD; i++) {
      flooder.send(0, Uint8Array.of(i));
      flooder.flush();
    }
    probe.send(0, Uint8Array.of(200));
    probe.flush();

    await waitFor(() => echoed);
    // The probe's message was handled while most of the flood, read before it, was still held back.
    expect(floodSeenWhenProbed).toBeLessThan(FLOOD / 2);
    expect(game.heldBack.deferred).toBeGreaterThan(0);
    expect(game.heldBack.dropped).toBeGreaterThan(0);
    // Dropped, not lost: the flooder's reliable channel resends, and it stays connected.
    await waitFor(() => floodSeen.length === FLOOD);
    expect(floodSeen).toEqual(Array.from({ length: FLOOD }, (_, i) => i));
    expect(flooder.state).toBe('connected');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
