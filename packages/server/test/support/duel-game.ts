/** A small two-seat world kind for the runtime's tests: ships moved by input, an RPC with a reply, an event. */
import { defineEntity, defineRpcs, defineWorld, type EntityId, event, rpc, t } from '@shardline/core';
import { type Player, serveWorld } from '@shardline/server';

export const Ship = defineEntity('Ship', {
  x: t.quantized({ min: -100, max: 100, precision: 0.01, outOfRange: 'clamp' }),
  hp: t.int({ min: 0, max: 100 }),
});
export const Stick = defineEntity('Stick', { dx: t.int({ min: -1, max: 1 }) });
export const duelRpcs = defineRpcs({
  echo: rpc({ params: { n: t.u16() }, reply: { n: t.u16(), seat: t.string({ maxBytes: 16 }) } }),
  boom: event({ params: { by: t.string({ maxBytes: 16 }) } }),
});
export const duel = defineWorld('duel', {
  entities: [Ship],
  rpc: duelRpcs,
  input: Stick,
  tickHz: 20,
  sendHz: 10,
  maxPlayers: 2,
});
/** Units a ship moves per tick at full stick. */
export const SPEED = 1;

/** The server side: a ship per player (hp 100), moved by its input; `echo` answers with the caller's seat. */
export const duelServer = serveWorld(duel, (world) => {
  const ships = new Map<Player, EntityId<typeof Ship>>();
  const x = new Map<Player, number>();
  return {
    join(player) {
      ships.set(player, world.spawn(Ship, { hp: 100 }, { owner: player }));
      x.set(player, 0);
    },
    leave(player) {
      world.despawn(ships.get(player)!);
      ships.delete(player);
    },
    input(player, stick) {
      const next = (x.get(player) ?? 0) + stick.dx * SPEED;
      x.set(player, next);
      world.set(ships.get(player)!, { x: next });
    },
    rpc: {
      echo: ({ n }, { player }) => {
        world.broadcast(duelRpcs.definitions.boom, { by: player.seat });
        return { n, seat: player.seat };
      },
    },
  };
});
