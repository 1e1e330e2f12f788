import { ShardlineError } from '../errors.js';

/** What a client sees around: everything within `radius` of (x, y), world units. */
export interface Viewpoint {
  x: number;
  y: number;
  radius: number;
}

/** The entities in one cell, as parallel arrays (unordered; removal swaps the last one in). */
interface Cell {
  ids: number[];
  xs: number[];
  ys: number[];
}

interface Placement {
  cx: number;
  cy: number;
  cell: Cell;
  index: number;
}

/**
 * A uniform spatial grid of entity positions, answering "which entities are within this radius".
 * Entities placed without a position are global: every viewpoint sees them. Cells keep positions in
 * flat arrays, so a query reads no per-entity objects.
 */
export class InterestGrid {
  /** Cells by column, then row. */
  private readonly columns = new Map<number, Map<number, Cell>>();
  private readonly placements = new Map<number, Placement>();
  private readonly global = new Set<number>();
  private found = new Uint32Array(256);

  constructor(readonly cellSize: number) {
    if (!(cellSize > 0)) throw new ShardlineError('VALUE_INVALID', `cell size ${cellSize} must be positive`);
  }

  place(id: number, position: { x: number; y: number } | undefined): void {
    if (!position) {
      this.remove(id);
      this.global.add(id);
      return;
    }
    const cx = Math.floor(position.x / this.cellSize);
    const cy = Math.floor(position.y / this.cellSize);
    const placed = this.placements.get(id);
    if (placed && placed.cx === cx && placed.cy === cy) {
      placed.cell.xs[placed.index] = position.x; // moved within its cell: the common case
      placed.cell.ys[placed.index] = position.y;
      return;
    }
    this.remove(id);
    let column = this.columns.get(cx);
    if (!column) {
      column = new Map();
      this.columns.set(cx, column);
    }
    let cell = column.get(cy);
    if (!cell) {
      cell = { ids: [], xs: [], ys: [] };
      column.set(cy, cell);
    }
    this.placements.set(id, { cx, cy, cell, index: cell.ids.length });
    cell.ids.push(id);
    cell.xs.push(position.x);
    cell.ys.push(position.y);
  }

  remove(id: number): void {
    this.global.delete(id);
    const placed = this.placements.get(id);
    if (!placed) return;
    this.placements.delete(id);
    const { cell, index } = placed;
    const last = cell.ids.length - 1;
    if (index !== last) {
      const movedId = cell.ids[last]!;
      cell.ids[index] = movedId;
      cell.xs[index] = cell.xs[last]!;
      cell.ys[index] = cell.ys[last]!;
      this.placements.get(movedId)!.index = index;
    }
    cell.ids.pop();
    cell.xs.pop();
    cell.ys.pop();
    if (cell.ids.length > 0) return;
    const column = this.columns.get(placed.cx)!;
    column.delete(placed.cy);
    if (column.size === 0) this.columns.delete(placed.cx);
  }

  /** Ids of the global entities and of those at distance ≤ radius from the viewpoint, ascending. */
  visible(view: Viewpoint): Uint32Array {
    let count = 0;
    const add = (id: number) => {
      if (count === this.found.length) {
        const grown = new Uint32Array(this.found.length * 2);
        grown.set(this.found);
        this.found = grown;
      }
      this.found[count++] = id;
    };
    for (const id of this.global) add(id);
    const { x, y, radius } = view;
    const radiusSquared = radius * radius;
    const maxX = Math.floor((x + radius) / this.cellSize);
    const maxY = Math.floor((y + radius) / this.cellSize);
    for (let cx = Math.floor((x - radius) / this.cellSize); cx <= maxX; cx++) {
      const column = this.columns.get(cx);
      if (!column) continue;
      for (let cy = Math.floor((y - radius) / this.cellSize); cy <= maxY; cy++) {
        const cell = column.get(cy);
        if (!cell) continue;
        const { ids, xs, ys } = cell;
        for (let i = 0; i < ids.length; i++) {
          const dx = xs[i]! - x;
          const dy = ys[i]! - y;
          if (dx * dx + dy * dy <= radiusSquared) add(ids[i]!);
        }
      }
    }
    return this.found.slice(0, count).sort();
  }
}
