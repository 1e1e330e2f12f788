/**
 * The arena demo's shared declarations (its world kind), imported by the server, the browser page
 * and the bots:
 * fighters walk a square arena and shoot each other; a hit costs 25 health, a kill scores a point
 * and the victim respawns. Run as a cluster (examples/arena/cluster.json) the arena is two worlds,
 * the Forest and the Caves, each with a portal leading to the other, and a boss lives in the Caves.
 */
import { defineEntity, defineRpcs, defineWorld, event, type Infer, rpc, t } from '@shardline/core';

export const ARENA = 40;
/** Units per ms at full stick. */
export const SPEED = 0.01;
export const HIT_RADIUS = 1;
export const DAMAGE = 25;
/** Longest shot, world units. */
export const RANGE = 30;
/** Shots one fighter may fire per second (the RPC's rate). */
export const SHOTS_PER_SECOND = 4;
/** A fighter whose centre comes this close to a portal's goes through it. */
export const PORTAL_RADIUS = 2.5;
export const BOSS_RADIUS = 2.5;
export const BOSS_HEALTH = 300;

export const Fighter = defineEntity('Fighter', {
  x: t.quantized({ min: -64, max: 64, precision: 0.001 }),
  y: t.quantized({ min: -64, max: 64, precision: 0.001 }),
  health: t.int({ min: 0, max: 100 }),
  score: t.u16(),
  /** The player's name (their account's, or their client id). */
  name: t.string({ maxBytes: 64 }),
  /** False while the player's link is down and their seat waits for them ("reconnecting"). */
  connected: t.bool(),
});
/** A way to another world: a fighter walking into its ring moves there (with its score and health). */
export const Portal = defineEntity('Portal', {
  x: t.quantized({ min: -64, max: 64, precision: 0.01 }),
  y: t.quantized({ min: -64, max: 64, precision: 0.01 }),
  /** The portal's name here (`sinkhole`, `stairs`). */
  name: t.string({ maxBytes: 32 }),
  /** The world it leads to. */
  to: t.string({ maxBytes: 64 }),
  /** False while the other world is down or full (the cluster's portal state). */
  open: t.bool(),
});
/** The Caves' boss: it wanders, bites fighters that touch it, and falls to enough shots. */
export const Boss = defineEntity('Boss', {
  x: t.quantized({ min: -64, max: 64, precision: 0.001 }),
  y: t.quantized({ min: -64, max: 64, precision: 0.001 }),
  health: t.int({ min: 0, max: 1_000 }),
  name: t.string({ maxBytes: 32 }),
  /** Seconds until it comes back while defeated (health 0). */
  returnsIn: t.u16(),
});
export const Stick = defineEntity('Stick', {
  dx: t.int({ min: -1, max: 1 }),
  dy: t.int({ min: -1, max: 1 }),
});
export type Body = { x: number; y: number };
export type StickInput = Infer<typeof Stick>;

export const arenaRpcs = defineRpcs({
  /** Fire toward (dx, dy) as the shooter saw the world at `renderTimeMs` (server time). */
  fire: rpc({
    params: {
      renderTimeMs: t.float64(),
      dx: t.quantized({ min: -1, max: 1, precision: 0.0001 }),
      dy: t.quantized({ min: -1, max: 1, precision: 0.0001 }),
    },
    reply: { victim: t.string({ maxBytes: 64 }) }, // the victim's name, '' for a miss
    validate: (p) => (Math.hypot(p.dx, p.dy) > 0.01 ? undefined : 'no direction'),
    rate: { perSecond: SHOTS_PER_SECOND, burst: SHOTS_PER_SECOND },
  }),
  kill: event({ params: { killer: t.string({ maxBytes: 64 }), victim: t.string({ maxBytes: 64 }) } }),
  /** A boss fell somewhere in the cluster (a global event each world passes on to its players). */
  bossDefeated: event({
    params: {
      boss: t.string({ maxBytes: 32 }),
      by: t.string({ maxBytes: 64 }),
      world: t.string({ maxBytes: 64 }),
    },
  }),
  /** To the one fighter a portal would not take, and why (closed, cooldown, busy, failed). */
  portalRefused: rpc({
    params: { portal: t.string({ maxBytes: 32 }), reason: t.string({ maxBytes: 128 }) },
    direction: 'to-client',
  }),
});

export const TICK_HZ = 60;
export const SEND_HZ = 20;

/** The arena: up to 16 fighters; quick play fills one before making the next. */
export const arena = defineWorld('arena', {
  entities: [Fighter, Portal, Boss],
  rpc: arenaRpcs,
  input: Stick,
  tickHz: TICK_HZ,
  sendHz: SEND_HZ,
  maxPlayers: 16,
});

const clamp = (v: number) => Math.max(-ARENA, Math.min(ARENA, v));

/** The movement step the server runs and the client predicts with. */
export function step(body: Body, input: StickInput, dtMs: number): Body {
  return { x: clamp(body.x + input.dx * SPEED * dtMs), y: clamp(body.y + input.dy * SPEED * dtMs) };
}
