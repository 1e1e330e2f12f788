/** The first game (examples/first-game) as a Colyseus 0.16 room: the same state, the same roll with a reply. */
import { type Client, Room } from '@colyseus/core';
import { schema } from '@colyseus/schema';

export const Player = schema({ name: 'string', score: 'number' }, 'Player');
export const DiceState = schema({ players: { map: Player } }, 'DiceState');

export class DiceRoom extends Room<InstanceType<typeof DiceState>> {
  override maxClients = 8;

  override onCreate(): void {
    this.setState(new DiceState());
    this.onMessage('roll', (client, message: { sides?: unknown }) => {
      const sides = message?.sides;
      // What Shardline's declared range checks: a whole number of sides, 2–20.
      if (typeof sides !== 'number' || !Number.isInteger(sides) || sides < 2 || sides > 20) return;
      const value = 1 + Math.floor(Math.random() * sides);
      this.state.players.get(client.sessionId)!.score += value;
      client.send('rolled', { value });
    });
  }

  override onJoin(client: Client): void {
    const player = new Player();
    player.name = client.sessionId;
    player.score = 0;
    this.state.players.set(client.sessionId, player);
  }

  override onLeave(client: Client): void {
    this.state.players.delete(client.sessionId);
  }
}
