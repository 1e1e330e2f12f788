import * as nodeCrypto from 'node:crypto';
import { aeadFromNodeCrypto, defineEntity, defineRpcs, defineWorld, rpc, t } from '@shardline/core';

/** What bench:rpc's clients and server share. */
export const aead = aeadFromNodeCrypto(nodeCrypto);
export const PROTOCOL_ID = 0x49c;
export const Nothing = defineEntity('Nothing', { n: t.u8() });

/** A call as a game would make one: a few bounded numbers in, a small reply out. */
export const catalog = defineRpcs({
  use: rpc({
    params: {
      slot: t.int({ min: 0, max: 9 }),
      x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
      seq: t.u32(),
    },
    reply: { ok: t.bool(), seq: t.u32() },
    delivery: 'reliable-unordered',
    rate: { perSecond: 1e6, burst: 1e6 },
  }),
  /** What the flooding client sends: no reply, the router's default rate (30 a second). */
  note: rpc({ params: { seq: t.u32() } }),
});
/** The world every client joins: nothing in it but the calls. */
export const bench = defineWorld('rpc-bench', { entities: [Nothing], rpc: catalog, maxPlayers: 64 });

export type TransportKind = 'udp' | 'websocket';

/** Messages between the runner and its children. */
export type ToChild =
  | { type: 'connect'; address: string; tokens: string[] }
  | { type: 'start' }
  | { type: 'flood'; perSecond: number }
  | { type: 'stop' };

export type FromChild =
  | { type: 'ready'; address: string; tokens: string[] }
  | { type: 'connected' }
  | { type: 'throughput'; sequential: number[]; pipelinedCallsPerSecond: number }
  | { type: 'probed'; samples: { atMs: number; rttMs: number }[] }
  | { type: 'flooded'; sent: number; disconnectedAfterMs: number | undefined; reason: string | undefined }
  | {
      type: 'server-stats';
      cpuPercent: number;
      /** The server's event-loop delay over the window (a 1 ms timer's lateness), ms. */
      loopDelayP99Ms: number;
      loopDelayMaxMs: number;
      /** Datagrams the server's turn budget deferred or dropped (UDP only). */
      heldBack: { deferred: number; dropped: number };
      /** Garbage-collection pauses over the window: their sum and the longest, ms. */
      gcTotalMs: number;
      gcMaxMs: number;
      kicked: string[];
    };

export function tellParent(message: FromChild): void {
  process.send!(message);
}
