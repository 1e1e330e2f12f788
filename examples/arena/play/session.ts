/**
 * One player's arena as the browser page runs it, free of the DOM so Node tests drive it too: the
 * own fighter predicted from the stick, the others interpolated between snapshots, shots fired at
 * what this client draws, stamped with the server time it draws at. Each technique can be switched
 * off (`techniques`) to see what it does.
 */
import {
  type GameClient,
  InputStream,
  InterpolationBuffer,
  InterpolationDelay,
  Predictor,
  type SampleMode,
} from '@shardline/client';
import { joinArena } from '../client.js';
import {
  arenaRpcs,
  type Body,
  INPUT_CHANNEL,
  SEND_HZ,
  Stick,
  type StickInput,
  step,
  TICK_HZ,
} from '../game.js';

const TICK_MS = 1000 / TICK_HZ;
/** Inputs one frame may catch up on after a stall (a background tab); older ones are skipped. */
const MAX_CATCH_UP_TICKS = 6;
/** Kills kept for the feed. */
const KILL_FEED = 5;

export interface Techniques {
  /** Off: the own fighter is drawn where the newest snapshot has it (input shows a round trip late). */
  prediction: boolean;
  /** Off: others are drawn where the newest snapshot has them (they jump at the send rate). */
  interpolation: boolean;
  /** Off: shots are judged where targets are now on the server, not where this client drew them. */
  lagCompensation: boolean;
}

export interface DrawnFighter {
  seat: string;
  x: number;
  y: number;
  health: number;
  score: number;
  /** How its position was found: predicted, from the newest snapshot, or by the interpolation buffer. */
  mode: 'predicted' | 'snapshot' | SampleMode;
}

export interface ArenaFrame {
  me: DrawnFighter | undefined;
  others: DrawnFighter[];
  /** Every fighter where the newest snapshot has it: what the server last said, before any technique. */
  snapshot: { seat: string; x: number; y: number }[];
  /** The server time others are drawn at (ms), once snapshots arrive. */
  renderTimeMs: number | undefined;
  /** Milliseconds others are drawn behind the snapshots' arrival. */
  interpolationDelayMs: number;
}

export class ArenaSession {
  readonly techniques: Techniques = { prediction: true, interpolation: true, lagCompensation: true };
  /** The newest kills, newest first. */
  readonly kills: { killer: string; victim: string }[] = [];
  private stick: StickInput = { dx: 0, dy: 0 };
  private predictor: Predictor<Body, StickInput> | undefined;
  private readonly stream = new InputStream(Stick, 4);
  private readonly delay = new InterpolationDelay({ sendIntervalMs: 1000 / SEND_HZ });
  private readonly buffers = new Map<string, InterpolationBuffer<Body>>();
  private lastFrameMs: number | undefined;
  /** Time not yet turned into inputs (ms): inputs go out at the tick rate whatever the frame rate. */
  private untickedMs = 0;
  private renderTimeMs: number | undefined;

  private constructor(
    readonly client: GameClient,
    private readonly joined: Awaited<ReturnType<typeof joinArena>>,
    /** This client's monotonic clock, ms (performance.now in a browser). */
    private readonly now: () => number,
  ) {
    joined.worldClient.onSnapshot = (tick) => this.snapshot(tick);
    joined.worldClient.rpc!.on(arenaRpcs.definitions.kill, (kill) => {
      this.kills.unshift({ killer: kill.killer, victim: kill.victim });
      this.kills.length = Math.min(this.kills.length, KILL_FEED);
    });
  }

  /**
   * Connects `client` (made with ARENA_CHANNELS) to the arena at `address` and takes a seat;
   * rejects if the server does not seat it within `timeoutMs`.
   */
  static async join(
    client: GameClient,
    address: string,
    now: () => number,
    timeoutMs = 5_000,
  ): Promise<ArenaSession> {
    const joined = await joinArena(client, address);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the server did not seat this client')), timeoutMs);
    });
    try {
      await Promise.race([joined.seated, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return new ArenaSession(client, joined, now);
  }

  get seat(): string | undefined {
    return this.joined.worldClient.seat;
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
    let sent = false;
    while (this.untickedMs >= TICK_MS && this.client.state === 'connected') {
      this.untickedMs -= TICK_MS;
      const sequence = this.stream.push(this.stick);
      this.predictor?.apply(sequence, this.stick, TICK_MS);
      sent = true;
    }
    if (sent) this.client.send(INPUT_CHANNEL, this.stream.message()!, 'unreliable');
    this.delay.update(elapsedMs);
    this.renderTimeMs = this.delay.renderTimeMs(nowMs);
    this.joined.worldClient.viewDelayMs = this.delay.delayMs; // the server's figure of this client's lag
    const snapshot = this.fighters();
    return {
      me: this.drawMe(nowMs, snapshot),
      others: this.drawOthers(snapshot),
      snapshot,
      renderTimeMs: this.renderTimeMs,
      interpolationDelayMs: this.delay.delayMs,
    };
  }

  /**
   * Fires from the own fighter toward `target` (a world point); resolves with the victim's seat, ''
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
    const renderTimeMs =
      this.techniques.lagCompensation && this.renderTimeMs !== undefined
        ? this.renderTimeMs
        : Number.MAX_VALUE;
    const reply = await this.joined.worldClient.rpc!.call.fire({
      renderTimeMs,
      dx: dx / length,
      dy: dy / length,
    });
    return reply.victim;
  }

  /** The fighters as the newest snapshot has them. */
  private fighters(): Omit<DrawnFighter, 'mode'>[] {
    return this.joined.fighters().map((state) => ({
      seat: state.seat as string,
      x: state.x as number,
      y: state.y as number,
      health: state.health as number,
      score: state.score as number,
    }));
  }

  private drawMe(nowMs: number, snapshot: Omit<DrawnFighter, 'mode'>[]): DrawnFighter | undefined {
    const mine = snapshot.find((fighter) => fighter.seat === this.seat);
    if (!mine) return undefined;
    if (!this.techniques.prediction || !this.predictor) return { ...mine, mode: 'snapshot' };
    return { ...mine, ...this.predictor.displayed(nowMs), mode: 'predicted' };
  }

  private drawOthers(snapshot: Omit<DrawnFighter, 'mode'>[]): DrawnFighter[] {
    const others = snapshot.filter((fighter) => fighter.seat !== this.seat);
    if (!this.techniques.interpolation || this.renderTimeMs === undefined)
      return others.map((fighter) => ({ ...fighter, mode: 'snapshot' }));
    return others.map((fighter) => {
      const sample = this.buffers.get(fighter.seat)?.sample(this.renderTimeMs!);
      return sample?.state
        ? { ...fighter, ...sample.state, mode: sample.mode }
        : { ...fighter, mode: 'snapshot' };
    });
  }

  /** A newer snapshot arrived: reconcile the own fighter, feed the others' buffers. */
  private snapshot(tick: number): void {
    const arrivalMs = this.now();
    const serverTimeMs = tick * TICK_MS;
    this.delay.observe(serverTimeMs, arrivalMs);
    const present = new Set<string>();
    for (const fighter of this.joined.fighters()) {
      const seat = fighter.seat as string;
      const body = { x: fighter.x as number, y: fighter.y as number };
      present.add(seat);
      if (seat === this.seat) {
        const lastInput = fighter.lastInput as number;
        this.predictor ??= newPredictor(body);
        this.predictor.reconcile(body, lastInput, arrivalMs);
        this.stream.acknowledge(lastInput);
        continue;
      }
      let buffer = this.buffers.get(seat);
      if (!buffer) {
        buffer = new InterpolationBuffer<Body>({ blend: lerp });
        this.buffers.set(seat, buffer);
      }
      buffer.push(serverTimeMs, body);
    }
    for (const seat of this.buffers.keys()) if (!present.has(seat)) this.buffers.delete(seat);
  }
}

function lerp(a: Body, b: Body, t: number): Body {
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}

function newPredictor(initial: Body): Predictor<Body, StickInput> {
  return new Predictor<Body, StickInput>({
    step,
    initial,
    distance: (a, b) => Math.hypot(a.x - b.x, a.y - b.y),
    offset: (state, from, to, weight) => ({
      x: state.x + (from.x - to.x) * weight,
      y: state.y + (from.y - to.y) * weight,
    }),
    snapDistance: 2, // a respawn shows at once
    smoothingMs: 100,
  });
}
