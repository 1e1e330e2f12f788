/**
 * bench:rpc's server process: `server.ts <udp|websocket> <tokens> [sustained]`. Answers `use` with
 * its seq. `sustained`: nobody is disconnected for misbehaving, so a flood lasts as long as it is sent.
 */
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import {
  GameServer,
  serveWorld,
  UdpServerTransport,
  WebSocketServerTransport,
  WORLD_CHANNELS,
  WorldRuntime,
} from '@shardline/server';
import { aead, bench, PROTOCOL_ID, type ToChild, type TransportKind, tellParent } from './protocol.js';

const [kind, tokenCount, mode] = process.argv.slice(2) as [TransportKind, string, string?];
const abuse = mode === 'sustained' ? { abuse: { rejections: Number.MAX_SAFE_INTEGER, windowMs: 1 } } : {};
const server = new GameServer({
  protocolId: PROTOCOL_ID,
  privateKey: new Uint8Array(32).fill(9),
  aead,
  transports: [kind === 'udp' ? new UdpServerTransport() : new WebSocketServerTransport()],
  channels: WORLD_CHANNELS,
  maxClients: 64,
});
const kicked: string[] = [];
const served = serveWorld(
  bench,
  () => ({
    rpc: { use: (params) => ({ ok: params.slot < 5, seq: params.seq }), note: () => {} },
    leave: (player, reason) => kicked.push(`${player.seat} ${reason}`),
  }),
  // The router's defaults, except that one client may make a million calls a second in all (the
  // throughput test's client calls as fast as it can; `use` allows as much, `note` 30 a second).
  { rpcLimits: { clientRate: { perSecond: 1e6, burst: 1e6 }, ...abuse } },
);
// Tokens handed out at start and used minutes later: the seats they reserve wait that long.
const runtime = new WorldRuntime({
  server,
  worlds: [served],
  reservationMs: 600_000,
  connectionTimeoutMs: 10_000,
});
const [address] = await server.start();
runtime.start();
const world = runtime.create(bench.name);
const tokens = Array.from({ length: Number(tokenCount) }, (_, i) =>
  Buffer.from(runtime.ticket(world, { clientId: `c${i}` }).token).toString('base64'),
);
tellParent({ type: 'ready', address: address!, tokens });
let window = { cpu: process.cpuUsage(), at: process.hrtime.bigint() };
/** How late the event loop comes back to a 1 ms timer: the longest turns, from start to stop. */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
/** Garbage-collection pauses from start to stop: their sum and the longest, ms. */
const gc = { totalMs: 0, maxMs: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
});
process.on('message', async (message: ToChild) => {
  if (message.type === 'start') {
    window = { cpu: process.cpuUsage(), at: process.hrtime.bigint() };
    loopDelay.enable();
    gcObserver.observe({ entryTypes: ['gc'] });
  } else if (message.type === 'stop') {
    loopDelay.disable();
    gcObserver.disconnect();
    const cpu = process.cpuUsage(window.cpu);
    const seconds = Number(process.hrtime.bigint() - window.at) / 1e9;
    tellParent({
      type: 'server-stats',
      cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
      heldBack: server.heldBack,
      gcTotalMs: gc.totalMs,
      gcMaxMs: gc.maxMs,
      kicked,
    });
    runtime.stop();
    await server.stop();
    process.exit(0);
  }
});
