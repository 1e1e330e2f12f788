/** The Colyseus server for the room: `npx tsx server.ts 2567`. */
import { Server } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { DiceRoom } from './room.js';

export async function listen(port: number): Promise<Server> {
  const server = new Server({ transport: new WebSocketTransport() });
  server.define('dice', DiceRoom);
  await server.listen(port, '127.0.0.1');
  return server;
}

if (process.argv[1] === import.meta.filename) await listen(Number(process.argv[2] ?? 2567));
