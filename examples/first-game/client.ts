/** A player in Node: `npx tsx client.ts http://127.0.0.1:8080`. Rolls three dice and watches its score. */
import { ShardlineClient } from '@shardline/client';
import { dice, Player } from './game.js';

const client = new ShardlineClient(process.argv[2] ?? 'http://127.0.0.1:8080');
const world = await client.join(dice);

let rolled = 0;
for (const sides of [6, 12, 20]) rolled += (await world.rpc.roll({ sides })).value;
console.log(`rolled ${rolled} in world ${world.id}`);

// The score is state the server replicates: wait until this player's entity shows the total.
await new Promise<void>((resolve) => {
  const check = () => {
    const me = world.me(Player);
    if (me && me.state.score === rolled) resolve();
  };
  world.onSnapshot = check;
  check();
});
console.log(`${world.me(Player)!.state.name} scored ${rolled}`);
await world.leave();
