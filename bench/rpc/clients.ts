/**
 * bench:rpc's client processes: `clients.ts <udp|websocket> <role> [count]`.
 * - throughput: one client; sequential calls (one in flight) for a while, then 64 in flight.
 * - probe: `count` clients, each calling every 10 ms and timing the round trip, until stopped.
 * - flood: one client that, told to, calls as fast as asked (paced every 1 ms) until the server drops it.
 */
import { GameClient, JoinedWorld, WebSocketClientTransport, WORLD_CHANNELS } from '@shardline/client';
import { UdpClientTransport } from '@shardline/client/node';
import { aead, bench, type ToChild, type TransportKind, tellParent } from './protocol.js';

const [kind, role, countArg] = process.argv.slice(2) as [
  TransportKind,
  'throughput' | 'probe' | 'flood',
  string?,
];
const THROUGHPUT_SECONDS = Number(process.env.SL_SECONDS ?? 5);

interface Joined {
  rpc: JoinedWorld<typeof bench>['rpc'];
  disconnected: () => string | undefined;
}

/** Joins the bench world with a token the server handed out (no rejoin: a dropped client stays dropped). */
async function join(address: string, token: string): Promise<Joined> {
  let reason: string | undefined;
  const world = await JoinedWorld.open({
    kind: bench,
    world: { id: '', kind: bench.name },
    rejoinWithinMs: 0,
    replyTimeoutMs: 10_000,
    connect: async () => {
      const client = new GameClient({
        transport: kind === 'udp' ? new UdpClientTransport() : new WebSocketClientTransport(),
        token: Buffer.from(token, 'base64'),
        channels: WORLD_CHANNELS,
        aead,
      });
      await client.connect(address);
      return client;
    },
  });
  world.onLeave = (why) => {
    reason = why;
  };
  return { rpc: world.rpc, disconnected: () => reason };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let seq = 0;
const call = (rpc: Joined['rpc']) => rpc.use({ slot: seq % 10, x: (seq % 2000) - 1000, seq: seq++ });

async function throughput(joined: Joined): Promise<void> {
  const sequential: number[] = [];
  const until = Date.now() + THROUGHPUT_SECONDS * 1000;
  while (Date.now() < until) {
    const started = performance.now();
    await call(joined.rpc);
    sequential.push(performance.now() - started);
  }
  let done = 0;
  const start = performance.now();
  const end = start + THROUGHPUT_SECONDS * 1000;
  const lane = async () => {
    while (performance.now() < end) {
      await call(joined.rpc);
      done++;
    }
  };
  await Promise.all(Array.from({ length: 64 }, lane));
  tellParent({
    type: 'throughput',
    sequential,
    pipelinedCallsPerSecond: done / ((performance.now() - start) / 1000),
  });
}

let stopped = false;
const samples: { atMs: number; rttMs: number }[] = [];

async function probe(joined: Joined): Promise<void> {
  while (!stopped) {
    const atMs = Date.now();
    const started = performance.now();
    await call(joined.rpc);
    samples.push({ atMs, rttMs: performance.now() - started });
    await sleep(Math.max(0, 10 - (performance.now() - started)));
  }
}

async function flood(joined: Joined, perSecond: number): Promise<void> {
  const started = Date.now();
  let sent = 0;
  while (!stopped && joined.disconnected() === undefined && Date.now() - started < 10_000) {
    const due = Math.floor(((Date.now() - started) / 1000) * perSecond);
    try {
      for (; sent < due; sent++) joined.rpc.note({ seq: sent });
    } catch {
      break; // the connection went away mid-burst
    }
    // Paced by a 1 ms timer, not spinning on setImmediate: the same calls a second, without a
    // flooding process that burns a core of the server's two while it has nothing to send.
    await sleep(1);
  }
  const reason = joined.disconnected();
  tellParent({
    type: 'flooded',
    sent,
    disconnectedAfterMs: reason ? Date.now() - started : undefined,
    reason,
  });
}

let joined: Joined[] = [];
process.on('message', async (message: ToChild) => {
  if (message.type === 'connect') {
    joined = await Promise.all(
      message.tokens.slice(0, Number(countArg ?? 1)).map((token) => join(message.address, token)),
    );
    tellParent({ type: 'connected' });
  } else if (message.type === 'start') {
    if (role === 'throughput') await throughput(joined[0]!);
    if (role === 'probe') for (const one of joined) void probe(one);
  } else if (message.type === 'flood') {
    await flood(joined[0]!, message.perSecond);
  } else if (message.type === 'stop') {
    stopped = true;
    if (role === 'probe') {
      await sleep(50);
      tellParent({ type: 'probed', samples });
    }
    setTimeout(() => process.exit(0), 100);
  }
});
