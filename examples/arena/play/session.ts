/**
 * One player's arena as the browser page runs it, free of the DOM so Node tests drive it too: the
 * own fighter predicted from the stick, the others interpolated between snapshots, shots fired at
 * what this client draws, stamped with the server time it draws at. Each technique can be switched
 * off (`techniques`) to see what it does. Prediction and interpolation are the world's own helpers.
 * In a cluster it also has the world's portals and boss to draw, the bosses defeated anywhere in
 * the cluster, and what a portal said when it would not take this fighter. A move through a portal
 * changes nothing here: the world handle follows it, its prediction and interpolation start afresh.
 */
import type { JoinedWorld, SampleMode, WorldInterpolation, WorldPrediction } from '@shardline/client';
import {
  type arena,
  arenaRpcs,
  type Body,
  Boss,
  Fighter,
  Portal,
  type StickInput,
  step,
  TICK_HZ,
} from '../game.js';

const TICK_MS = 1000 / TICK_HZ;
/** Inputs one frame may catch up on after a stall (a background tab); older ones are skipped. */
const MAX_CATCH_UP_TICKS = 6;
/** Kills kept for the feed. */
const KILL_FEED = 5;
/** Boss defeats kept. */
const DEFEATS_KEPT = 5;

export type ArenaWorld = JoinedWorld<typeof arena>;

export interface Techniques {
  /** Off: the own fighter is drawn where the newest snapshot has it (input shows a round trip late). */
  prediction: boolean;
  /** Off: others are drawn where the newest snapshot has them (they jump at the send rate). */
  interpolation: boolean;
  /** Off: shots are judged where targets are now on the server, not where this client drew them. */
  lagCompensation: boolean;
}

export interface DrawnFighter {
  id: number;
  name: string;
  x: number;
  y: number;
  health: number;
  score: number;
  /** False while that player's link is down and their seat waits for them. */
  connected: boolean;
  /** How its position was found: predicted, from the newest snapshot, or by the interpolation buffer. */
  mode: 'predicted' | 'snapshot' | SampleMode;
}

export interface ArenaFrame {
  me: DrawnFighter | undefined;
  others: DrawnFighter[];
  /** Every fighter where the newest snapshot has it: what the server last said, before any technique. */
  snapshot: Omit<DrawnFighter, 'mode'>[];
  /** The server time others are drawn at (ms), once snapshots arrive. */
  renderTimeMs: number | undefined;
  /** Milliseconds others are drawn behind the snapshots' arrival. */
  interpolationDelayMs: number;
  /** This world's portals (none outside a cluster). */
  portals: DrawnPortal[];
  /** This world's boss, if it has one, interpolated like the other fighters. */
  boss: DrawnBoss | undefined;
}

export interface DrawnPortal {
  id: number;
  name: string;
  x: number;
  y: number;
  /** The world it leads to. */
  to: string;
  open: boolean;
}

export interface DrawnBoss {
  name: string;
  x: number;
  y: number;
  health: number;
  /** Seconds until it comes back while defeated. */
  returnsIn: number;
}

/** A boss defeated somewhere in the cluster (the global event, as this world passed it on). */
export interface BossDefeat {
  boss: string;
  by: string;
  world: string;
  /** When this client heard it (its own clock). */
  atMs: number;
}

export class ArenaSession {
  readonly techniques: Techniques = { prediction: true, interpolation: true, lagCompensation: true };
  /** The newest kills (names), newest first. */
  readonly kills: { killer: string; victim: string }[] = [];
  /** The newest boss defeats heard, newest first. */
  readonly defeats: BossDefeat[] = [];
  /** Hears each boss defeat as it comes. */
  onBossDefeated: ((defeat: BossDefeat) => void) | undefined;
  /** Hears why a portal would not take this fighter. */
  onPortalRefused: ((refusal: { portal: string; reason: string }) => void) | undefined;
  private stick: StickInput = { dx: 0, dy: 0 };
  private readonly prediction: WorldPrediction<Body, typeof arena>;
  private readonly interpolation: WorldInterpolation<Body>;
  private readonly bossInterpolation: WorldInterpolation<Body>;
  private lastFrameMs: number | undefined;
  /** Time not yet turned into inputs (ms): inputs go out at the tick rate whatever the frame rate. */
  private untickedMs = 0;

  constructor(
    readonly world: ArenaWorld,
    /** This client's monotonic clock, ms (performance.now in a browser). */
    private readonly now: () => number,
  ) {
    const position = (fighter: { x: number; y: number }): Body => ({ x: fighter.x, y: fighter.y });
    this.prediction = world.predict({
      schema: Fighter,
      read: position,
      step,
      distance: (a, b) => Math.hypot(a.x - b.x, a.y - b.y),
      offset: (state, from, to, weight) => ({
        x: state.x + (from.x - to.x) * weight,
        y: state.y + (from.y - to.y) * weight,
      }),
      snapDistance: 2, // a respawn shows at once
      smoothingMs: 100,
    });
    this.interpolation = world.interpolate(Fighter, { read: position, blend: lerp });
    this.bossInterpolation = world.interpolate(Boss, { read: position, blend: lerp });
    world.on(arenaRpcs.definitions.kill, (kill) => {
      this.kills.unshift({ killer: kill.killer, victim: kill.victim });
      this.kills.length = Math.min(this.kills.length, KILL_FEED);
    });
    world.on(arenaRpcs.definitions.bossDefeated, (defeat) => {
      const heard = { ...defeat, atMs: this.now() };
      this.defeats.unshift(heard);
      this.defeats.length = Math.min(this.defeats.length, DEFEATS_KEPT);
      this.onBossDefeated?.(heard);
    });
    world.handle(arenaRpcs.definitions.portalRefused, (refusal) => {
      this.onPortalRefused?.({ portal: refusal.portal, reason: refusal.reason });
    });
  }

  /** The stick as the player holds it now: each axis -1, 0 or 1. */
  steer(stick: StickInput): void {
    this.stick = stick;
  }

  /** Runs one display frame: sends the inputs due since the last one, and says what to draw. */
  frame(): ArenaFrame {
    const nowMs = this.now();
    const elapsedMs = this.lastFrameMs === undefined ? 0 : nowMs - this.lastFrameMs;
    this.lastFrameMs = nowMs;
    this.untickedMs = Math.min(this.untickedMs + elapsedMs, MAX_CATCH_UP_TICKS * TICK_MS);
    while (this.untickedMs >= TICK_MS && this.world.state === 'connected') {
      this.untickedMs -= TICK_MS;
      this.world.sendInput(this.stick); // the prediction applies it at once
    }
    const renderTimeMs = this.interpolation.frame(nowMs);
    this.bossInterpolation.frame(nowMs);
    const snapshot = this.fighters();
    return {
      me: this.drawMe(nowMs, snapshot),
      others: this.drawOthers(snapshot),
      snapshot,
      renderTimeMs,
      interpolationDelayMs: this.interpolation.delayMs,
      portals: this.portals(),
      boss: this.boss(),
    };
  }

  /**
   * Fires from the own fighter toward `target` (a world point); resolves with the victim's name, ''
   * for a miss. The server rejects shots beyond the fire rate (RPC_RATE_LIMITED).
   */
  async fire(target: { x: number; y: number }): Promise<string> {
    const me = this.drawMe(this.now(), this.fighters());
    if (!me) return '';
    const dx = target.x - me.x;
    const dy = target.y - me.y;
    const length = Math.hypot(dx, dy);
    if (length < 0.01) return '';
    // Without lag compensation the server judges the shot at its present (it takes the earlier time).
    const drawnAt = this.interpolation.renderTimeMs;
    const renderTimeMs =
      this.techniques.lagCompensation && drawnAt !== undefined ? drawnAt : Number.MAX_VALUE;
    const reply = await this.world.rpc.fire({ renderTimeMs, dx: dx / length, dy: dy / length });
    return reply.victim;
  }

  /** The fighters as the newest snapshot has them. */
  private fighters(): Omit<DrawnFighter, 'mode'>[] {
    const replicas = this.world.entities(Fighter);
    return [...replicas.ids()].map((id) => ({ id, ...replicas.get(id)!.state }));
  }

  private portals(): DrawnPortal[] {
    const replicas = this.world.entities(Portal);
    return [...replicas.ids()].map((id) => ({ id, ...replicas.get(id)!.state }));
  }

  private boss(): DrawnBoss | undefined {
    const replicas = this.world.entities(Boss);
    const [id] = replicas.ids();
    if (id === undefined) return undefined;
    const { state } = replicas.get(id)!;
    const sample = this.techniques.interpolation ? this.bossInterpolation.sample(id).state : undefined;
    return { ...state, ...sample };
  }

  private drawMe(nowMs: number, snapshot: Omit<DrawnFighter, 'mode'>[]): DrawnFighter | undefined {
    const mine = snapshot.find((fighter) => this.world.ownedIds.has(fighter.id));
    if (!mine) return undefined;
    const predicted = this.techniques.prediction ? this.prediction.displayed(nowMs) : undefined;
    return predicted ? { ...mine, ...predicted, mode: 'predicted' } : { ...mine, mode: 'snapshot' };
  }

  private drawOthers(snapshot: Omit<DrawnFighter, 'mode'>[]): DrawnFighter[] {
    const others = snapshot.filter((fighter) => !this.world.ownedIds.has(fighter.id));
    if (!this.techniques.interpolation) return others.map((fighter) => ({ ...fighter, mode: 'snapshot' }));
    return others.map((fighter) => {
      const sample = this.interpolation.sample(fighter.id);
      return sample.state
        ? { ...fighter, ...sample.state, mode: sample.mode }
        : { ...fighter, mode: 'snapshot' };
    });
  }
}

function lerp(a: Body, b: Body, t: number): Body {
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}
