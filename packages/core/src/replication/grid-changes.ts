import type { Viewpoint } from './interest-grid.js';

/** Where a changed entity is now. */
export const GONE = 0;
export const PLACED = 1;
export const GLOBAL = 2;

/**
 * The entities an InterestGrid saw placed, moved or removed since it last forgot its changes, and
 * where each one is now. Readers name them by rank, their place in ascending id order: a sorted list
 * of ranks is a sorted list of ids, and reading one is an array access rather than a lookup (the
 * grid answers many viewpoints from the same changes).
 */
export class GridChanges {
  private readonly indexOf = new Map<number, number>();
  /** By index (order of first change). */
  private readonly ids: number[] = [];
  private readonly xs: number[] = [];
  private readonly ys: number[] = [];
  private readonly wheres: number[] = [];
  /** Index → rank, and the entities by rank; rebuilt after changes (see rank). */
  private ranks = new Uint32Array(64);
  private rankedIds = new Uint32Array(64);
  private rankedXs = new Float64Array(64);
  private rankedYs = new Float64Array(64);
  private rankedWheres = new Uint8Array(64);
  private ranked = true;

  get count(): number {
    return this.ids.length;
  }

  /** Records where entity `id` is now; returns its index. */
  note(id: number, where: number, x: number, y: number): number {
    let index = this.indexOf.get(id);
    if (index === undefined) {
      index = this.ids.length;
      this.indexOf.set(id, index);
      this.ids.push(id);
      this.xs.push(x);
      this.ys.push(y);
      this.wheres.push(where);
    } else {
      this.xs[index] = x;
      this.ys[index] = y;
      this.wheres[index] = where;
    }
    this.ranked = false;
    return index;
  }

  /** The rank of the change at `index`. */
  rank(index: number): number {
    if (!this.ranked) this.rankAll();
    return this.ranks[index]!;
  }

  idAt(rank: number): number {
    return this.rankedIds[rank]!;
  }

  /** Whether the view sees the entity of rank `rank` where it is now. */
  seenBy(view: Viewpoint, rank: number): boolean {
    const where = this.rankedWheres[rank]!;
    if (where !== PLACED) return where === GLOBAL;
    const dx = this.rankedXs[rank]! - view.x;
    const dy = this.rankedYs[rank]! - view.y;
    const radius = Math.max(0, view.radius);
    return dx * dx + dy * dy <= radius * radius;
  }

  clear(): void {
    this.indexOf.clear();
    this.ids.length = 0;
    this.xs.length = 0;
    this.ys.length = 0;
    this.wheres.length = 0;
    this.ranked = true;
  }

  private rankAll(): void {
    const count = this.ids.length;
    if (this.ranks.length < count) {
      const size = count * 2;
      this.ranks = new Uint32Array(size);
      this.rankedIds = new Uint32Array(size);
      this.rankedXs = new Float64Array(size);
      this.rankedYs = new Float64Array(size);
      this.rankedWheres = new Uint8Array(size);
    }
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => this.ids[a]! - this.ids[b]!);
    for (let rank = 0; rank < count; rank++) {
      const index = order[rank]!;
      this.ranks[index] = rank;
      this.rankedIds[rank] = this.ids[index]!;
      this.rankedXs[rank] = this.xs[index]!;
      this.rankedYs[rank] = this.ys[index]!;
      this.rankedWheres[rank] = this.wheres[index]!;
    }
    this.ranked = true;
  }
}
