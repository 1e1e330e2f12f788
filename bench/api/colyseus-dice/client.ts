/** A player in Node: `npx tsx client.ts ws://127.0.0.1:2567`. Rolls three dice and watches its score. */
import { Client, getStateCallbacks } from 'colyseus.js';
import type { DiceRoom } from './room.js';

const client = new Client(process.argv[2] ?? 'ws://127.0.0.1:2567');
const room = await client.joinOrCreate<DiceRoom['state']>('dice');

// A request with a reply: Colyseus messages have none, so replies are matched to requests in order.
const waiting: ((value: number) => void)[] = [];
room.onMessage('rolled', ({ value }: { value: number }) => waiting.shift()?.(value));
const roll = (sides: number) =>
  new Promise<number>((resolve) => {
    waiting.push(resolve);
    room.send('roll', { sides });
  });

let rolled = 0;
for (const sides of [6, 12, 20]) rolled += await roll(sides);
console.log(`rolled ${rolled} in room ${room.roomId}`);

// The score is state the server replicates: wait until this player's entry shows the total.
const $ = getStateCallbacks(room);
await new Promise<void>((resolve) => {
  $(room.state).players.onAdd((player, sessionId) => {
    if (sessionId !== room.sessionId) return;
    $(player).listen('score', (score) => {
      if (score === rolled) resolve();
    });
  });
});
console.log(`${room.sessionId} scored ${rolled}`);
await room.leave();
