import {
  type AnyEntitySchema,
  type AnyWorldKind,
  type Blend,
  type Infer,
  InterpolationBuffer,
  InterpolationDelay,
  type ReplicaSet,
  type Sample,
} from '@shardline/core';

export interface InterpolationOptions<V, S extends AnyEntitySchema> {
  /** The interpolated part of an entity's state (e.g. its position). */
  read: (state: Infer<S>) => V;
  /** Blends two states (`t` 0 → a, 1 → b, above 1 extrapolates). */
  blend: Blend<V>;
  /** Interpolate this client's own entities too. Default false: they are predicted, or shown as they are. */
  includeOwn?: boolean;
  /** How far past the newest snapshot to extrapolate, ms. Default 100. */
  maxExtrapolationMs?: number;
}

/**
 * Snapshot interpolation of one schema's entities, wired to a world: each shown snapshot feeds
 * every entity's buffer at the snapshot's server time (tick × tick length), and a shared delay
 * (InterpolationDelay: a send interval, more after losses and jitter) sets the render time. Call
 * `frame(now)` once per display frame, then `sample(id)` or `all()`.
 */
export class WorldInterpolation<V> {
  private delay: InterpolationDelay;
  private readonly buffers = new Map<number, InterpolationBuffer<V>>();
  private lastFrameMs: number | undefined;
  private renderAtMs: number | undefined;

  constructor(
    private readonly kind: AnyWorldKind,
    private readonly isOwn: (id: number) => boolean,
    private readonly replicas: ReplicaSet<never>,
    private readonly options: InterpolationOptions<V, AnyEntitySchema>,
  ) {
    this.delay = new InterpolationDelay({ sendIntervalMs: 1000 / kind.sendHz });
  }

  /** How far behind the snapshots' arrival the world is drawn, ms. */
  get delayMs(): number {
    return this.delay.delayMs;
  }

  /** The server time this frame draws at (undefined before any snapshot). */
  get renderTimeMs(): number | undefined {
    return this.renderAtMs;
  }

  /** Starts a display frame at local time `nowMs`: advances the delay; returns the server time to draw at. */
  frame(nowMs: number): number | undefined {
    const elapsedMs = this.lastFrameMs === undefined ? 0 : Math.max(0, nowMs - this.lastFrameMs);
    this.lastFrameMs = nowMs;
    this.delay.update(elapsedMs);
    this.renderAtMs = this.delay.renderTimeMs(nowMs);
    return this.renderAtMs;
  }

  /** Where entity `id` is drawn this frame, and how that was found. */
  sample(id: number): Sample<V> {
    const buffer = this.buffers.get(id);
    if (!buffer || this.renderAtMs === undefined) return { state: undefined, mode: 'empty' };
    return buffer.sample(this.renderAtMs);
  }

  /** Every interpolated entity this frame. */
  all(): { id: number; sample: Sample<V> }[] {
    return [...this.buffers.keys()].map((id) => ({ id, sample: this.sample(id) }));
  }

  /** Forgets every entity's history and the delay's measurements (after a jump: a move to another world). */
  reset(): void {
    this.delay = new InterpolationDelay({ sendIntervalMs: 1000 / this.kind.sendHz });
    this.buffers.clear();
    this.lastFrameMs = undefined;
    this.renderAtMs = undefined;
  }

  /** The snapshot of `tick` is shown, having arrived at `arrivalMs`: feed every entity's buffer. */
  snapshot(tick: number, arrivalMs: number): void {
    const serverTimeMs = tick * this.kind.tickMs;
    this.delay.observe(serverTimeMs, arrivalMs);
    const present = new Set<number>();
    for (const id of this.replicas.ids()) {
      if (!this.options.includeOwn && this.isOwn(id)) continue;
      present.add(id);
      let buffer = this.buffers.get(id);
      if (!buffer) {
        buffer = new InterpolationBuffer<V>({
          blend: this.options.blend,
          ...(this.options.maxExtrapolationMs !== undefined
            ? { maxExtrapolationMs: this.options.maxExtrapolationMs }
            : {}),
        });
        this.buffers.set(id, buffer);
      }
      buffer.push(serverTimeMs, this.options.read(this.replicas.get(id)!.state as never));
    }
    for (const id of this.buffers.keys()) if (!present.has(id)) this.buffers.delete(id);
  }
}
