/**
 * Where a Shardline fan-out server's time goes, in one process (experiments, not a gate):
 * `npx tsx --conditions=shardline-source bench/fanout/split.ts [everyone|interest|rooms] [clients]`.
 *
 * The benchmark's worlds in a WorldRuntime over a GameServer (fanoutRuntime), with clients as
 * sans-IO ClientConnections in this process (through the real handshake and hello; afterwards they
 * send only keepalives), the runtime updated once per tick and connections as the GameServer's own
 * timer asks. Prints time per client snapshot message, µs: the rooms' updates (CPU, user + system),
 * split into the connection layer and transport send (the wall time inside GameServer's send,
 * sendTo and sendToEach, and the pass at the end of sendTogether: sessions, reliable endpoint,
 * Message packets, the transport) and the rest (the worlds: simulation, snapshots, encoding, the
 * instance's loop); then the connection updates and the clients' packets in (CPU).
 *
 * By default the transport drops what it is given and the clock is simulated (fast, no sockets).
 * SL_SOCKETS=1 uses the WebSocket transport instead, with a reader process (split-reader.ts) that
 * discards what it reads, in real time: the send path then includes framing, Node's stream and the
 * socket write; a second phase sends a buffer of the same size with `ws`'s own send to as many
 * connections of a plain `ws` server, the floor of what any server built on `ws` pays per message.
 * SL_CPU_PROFILE=file writes a V8 CPU profile of the measured ticks there.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ClientConnection,
  encodeSeatMessage,
  type LinkCloseReason,
  type ServerTransport,
  WebSocketServerTransport,
  WORLD_CHANNEL,
  WORLD_CHANNELS,
} from '@shardline/server';
import { type WebSocket, WebSocketServer } from 'ws';
import { botsOf, roomOf, TICK_HZ, variantNamed } from './scenario.js';
import { fanoutRuntime, fanoutServer } from './shardline-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const variant = variantNamed(process.argv[2] ?? 'everyone');
const CLIENTS = Number(process.argv[3] ?? botsOf(variant, 500));
const SOCKETS = process.env.SL_SOCKETS === '1';
const WARMUP_TICKS = 100;
const MEASURED_TICKS = SOCKETS ? 200 : 400;
const TICK_MS = 1000 / TICK_HZ;
/** How often each client's connection is updated (the bots' BOT_TICK_MS), in steps of STEP_MS. */
const CLIENT_TICK_MS = 50;
const STEP_MS = 5;

/** A reliable stream transport that drops what it is given. */
class DroppingTransport implements ServerTransport {
  readonly capabilities = {
    kind: 'websocket',
    reliable: true,
    ordered: true,
    maxDatagramBytes: 1 << 20,
  } as const;
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  async listen(): Promise<string> {
    return 'ws://nowhere/';
  }
  send(): boolean {
    return true;
  }
  disconnect(): void {}
  async close(): Promise<void> {}
}

/** Forks split-reader.ts on `url` with `count` connections; resolves once they are all open. */
async function reader(url: string, count: number): Promise<ChildProcess> {
  const child = fork(join(HERE, 'split-reader.ts'), [url, String(count)], { execArgv: ['--import', 'tsx'] });
  await new Promise((resolve) => child.once('message', resolve));
  return child;
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// The clock: simulated without sockets (each step is STEP_MS later, timers never fire), real with them.
let nowMs = Date.now();
const realNow = Date.now;
if (!SOCKETS) Date.now = () => nowMs; // the runtime and server read the clock through Date.now

const transport: ServerTransport = SOCKETS ? new WebSocketServerTransport() : new DroppingTransport();
const server = fanoutServer(transport, CLIENTS);
const { kind, runtime, rooms } = fanoutRuntime(variant, server);
// Tokens with a long timeout: the clients here hear nothing back once seated, yet must not time out.
const tokenFor = (bot: number) =>
  server.issueToken({
    clientId: `bot-${bot}`,
    world: rooms[roomOf(variant, bot)]!.id,
    expiresInMs: 600_000,
    timeoutMs: 600_000,
  });
const [address] = await server.start();

// The peers: with sockets, the reader's connections, each known by the one-byte frame it sends.
const peers: string[] = [];
const readers: ChildProcess[] = [];
if (SOCKETS) {
  const serverReceive = transport.onDatagram!;
  transport.onDatagram = (peer, datagram) => {
    if (datagram.length === 1 && !peers.includes(peer)) peers.push(peer);
    else serverReceive(peer, datagram);
  };
  readers.push(await reader(address!, CLIENTS));
  while (peers.length < CLIENTS) await sleep(10);
} else {
  for (let i = 0; i < CLIENTS; i++) peers.push(`peer:${i}`);
}

// Clients connect one by one through the real handshake and hello; meanwhile what the server sends
// them is also handed to them here.
const clients = new Map<string, ClientConnection>();
const transportSend = transport.send.bind(transport);
transport.send = (peer, datagram) => {
  clients.get(peer)?.receive(datagram, nowMs);
  return transportSend(peer, datagram);
};
const pumpClient = (peer: string, client: ClientConnection) => {
  for (const datagram of client.outgoing.splice(0)) transport.onDatagram!(peer, datagram);
};
for (const [i, peer] of peers.entries()) {
  const client = new ClientConnection(
    { token: tokenFor(i), capabilities: transport.capabilities, channels: WORLD_CHANNELS },
    nowMs,
  );
  clients.set(peer, client);
  pumpClient(peer, client);
  const hello = encodeSeatMessage({ type: 'hello', fingerprint: kind.fingerprint, token: undefined });
  client.send(WORLD_CHANNEL.control, hello, nowMs);
  client.update(nowMs);
  pumpClient(peer, client);
}
const seated = rooms.reduce((sum, room) => sum + room.players.size, 0);
if (seated !== CLIENTS) throw new Error(`${seated} of ${CLIENTS} clients seated`);
transport.send = transportSend;
let datagramsOut = 0;
let bytesOut = 0;
transport.send = (peer, datagram) => {
  datagramsOut++;
  bytesOut += datagram.length;
  return transportSend(peer, datagram);
};

// Time spent: the rooms' updates and the connection updates (CPU, µs), the sends (wall, ns).
const spent = { rooms: 0, sendsNs: 0n, connectionUpdates: 0, clientsIn: 0 };
const serverSend = server.send.bind(server);
server.send = (...args: Parameters<typeof server.send>) => {
  const start = process.hrtime.bigint();
  serverSend(...args);
  spent.sendsNs += process.hrtime.bigint() - start;
};
const serverSendTo = server.sendTo.bind(server);
server.sendTo = (...args: Parameters<typeof server.sendTo>) => {
  const start = process.hrtime.bigint();
  serverSendTo(...args);
  spent.sendsNs += process.hrtime.bigint() - start;
};
// Sends inside sendTogether leave at its end: that pass counts as sends too.
const serverSendTogether = server.sendTogether.bind(server);
server.sendTogether = (run: () => void) => {
  const start = process.hrtime.bigint();
  let inRun = 0n;
  serverSendTogether(() => {
    const runStart = process.hrtime.bigint();
    run();
    inRun += process.hrtime.bigint() - runStart;
  });
  spent.sendsNs += process.hrtime.bigint() - start - inRun;
};
const serverSendToEach = server.sendToEach.bind(server);
server.sendToEach = (...args: Parameters<typeof server.sendToEach>) => {
  const start = process.hrtime.bigint();
  const refused = serverSendToEach(...args);
  spent.sendsNs += process.hrtime.bigint() - start;
  return refused;
};
const serverFlush = server.flush.bind(server);
server.flush = () => {
  const start = cpuNow();
  serverFlush();
  spent.connectionUpdates += cpuNow() - start;
};
const timed = (key: 'rooms' | 'clientsIn', run: () => void) => {
  const start = cpuNow();
  run();
  spent[key] += cpuNow() - start;
};

const clientList = peers.map((peer) => [peer, clients.get(peer)!] as const);
async function runFor(ticks: number): Promise<void> {
  const steps = (ticks * TICK_MS) / STEP_MS;
  const per = CLIENT_TICK_MS / STEP_MS;
  for (let step = 1; step <= steps; step++) {
    if (SOCKETS) {
      await sleep(STEP_MS);
      nowMs = realNow();
    } else {
      nowMs += STEP_MS;
    }
    if (step % (TICK_MS / STEP_MS) === 0) timed('rooms', () => runtime.update(nowMs));
    // Each client's connection update, spread over its tick as its timer would be.
    const sending: (typeof clientList)[number][] = [];
    for (let i = step % per; i < clientList.length; i += per) {
      clientList[i]![1].update(nowMs);
      if (clientList[i]![1].outgoing.length > 0) sending.push(clientList[i]!);
    }
    timed('clientsIn', () => {
      for (const [peer, client] of sending) pumpClient(peer, client);
    });
    // The server's own timer at its tickMs, due or not (timers do not run on the simulated clock).
    if (!SOCKETS && step % 2 === 0) server.flush();
  }
}

const totalTicks = () => rooms.reduce((sum, room) => sum + room.tick * room.players.size, 0);
await runFor(WARMUP_TICKS);
spent.rooms = spent.connectionUpdates = spent.clientsIn = 0;
spent.sendsNs = 0n;
const counted = { datagrams: datagramsOut, bytes: bytesOut, messages: totalTicks() };
const profileFile = process.env.SL_CPU_PROFILE;
const profiler = profileFile ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const usageBefore = process.cpuUsage();
await runFor(MEASURED_TICKS);
const usage = process.cpuUsage(usageBefore);
const cpu = usage.user + usage.system;
if (profiler) writeFileSync(profileFile!, JSON.stringify((await profiler.post('Profiler.stop')).profile));

const messages = totalTicks() - counted.messages;
const perMessage = (us: number) => (us / messages).toFixed(2).padStart(6);
const sendsUs = Number(spent.sendsNs) / 1000;
const bytesPerDatagram = (bytesOut - counted.bytes) / (datagramsOut - counted.datagrams);
console.log(
  `${variant.name}, ${CLIENTS} clients in ${rooms.length} rooms, ${SOCKETS ? 'WebSocket transport' : 'dropping transport'}: µs per client snapshot message`,
);
console.log(`  rooms' updates (CPU)                   ${perMessage(spent.rooms)}`);
console.log(`    of it sends: connection layer, transport (wall) ${perMessage(sendsUs)}`);
console.log(`    of it the worlds (the rest)          ${perMessage(spent.rooms - sendsUs)}`);
console.log(`  connection updates (CPU)               ${perMessage(spent.connectionUpdates)}`);
console.log(`  clients' packets in (CPU)              ${perMessage(spent.clientsIn)}`);
console.log(
  `  whole process (with the clients here)  ${perMessage(cpu)} (user ${perMessage(usage.user).trim()}, system ${perMessage(usage.system).trim()})`,
);
console.log(
  `  datagrams out per message ${((datagramsOut - counted.datagrams) / messages).toFixed(3)}, ${bytesPerDatagram.toFixed(1)} bytes each`,
);
await server.stop();

if (SOCKETS) {
  // The floor: the same number of messages of the same size through ws's send, nothing else.
  const plain = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  const sockets: WebSocket[] = [];
  plain.on('connection', (socket) => sockets.push(socket));
  await new Promise((resolve) => plain.once('listening', resolve));
  const { port } = plain.address() as { port: number };
  readers.push(await reader(`ws://127.0.0.1:${port}/`, CLIENTS));
  while (sockets.length < CLIENTS) await sleep(10);
  const payload = Buffer.alloc(Math.round(bytesPerDatagram), 7);
  const start = process.cpuUsage();
  for (let tick = 0; tick < MEASURED_TICKS; tick++) {
    await sleep(TICK_MS);
    for (const socket of sockets) socket.send(payload, { binary: true });
  }
  const floor = process.cpuUsage(start);
  const perFloor = (us: number) => (us / (MEASURED_TICKS * CLIENTS)).toFixed(2);
  console.log(
    `  ws send of a shared buffer, floor      ${perFloor(floor.user + floor.system).padStart(6)} (user ${perFloor(floor.user)}, system ${perFloor(floor.system)})`,
  );
  plain.close();
}
for (const child of readers) child.kill();
process.exit(0);
