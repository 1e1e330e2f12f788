import { defineEntity, encodeInputs, t } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { SeatInputs } from '../src/worlds/seat-inputs.js';

const Stick = defineEntity('Stick', { x: t.u16() });
const message = (sequence: number, x: number) => encodeInputs(Stick, sequence, [Stick.create({ x })]);

/** SeatInputs with depth 1 and seats that each sent input 0 (x = their index). */
function seated(seats: string[]): SeatInputs {
  const inputs = new SeatInputs(Stick, 1);
  seats.forEach((seat, i) => {
    inputs.add(seat);
    inputs.receive(seat, message(0, i));
  });
  return inputs;
}

describe('seat inputs', () => {
  it('hands each seat its input in the order seats came, and acknowledges what was applied', () => {
    const inputs = seated(['a', 'b', 'c']);
    const applied: string[] = [];
    inputs.tick((seat, input) => applied.push(`${seat}:${input.x}`));
    expect(applied).toEqual(['a:0', 'b:1', 'c:2']);
    inputs.acknowledge(7);
    const acks: string[] = [];
    inputs.sendAcks((seat) => acks.push(seat));
    expect(acks).toEqual(['a', 'b', 'c']);
  });

  it('skips a seat removed or restarted by a handler during the tick, as iterating a Map would', () => {
    const inputs = seated(['a', 'b', 'c', 'd']);
    const applied: string[] = [];
    inputs.tick((seat) => {
      applied.push(seat);
      if (seat === 'a') {
        inputs.remove('b'); // gone before its turn
        inputs.restart('c'); // a new, empty queue: nothing due yet
        inputs.add('e'); // came during the tick: nothing due yet either
      }
    });
    expect(applied).toEqual(['a', 'd']);
    inputs.receive('e', message(0, 9));
    inputs.receive('c', message(0, 3));
    applied.length = 0;
    inputs.tick((seat, input) => applied.push(`${seat}:${input.x}`));
    expect(applied).toEqual(['c:3', 'e:9']); // c kept its place; b is gone
    inputs.acknowledge(1);
    const acks: string[] = [];
    inputs.sendAcks((seat) => acks.push(seat));
    expect(acks).toEqual(['a', 'c', 'd', 'e']);
  });

  it('hands out each noted ack once, the newest per seat; a removed seat’s goes nowhere, a restarted one’s still goes', () => {
    const inputs = seated(['a', 'b', 'c']);
    inputs.tick(() => {});
    inputs.acknowledge(3);
    inputs.acknowledge(6); // two send ticks in one update (catching up): the newest wins
    inputs.remove('b');
    inputs.restart('c');
    const acks: string[] = [];
    inputs.sendAcks((seat, ack) => acks.push(`${seat}@${ack[0]}`));
    expect(acks).toEqual(['a@6', 'c@6']);
    inputs.sendAcks((seat) => acks.push(seat));
    expect(acks).toHaveLength(2); // handed out already
  });
});
