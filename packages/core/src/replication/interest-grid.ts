import { ShardlineError } from '../errors.js';
import { IdBitmap } from './id-bitmap.js';

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
  key: number;
  cell: Cell;
  index: number;
}

/** Cell coordinates stay within ±2^25, so a cell's key is an exact integer below 2^52. */
const CELL_LIMIT = 2 ** 25;

function cellKey(cx: number, cy: number): number {
  return (cx + CELL_LIMIT) * 2 ** 26 + (cy + CELL_LIMIT);
}

/**
 * A uniform spatial grid of entity positions, answering "which entities are within this radius".
 * Entities placed without a position are global: every viewpoint sees them. Cells keep positions in
 * flat arrays, so a query reads no per-entity objects.
 */
export class InterestGrid {
  /** Cells by key (cellKey). */
  private readonly cells = new Map<number, Cell>();
  private readonly placements = new Map<number, Placement>();
  private readonly global = new Set<number>();
  /** Scratch results of a visible() query: `count` ids in `found`. */
  private found: Uint32Array = new Uint32Array(256);
  private count = 0;
  private readonly ids = new IdBitmap();

  constructor(readonly cellSize: number) {
    if (!(cellSize > 0)) throw new ShardlineError('VALUE_INVALID', `cell size ${cellSize} must be positive`);
  }

  /** Whether `position` can be placed: finite, within ±2^25 cells. */
  holds(position: { x: number; y: number }): boolean {
    const cx = Math.floor(position.x / this.cellSize);
    const cy = Math.floor(position.y / this.cellSize);
    return Math.abs(cx) < CELL_LIMIT && Math.abs(cy) < CELL_LIMIT;
  }

  place(id: number, position: { x: number; y: number } | undefined): void {
    if (!position) {
      this.remove(id);
      this.global.add(id);
      return;
    }
    if (!this.holds(position)) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `position (${position.x}, ${position.y}) is not finite or too far out for cells of ${this.cellSize}`,
      );
    }
    const key = cellKey(Math.floor(position.x / this.cellSize), Math.floor(position.y / this.cellSize));
    const placed = this.placements.get(id);
    if (placed && placed.key === key) {
      placed.cell.xs[placed.index] = position.x; // moved within its cell: the common case
      placed.cell.ys[placed.index] = position.y;
      return;
    }
    this.remove(id);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { ids: [], xs: [], ys: [] };
      this.cells.set(key, cell);
    }
    this.placements.set(id, { key, cell, index: cell.ids.length });
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
    if (cell.ids.length === 0) this.cells.delete(placed.key);
  }

  /** Ids of the global entities and of those at distance ≤ radius from the viewpoint, ascending. */
  visible(view: Viewpoint): Uint32Array {
    this.count = 0;
    for (const id of this.global) this.add(id);
    const { x, y } = view;
    const radius = Math.max(0, view.radius); // a negative radius sees no further than zero
    // The cells the square around the circle overlaps, clamped to where cells can be.
    const minX = this.cellOf(x - radius);
    const maxX = this.cellOf(x + radius);
    const minY = this.cellOf(y - radius);
    const maxY = this.cellOf(y + radius);
    // A view wider than the occupied cells reads those instead of every empty cell in its square.
    if ((maxX - minX + 1) * (maxY - minY + 1) > this.cells.size) {
      for (const cell of this.cells.values()) this.addWithin(cell, x, y, radius * radius);
    } else {
      for (let cx = minX; cx <= maxX; cx++) {
        for (let cy = minY; cy <= maxY; cy++) {
          const cell = this.cells.get(cellKey(cx, cy));
          if (cell) this.addWithin(cell, x, y, radius * radius);
        }
      }
    }
    return this.ids.sorted(this.found, this.count);
  }

  /** The cell coordinate of a world coordinate, clamped to ±(CELL_LIMIT − 1). */
  private cellOf(value: number): number {
    return Math.min(CELL_LIMIT - 1, Math.max(-(CELL_LIMIT - 1), Math.floor(value / this.cellSize)));
  }

  /** Adds the cell's entities within √radiusSquared of (x, y) to the query's scratch results. */
  private addWithin(cell: Cell, x: number, y: number, radiusSquared: number): void {
    const { ids, xs, ys } = cell;
    for (let i = 0; i < ids.length; i++) {
      const dx = xs[i]! - x;
      const dy = ys[i]! - y;
      if (dx * dx + dy * dy <= radiusSquared) this.add(ids[i]!);
    }
  }

  private add(id: number): void {
    if (this.count === this.found.length) this.grow();
    this.found[this.count++] = id;
  }

  /** Doubles the scratch array of visible() results. */
  private grow(): void {
    const grown = new Uint32Array(this.found.length * 2);
    grown.set(this.found);
    this.found = grown;
  }
}
