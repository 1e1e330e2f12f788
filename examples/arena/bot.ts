/** The arena's headless player, for `shardline bots --bot ./examples/arena/bot.ts`: walks, shoots. */
import { InputStream } from '@shardline/client';
import type { ShardlineBot } from '@shardline/server';
import { joinArena } from './client.js';
import { ARENA, ARENA_CHANNELS, INPUT_CHANNEL, Stick, TICK_HZ } from './game.js';

export const bot: ShardlineBot = {
  channels: ARENA_CHANNELS,
  async join(client, address) {
    const { world, worldClient, fighters } = await joinArena(client, address);
    const stream = new InputStream(Stick, 4);
    let waypoint = { x: (Math.random() - 0.5) * ARENA * 2, y: (Math.random() - 0.5) * ARENA * 2 };
    let lastShotMs = 0;
    const counters = { shots: 0, hits: 0 };
    return {
      frame(nowMs) {
        if (client.state !== 'connected' || worldClient.seat === undefined) return;
        const me = fighters().find((state) => state.seat === worldClient.seat);
        if (!me) return;
        const x = me.x as number;
        const y = me.y as number;
        if (Math.hypot(waypoint.x - x, waypoint.y - y) < 1) {
          waypoint = { x: (Math.random() - 0.5) * ARENA * 2, y: (Math.random() - 0.5) * ARENA * 2 };
        }
        const sign = (v: number) => (Math.abs(v) < 0.5 ? 0 : Math.sign(v));
        stream.push({ dx: sign(waypoint.x - x), dy: sign(waypoint.y - y) });
        client.send(INPUT_CHANNEL, stream.message()!, 'unreliable');
        if (nowMs - lastShotMs < 1_000) return;
        const target = fighters()
          .filter((state) => state.seat !== worldClient.seat)
          .sort(
            (a, b) =>
              Math.hypot((a.x as number) - x, (a.y as number) - y) -
              Math.hypot((b.x as number) - x, (b.y as number) - y),
          )[0];
        if (!target) return;
        const toward = { x: (target.x as number) - x, y: (target.y as number) - y };
        const length = Math.hypot(toward.x, toward.y);
        if (length < 0.1) return;
        lastShotMs = nowMs;
        counters.shots++;
        worldClient
          .rpc!.call.fire({
            renderTimeMs: world.tick * (1000 / TICK_HZ),
            dx: toward.x / length,
            dy: toward.y / length,
          })
          .then((reply) => {
            if (reply.victim !== '') counters.hits++;
          })
          .catch(() => {});
      },
      counters: () => ({ ...counters }),
    };
  },
};
