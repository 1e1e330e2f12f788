import {
  type AnyWorldKind,
  type EntitiesOf,
  type Infer,
  type InputOf,
  Predictor,
  type PredictorOptions,
  type Replica,
} from '@shardline/core';

export interface PredictionOptions<V, K extends AnyWorldKind, S extends EntitiesOf<K>> {
  /** The schema of the entity to predict: this client's first own entity of it (its avatar). */
  schema: S;
  /** The predicted part of its state (e.g. its position). */
  read: (state: Infer<S>) => V;
  /** One tick of movement under an input: the same function the server's `input` handler runs. */
  step: (state: V, input: InputOf<K>, dtMs: number) => V;
  /** How far apart two states are, world units (small corrections ease out, large ones snap). */
  distance: PredictorOptions<V, InputOf<K>>['distance'];
  /** How a correction eases out (see Predictor); without it corrections show at once. */
  offset?: PredictorOptions<V, InputOf<K>>['offset'];
  /** Corrections at least this far snap. Default 2 units. */
  snapDistance?: number;
  /** How long an eased correction takes to fade, ms. Default 100. */
  smoothingMs?: number;
}

/** What a prediction needs from the world it predicts in. */
export interface PredictedWorld<K extends AnyWorldKind> {
  me(schema: EntitiesOf<K>): Replica<never> | undefined;
  inputAckedAt(tick: number): number | undefined;
}

/**
 * Client-side prediction of this client's own entity, wired to its world: every `sendInput` is
 * applied at once, and every snapshot whose tick's input acknowledgement has arrived (PROTOCOL.md
 * §12.1) rewinds to the server's state after the inputs it had applied and replays the rest. A new
 * own entity (a respawn as another entity) starts a new prediction from its state.
 */
export class WorldPrediction<V, K extends AnyWorldKind> {
  private predictor: Predictor<V, InputOf<K>> | undefined;
  private entityId: number | undefined;

  constructor(
    private readonly world: PredictedWorld<K>,
    private readonly options: PredictionOptions<V, K, EntitiesOf<K>>,
  ) {}

  /** The entity predicted, once this client owns one of the schema. */
  get entity(): number | undefined {
    return this.entityId;
  }

  /** Forgets the entity and its pending inputs (the client moved to another world): the next snapshot starts afresh. */
  reset(): void {
    this.predictor = undefined;
    this.entityId = undefined;
  }

  /** What to draw now: the prediction with the last correction easing out; undefined before the entity shows. */
  displayed(nowMs: number): V | undefined {
    return this.predictor?.displayed(nowMs);
  }

  /** An input was sent: apply it at once. */
  applied(sequence: number, input: InputOf<K>, dtMs: number): void {
    this.predictor?.apply(sequence, input, dtMs);
  }

  /** The snapshot of `tick` is shown: reconcile with it if its input acknowledgement is known. */
  snapshot(tick: number, arrivalMs: number): void {
    const own = this.world.me(this.options.schema);
    if (!own) return;
    const authoritative = this.options.read(own.state as Infer<EntitiesOf<K>>);
    if (!this.predictor || own.id !== this.entityId) {
      this.entityId = own.id;
      this.predictor = new Predictor<V, InputOf<K>>({
        initial: authoritative,
        step: this.options.step,
        distance: this.options.distance,
        ...(this.options.offset ? { offset: this.options.offset } : {}),
        ...(this.options.snapDistance !== undefined ? { snapDistance: this.options.snapDistance } : {}),
        ...(this.options.smoothingMs !== undefined ? { smoothingMs: this.options.smoothingMs } : {}),
      });
      return;
    }
    const acked = this.world.inputAckedAt(tick);
    // Without the tick's acknowledgement the replay would start from the wrong input: wait for it.
    if (acked !== undefined || this.predictor.pendingCount === 0) {
      this.predictor.reconcile(authoritative, acked, arrivalMs);
    }
  }
}
