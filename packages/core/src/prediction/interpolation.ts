import { ShardlineError } from '../errors.js';

/** Blends two states: `t` 0 gives `a`, 1 gives `b`, above 1 extrapolates along a → b. */
export type Blend<S> = (a: S, b: S, t: number) => S;

/** How a frame's state was found. */
export type SampleMode = 'interpolated' | 'extrapolated' | 'held' | 'empty';

export interface Sample<S> {
  state: S | undefined;
  mode: SampleMode;
}

export interface InterpolationBufferOptions<S> {
  blend: Blend<S>;
  /**
   * How far past the newest state a sample may extrapolate, ms; later samples hold at that point
   * (a 'held' frame). Default 100.
   */
  maxExtrapolationMs?: number;
  /** Newest states kept. Default 32. */
  capacity?: number;
}

/**
 * A remote entity's recent states by server time, sampled at a render time behind the newest
 * (snapshot interpolation): between two states it blends them; past the newest it extrapolates at
 * most `maxExtrapolationMs`, then holds; before the oldest it holds the oldest. It never renders
 * further than the newest state plus that bound. Counts frames by mode so a game can report how
 * often it had to guess. Pure: time is always an argument.
 */
export class InterpolationBuffer<S> {
  /** Frames sampled, by how. */
  readonly frames: Record<SampleMode, number> = { interpolated: 0, extrapolated: 0, held: 0, empty: 0 };
  private readonly times: number[] = [];
  private readonly states: S[] = [];
  private readonly blend: Blend<S>;
  private readonly maxExtrapolationMs: number;
  private readonly capacity: number;

  constructor(options: InterpolationBufferOptions<S>) {
    this.blend = options.blend;
    this.maxExtrapolationMs = options.maxExtrapolationMs ?? 100;
    this.capacity = options.capacity ?? 32;
    if (!(this.maxExtrapolationMs >= 0) || !(this.capacity >= 2)) {
      throw new ShardlineError('VALUE_INVALID', 'maxExtrapolationMs must be ≥ 0 and capacity ≥ 2');
    }
  }

  /** Server time of the newest state, or undefined before any. */
  get newestTimeMs(): number | undefined {
    return this.times[this.times.length - 1];
  }

  /** Adds the state the server had at `timeMs`; one older than the newest is slotted in order, a repeat replaces. */
  push(timeMs: number, state: S): void {
    let at = this.times.length;
    while (at > 0 && this.times[at - 1]! > timeMs) at--;
    if (at > 0 && this.times[at - 1] === timeMs) {
      this.states[at - 1] = state;
      return;
    }
    this.times.splice(at, 0, timeMs);
    this.states.splice(at, 0, state);
    if (this.times.length > this.capacity) {
      this.times.shift();
      this.states.shift();
    }
  }

  /** The state to show at server time `renderTimeMs` (and counts the frame by its mode). */
  sample(renderTimeMs: number): Sample<S> {
    const sample = this.peek(renderTimeMs);
    this.frames[sample.mode]++;
    return sample;
  }

  /** As sample, without counting a frame. */
  peek(renderTimeMs: number): Sample<S> {
    const { times, states } = this;
    const count = times.length;
    if (count === 0) return { state: undefined, mode: 'empty' };
    if (renderTimeMs <= times[0]!)
      return { state: states[0], mode: renderTimeMs === times[0] ? 'interpolated' : 'held' };
    const newest = times[count - 1]!;
    if (renderTimeMs <= newest) {
      let after = 1;
      while (times[after]! < renderTimeMs) after++;
      const from = times[after - 1]!;
      const to = times[after]!;
      return {
        state: this.blend(states[after - 1]!, states[after]!, (renderTimeMs - from) / (to - from)),
        mode: 'interpolated',
      };
    }
    if (count < 2) return { state: states[0], mode: 'held' };
    // Past the newest: continue the last segment's motion, for a bounded time.
    const ahead = Math.min(renderTimeMs - newest, this.maxExtrapolationMs);
    const previous = times[count - 2]!;
    const t = 1 + ahead / (newest - previous);
    const state = ahead === 0 ? states[count - 1] : this.blend(states[count - 2]!, states[count - 1]!, t);
    return { state, mode: renderTimeMs - newest <= this.maxExtrapolationMs ? 'extrapolated' : 'held' };
  }
}

/**
 * When a client should render remote entities, on the server's timeline: a snapshot stamped with
 * server time T arrives at local time T + offset, where the offset is the clocks' difference plus
 * the one-way latency plus jitter. Rendering at local time minus the mean offset would show each
 * snapshot as it arrives (on average); rendering a further `delayMs` behind (one send interval,
 * so there is a next snapshot to blend toward, one more for each snapshot lost in a row lately, so
 * a loss is bridged rather than extrapolated, plus a multiple of the offsets' spread to absorb
 * jitter) keeps the render time between two snapshots. The delay grows at once when jitter or loss
 * does and comes down slowly, so the render clock does not jump back and forth.
 */
export class InterpolationDelay {
  private readonly offsets: number[] = [];
  /** Server times of the recent snapshots, ascending (for the gaps that losses leave). */
  private readonly times: number[] = [];
  private current: number;

  constructor(
    private readonly options: {
      /** The server's snapshot interval, ms (50 at 20 Hz). */
      sendIntervalMs: number;
      /** Standard deviations of jitter to cover. Default 2. */
      jitterMultiple?: number;
      /** Snapshots the offsets are measured over. Default 40. */
      window?: number;
      /** How fast a larger-than-needed delay comes down, ms per second of render time. Default 10. */
      relaxMsPerSecond?: number;
      /** Most snapshots lost in a row the delay bridges. Default 2. */
      maxLossesBridged?: number;
    },
  ) {
    this.current = options.sendIntervalMs;
  }

  /** The delay behind the snapshots' mean arrival, ms. */
  get delayMs(): number {
    return this.current;
  }

  /** A snapshot stamped `serverTimeMs` arrived at local time `arrivalMs`. */
  observe(serverTimeMs: number, arrivalMs: number): void {
    const window = this.options.window ?? 40;
    this.offsets.push(arrivalMs - serverTimeMs);
    if (this.offsets.length > window) this.offsets.shift();
    let at = this.times.length;
    while (at > 0 && this.times[at - 1]! > serverTimeMs) at--;
    if (this.times[at - 1] !== serverTimeMs) this.times.splice(at, 0, serverTimeMs);
    if (this.times.length > window) this.times.shift();
  }

  /** Moves the delay toward its target over `elapsedMs` of render time; returns it. */
  update(elapsedMs: number): number {
    const interval = this.options.sendIntervalMs;
    const target = interval * (1 + this.lossesInARow()) + (this.options.jitterMultiple ?? 2) * this.spread();
    if (target >= this.current) this.current = target;
    else
      this.current = Math.max(
        target,
        this.current - ((this.options.relaxMsPerSecond ?? 10) * elapsedMs) / 1000,
      );
    return this.current;
  }

  /** The server time to render at local time `localMs` (undefined before any snapshot arrived). */
  renderTimeMs(localMs: number): number | undefined {
    const n = this.offsets.length;
    if (n === 0) return undefined;
    return localMs - this.offsets.reduce((sum, x) => sum + x, 0) / n - this.current;
  }

  /** The most snapshots missing in a row among the recent ones, up to maxLossesBridged. */
  private lossesInARow(): number {
    let most = 0;
    for (let i = 1; i < this.times.length; i++) {
      const missing = Math.round((this.times[i]! - this.times[i - 1]!) / this.options.sendIntervalMs) - 1;
      if (missing > most) most = missing;
    }
    return Math.min(most, this.options.maxLossesBridged ?? 2);
  }

  /** Standard deviation of the recent offsets: the arrival jitter. */
  private spread(): number {
    const n = this.offsets.length;
    if (n < 2) return 0;
    const mean = this.offsets.reduce((sum, x) => sum + x, 0) / n;
    return Math.sqrt(this.offsets.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1));
  }
}
