/**
 * bench:rpc's server process: `server.ts <udp|websocket> <tokens> [sustained]`. Answers `use` with
 * its seq. `sustained`: nobody is disconnected for misbehaving, so a flood lasts as long as it is sent.
 */
import {
  GameServer,
  ServerWorld,
  UdpServerTransport,
  WebSocketServerTransport,
  WorldHost,
} from '@shardline/server';
import {
  aead,
  CHANNELS,
  catalog,
  Nothing,
  PROTOCOL_ID,
  RPC_CHANNELS,
  type ToChild,
  type TransportKind,
  tellParent,
} from './protocol.js';

const [kind, tokenCount, mode] = process.argv.slice(2) as [TransportKind, string, string?];
const abuse = mode === 'sustained' ? { abuse: { rejections: Number.MAX_SAFE_INTEGER, windowMs: 1 } } : {};
const server = new GameServer({
  protocolId: PROTOCOL_ID,
  privateKey: new Uint8Array(32).fill(9),
  aead,
  transports: [kind === 'udp' ? new UdpServerTransport() : new WebSocketServerTransport()],
  channels: CHANNELS,
  maxClients: 64,
});
const world = new ServerWorld({ schemas: [Nothing], tickHz: 30 }, Date.now());
const host = new WorldHost({
  server,
  world,
  controlChannel: 0,
  snapshotChannel: 1,
  ackChannel: 2,
  // The router's defaults, except that one client may make a million calls a second in all (the
  // throughput test's client calls as fast as it can; `use` allows as much, `note` 30 a second).
  rpc: { catalog, channels: RPC_CHANNELS, limits: { clientRate: { perSecond: 1e6, burst: 1e6 }, ...abuse } },
});
host.rpc!.handle(catalog.definitions.use, (params) => ({ ok: params.slot < 5, seq: params.seq }));
host.rpc!.handle(catalog.definitions.note, () => {});
const kicked: string[] = [];
host.onLeave = (seat, reason) => kicked.push(`${seat} ${reason}`);
const [address] = await server.start();
host.start();
const tokens = Array.from({ length: Number(tokenCount) }, (_, i) =>
  Buffer.from(server.issueToken({ clientId: `c${i}`, expiresInMs: 600_000, timeoutMs: 10_000 })).toString(
    'base64',
  ),
);
tellParent({ type: 'ready', address: address!, tokens });
let window = { cpu: process.cpuUsage(), at: process.hrtime.bigint() };
process.on('message', async (message: ToChild) => {
  if (message.type === 'start') {
    window = { cpu: process.cpuUsage(), at: process.hrtime.bigint() };
  } else if (message.type === 'stop') {
    const cpu = process.cpuUsage(window.cpu);
    const seconds = Number(process.hrtime.bigint() - window.at) / 1e9;
    tellParent({ type: 'server-stats', cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100, kicked });
    host.stop();
    await server.stop();
    process.exit(0);
  }
});
