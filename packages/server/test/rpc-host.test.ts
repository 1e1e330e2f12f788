/** RPC in a world instance, over WebSocket and over lossy UDP: calls, events naming their sender, floods. */
import type { JoinedWorld } from '@shardline/client';
import {
  ConditionedClientTransport,
  ConditionedServerTransport,
  type DisconnectReason,
  defineEntity,
  defineRpcs,
  defineWorld,
  event,
  rpc,
  serveWorld,
  t,
  UdpServerTransport,
  WebSocketServerTransport,
  type WorldInstance,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { joinWith, startWorldServer, type WorldServerHandle, waitFor } from './support/world-server.js';

const Marker = defineEntity('Marker', { n: t.u8() });
const shop = defineRpcs({
  buy: rpc({
    params: { item: t.enum(['sword', 'shield'] as const), count: t.int({ min: 1, max: 10 }) },
    reply: { gold: t.u16() },
    rate: { perSecond: 50, burst: 50 },
  }),
  wave: event({ params: { at: t.i16() } }),
});
const market = defineWorld('market', { entities: [Marker], rpc: shop });

const running: WorldServerHandle[] = [];
const joined: JoinedWorld<typeof market>[] = [];
afterEach(async () => {
  await Promise.all(joined.splice(0).map((world) => world.leave()));
  for (const handle of running.splice(0)) await handle.stop();
});

/** The market over `lossy` UDP or plain WebSocket: one gold purse for everyone, every wave heard. */
async function start(lossy: boolean) {
  const heard: string[] = [];
  const served = serveWorld(
    market,
    () => {
      let gold = 100;
      return {
        rpc: {
          buy: ({ item, count }) => {
            gold -= count * (item === 'sword' ? 10 : 5);
            return { gold: Math.max(0, gold) };
          },
        },
        events: { wave: ({ at }, { player }) => heard.push(`server: ${player.seat} ${at}`) },
      };
    },
    { rpcLimits: { abuse: { rejections: 50, windowMs: 5_000 } } },
  );
  const udp = new UdpServerTransport({ port: 0 });
  const handle = await startWorldServer({
    worlds: [served],
    transports: [
      lossy ? new ConditionedServerTransport(udp, { latencyMs: 30, lossPercent: 10 }) : udp,
      new WebSocketServerTransport({ port: 0 }),
    ],
  });
  running.push(handle);
  return { handle, heard, instance: (): WorldInstance => handle.runtime.all()[0]! };
}

let clients = 0;
async function join(started: Awaited<ReturnType<typeof start>>, lossy: boolean) {
  const clientId = `c${++clients}`;
  const world = await joinWith(
    started.handle,
    market,
    started.handle.runtime.joinOrCreate('market', { clientId }),
    {
      clientId,
      udp: lossy,
      ...(lossy
        ? { wrap: (base) => new ConditionedClientTransport(base, { latencyMs: 30, lossPercent: 10 }) }
        : {}),
    },
  );
  const reasons: DisconnectReason[] = [];
  world.onLeave = (reason) => reasons.push(reason);
  joined.push(world);
  return { world, reasons };
}

describe.each([
  ['WebSocket', false],
  ['UDP at 30 ms and 10% loss', true],
] as const)('RPC in a world instance over %s', (_name, lossy) => {
  it('answers calls and relays events naming their sender', async () => {
    const started = await start(lossy);
    const alice = await join(started, lossy);
    const bob = await join(started, lossy);
    await expect(alice.world.rpc.buy({ item: 'sword', count: 2 })).resolves.toEqual({ gold: 80 });
    await expect(bob.world.rpc.buy({ item: 'shield', count: 4 })).resolves.toEqual({ gold: 60 });

    bob.world.on(shop.definitions.wave, (params, info) =>
      started.heard.push(`bob: ${info.sender} ${params.at}`),
    );
    alice.world.emit(shop.definitions.wave, { at: -3 }, { broadcast: true });
    await waitFor(() => started.heard.length === 2);
    expect(started.heard.sort()).toEqual([`bob: ${alice.world.seat} -3`, `server: ${alice.world.seat} -3`]);
    expect(started.instance().router!.stats(alice.world.seat)).toEqual({ calls: 2, rejected: {} });
  });

  it('disconnects a flooding client as misbehaving while another keeps calling', async () => {
    const started = await start(lossy);
    const flooder = await join(started, lossy);
    const honest = await join(started, lossy);
    for (let i = 0; i < 2_000; i++) flooder.world.rpc.buy({ item: 'sword', count: 1 }).catch(() => {});
    await expect(honest.world.rpc.buy({ item: 'shield', count: 1 })).resolves.toMatchObject({});
    await waitFor(() => flooder.reasons.length > 0);
    expect(flooder.reasons).toEqual(['misbehaving']);
    await expect(honest.world.rpc.buy({ item: 'shield', count: 1 })).resolves.toMatchObject({});
  });
});
