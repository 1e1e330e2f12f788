import type { ServerMeasurement } from './probe.js';
import type { WorldCounters } from './shardline-server.js';

/** Messages between the runner and its two child processes (server, bots), over Node's IPC channel. */
export type RunnerMessage =
  /** `tokens`: what each of the bots joins with (see StartedServer); `firstBot`: the first one's index. */
  | { type: 'connect'; address: string; bots: number; tokens: string[]; firstBot: number }
  | { type: 'start' }
  | { type: 'stop' };

export interface BotMeasurement {
  /** Bots still connected at the end of the window. */
  connected: number;
  /** Bytes the bots' sockets read in the window (TCP payload: WebSocket frames and all). */
  bytesRead: number;
  /** State messages the bots received in the window. */
  messages: number;
  /** Mean entities a bot held at the end of the window. */
  meanEntitiesHeld: number;
  seconds: number;
  /** CPU the bots process used in the window, % of one core (it shares the machine with the server). */
  cpuPercent: number;
}

export type ChildMessage =
  | { type: 'ready'; address: string; tokens: string[] }
  | { type: 'connected'; bots: number; failed: number }
  /** `world`: what the world says it sent in the window (null where it cannot say). */
  | { type: 'server-measured'; measurement: ServerMeasurement; world: WorldCounters | null }
  | { type: 'bots-measured'; measurement: BotMeasurement };

/** Sends to the parent process (children only). */
export function tellParent(message: ChildMessage): void {
  process.send!(message);
}
