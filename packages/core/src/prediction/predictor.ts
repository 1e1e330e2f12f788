import { ShardlineError } from '../errors.js';
import { sequenceNewer } from '../reliable/sequence.js';

/** The movement step both sides run: deterministic, so replaying the same inputs gives the same state. */
export type Step<S, I> = (state: S, input: I, dtMs: number) => S;

export interface PredictorOptions<S, I> {
  step: Step<S, I>;
  /** The state before any input (usually the first authoritative state). */
  initial: S;
  /** How far apart two states are, world units (decides smoothing against snapping). */
  distance: (a: S, b: S) => number;
  /**
   * `state` moved by `weight` × (`from` − `to`): how a correction is eased out (the error between
   * what was shown and the new prediction shrinks to 0 while the entity keeps moving). Without it,
   * every correction shows at once.
   */
  offset?: (state: S, from: S, to: S, weight: number) => S;
  /** Corrections at least this far snap at once instead of easing in. Default 2 units. */
  snapDistance?: number;
  /** How long an eased correction takes to fade out, ms. Default 100. */
  smoothingMs?: number;
  /** Inputs kept awaiting acknowledgement; older ones are dropped. Default 256. */
  maxPending?: number;
}

interface PendingInput<I> {
  sequence: number;
  input: I;
  dtMs: number;
}

/**
 * Client-side prediction and reconciliation for the entity this client controls. Each local input
 * is applied at once (`apply`), so the player sees its effect in the same frame, and kept until the
 * server acknowledges it. When an authoritative state arrives with the number of the last input the
 * server applied, the predictor rewinds to that state and replays the inputs the server has not
 * seen yet (`reconcile`); with a deterministic step and the same inputs, the result equals what
 * the server will compute. The difference between what was shown and the new prediction (the
 * correction) is eased out over `smoothingMs` if small and an `offset` is given, else shown at once
 * (`displayed`). Netvars' setLocal is where a game puts the predicted fields it shows.
 * Sequence numbers are u16 and wrap.
 */
export class Predictor<S, I> {
  private predicted: S;
  private readonly pending: PendingInput<I>[] = [];
  /** The newest input applied (acknowledged or not). */
  private lastSequence: number | undefined;
  /** The last correction being eased out: what was shown then, the new prediction then, and when. */
  private correction: { shown: S; predicted: S; atMs: number } | undefined;
  private readonly options: Required<Omit<PredictorOptions<S, I>, 'initial' | 'offset'>> & {
    offset: PredictorOptions<S, I>['offset'] | undefined;
  };

  constructor(options: PredictorOptions<S, I>) {
    this.predicted = options.initial;
    this.options = {
      step: options.step,
      distance: options.distance,
      offset: options.offset,
      snapDistance: options.snapDistance ?? 2,
      smoothingMs: options.smoothingMs ?? 100,
      maxPending: options.maxPending ?? 256,
    };
  }

  /** The predicted state: the last authoritative one with every unacknowledged input applied. */
  get state(): S {
    return this.predicted;
  }

  /** Inputs sent and not yet acknowledged. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Applies a local input (numbered `sequence`, lasting `dtMs`) at once; returns the predicted state. */
  apply(sequence: number, input: I, dtMs: number): S {
    const last = this.lastSequence;
    if (last !== undefined && !sequenceNewer(sequence, last)) {
      throw new ShardlineError('VALUE_INVALID', `input ${sequence} is not newer than ${last}`);
    }
    this.lastSequence = sequence;
    this.pending.push({ sequence, input, dtMs });
    if (this.pending.length > this.options.maxPending) this.pending.shift();
    this.predicted = this.options.step(this.predicted, input, dtMs);
    return this.predicted;
  }

  /**
   * The server's state of this entity after it applied input `acked` (undefined: none yet), seen at
   * local time `nowMs`. Rewinds to it and replays the newer inputs; returns the correction (how far
   * the new prediction is from the old one, world units).
   */
  reconcile(authoritative: S, acked: number | undefined, nowMs: number): number {
    const shown = this.displayed(nowMs);
    const before = this.predicted;
    if (acked !== undefined) {
      while (this.pending.length > 0 && !sequenceNewer(this.pending[0]!.sequence, acked))
        this.pending.shift();
    }
    let state = authoritative;
    for (const { input, dtMs } of this.pending) state = this.options.step(state, input, dtMs);
    this.predicted = state;
    const correction = this.options.distance(before, state);
    if (correction === 0) return 0;
    // A big miss (or a teleport) shows at once; a small one eases out of what was on screen.
    const eases = this.options.offset !== undefined && correction < this.options.snapDistance;
    this.correction = eases ? { shown, predicted: state, atMs: nowMs } : undefined;
    return correction;
  }

  /**
   * What to draw at local time `nowMs`: the prediction, offset by what remains of the last small
   * correction's error (shown − predicted at the time), which fades linearly over smoothingMs.
   */
  displayed(nowMs: number): S {
    const correction = this.correction;
    if (!correction) return this.predicted;
    const remaining = 1 - (nowMs - correction.atMs) / this.options.smoothingMs;
    if (remaining <= 0) {
      this.correction = undefined;
      return this.predicted;
    }
    return this.options.offset!(
      this.predicted,
      correction.shown,
      correction.predicted,
      Math.min(1, remaining),
    );
  }
}
