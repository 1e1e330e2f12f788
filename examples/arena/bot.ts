/** The arena's headless player, for `shardline bots --bot ./examples/arena/bot.ts`: walks, shoots. */
import type { ShardlineBot } from '@shardline/server';
import { ARENA, arena, Fighter } from './game.js';

const randomPoint = () => ({ x: (Math.random() - 0.5) * ARENA * 2, y: (Math.random() - 0.5) * ARENA * 2 });
const sign = (v: number) => (Math.abs(v) < 0.5 ? 0 : Math.sign(v));

export const bot: ShardlineBot = {
  async join(client) {
    const world = await client.join(arena);
    let waypoint = randomPoint();
    let lastShotMs = 0;
    const counters = { shots: 0, hits: 0 };
    return {
      world,
      frame(nowMs) {
        const me = world.me(Fighter)?.state;
        if (world.state !== 'connected' || !me) return;
        if (Math.hypot(waypoint.x - me.x, waypoint.y - me.y) < 1) waypoint = randomPoint();
        world.sendInput({ dx: sign(waypoint.x - me.x), dy: sign(waypoint.y - me.y) });
        if (nowMs - lastShotMs < 1_000) return;
        const distance = (f: { x: number; y: number }) => Math.hypot(f.x - me.x, f.y - me.y);
        const target = world
          .entities(Fighter)
          .all()
          .filter((fighter) => !world.ownedIds.has(fighter.id))
          .map((fighter) => fighter.state)
          .sort((a, b) => distance(a) - distance(b))[0];
        if (!target || distance(target) < 0.1) return;
        lastShotMs = nowMs;
        counters.shots++;
        world.rpc
          .fire({
            renderTimeMs: world.view.tick * arena.tickMs,
            dx: (target.x - me.x) / distance(target),
            dy: (target.y - me.y) / distance(target),
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
