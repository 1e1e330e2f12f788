import { ShardlineError } from '../errors.js';
import { GLOBAL, GONE, GridChanges, PLACED } from './grid-changes.js';
import { IdBitmap } from './id-bitmap.js';

/** What a client sees around: everything within `radius` of (x, y), world units. */
export interface Viewpoint {
  x: number;
  y: number;
  radius: number;
}

/** The entities in one cell, as parallel arrays (unordered; removal swaps the last one in). */
interface Cell {
  cx: number;
  cy: number;
  ids: number[];
  xs: number[];
  ys: number[];
  /** With change tracking: the changes (GridChanges indexes) in this cell since forgetChanges (may repeat). */
  changed: number[];
}

interface Placement {
  cell: Cell;
  index: number;
}

/** Cell coordinates stay within ±2^25: small integers, which make cheap map keys. */
const CELL_LIMIT = 2 ** 25;

export interface InterestGridOptions {
  /**
   * Remember which entities were placed, moved or removed near where since the last forgetChanges,
   * for changesNear: a viewpoint that stays put only needs to look at those. Default false.
   */
  trackChanges?: boolean;
}

/**
 * A uniform spatial grid of entity positions, answering "which entities are within this radius".
 * Entities placed without a position are global: every viewpoint sees them. Cells keep positions in
 * flat arrays, so a query reads no per-entity objects.
 */
export class InterestGrid {
  /** Occupied cells by column (x) and row (y) coordinate (with change tracking, also cells emptied since forgetChanges). */
  private readonly columns = new Map<number, Map<number, Cell>>();
  private cellCount = 0;
  private readonly placements = new Map<number, Placement>();
  private readonly global = new Set<number>();
  /** With trackChanges: what changed since forgetChanges, the cells it changed in, and the changes of global entities. */
  private readonly changes: GridChanges | undefined;
  private readonly changedCells: Cell[] = [];
  private readonly changedGlobal: number[] = [];
  /** Scratch results of a visible() query: `count` ids in `found`, then in ascending order in `sorted`. */
  private found: Uint32Array = new Uint32Array(256);
  private sorted: Uint32Array = new Uint32Array(256);
  private count = 0;
  private readonly ids = new IdBitmap();

  constructor(
    readonly cellSize: number,
    options: InterestGridOptions = {},
  ) {
    if (!(cellSize > 0)) throw new ShardlineError('VALUE_INVALID', `cell size ${cellSize} must be positive`);
    this.changes = options.trackChanges ? new GridChanges() : undefined;
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
      if (this.changes) this.changedGlobal.push(this.changes.note(id, GLOBAL, 0, 0));
      return;
    }
    if (!this.holds(position)) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `position (${position.x}, ${position.y}) is not finite or too far out for cells of ${this.cellSize}`,
      );
    }
    const cx = Math.floor(position.x / this.cellSize);
    const cy = Math.floor(position.y / this.cellSize);
    const placed = this.placements.get(id);
    if (placed && placed.cell.cx === cx && placed.cell.cy === cy) {
      placed.cell.xs[placed.index] = position.x; // moved within its cell: the common case
      placed.cell.ys[placed.index] = position.y;
      this.noteChange(placed.cell, id, PLACED, position.x, position.y);
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
      cell = { cx, cy, ids: [], xs: [], ys: [], changed: [] };
      column.set(cy, cell);
      this.cellCount++;
    }
    this.placements.set(id, { cell, index: cell.ids.length });
    cell.ids.push(id);
    cell.xs.push(position.x);
    cell.ys.push(position.y);
    this.noteChange(cell, id, PLACED, position.x, position.y);
  }

  remove(id: number): void {
    if (this.global.delete(id) && this.changes) this.changedGlobal.push(this.changes.note(id, GONE, 0, 0));
    const placed = this.placements.get(id);
    if (!placed) return;
    this.placements.delete(id);
    const { cell, index } = placed;
    this.noteChange(cell, id, GONE, 0, 0);
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
    // With change tracking an emptied cell stays until forgetChanges: changesNear still finds it.
    if (cell.ids.length === 0 && !this.changes) this.dropCell(cell);
  }

  /**
   * The changes since forgetChanges (entities placed, moved or removed, global ones included) in the
   * cells the view's radius reaches, pushed onto `out` as ranks: ascending ranks are ascending ids
   * (changedId), possibly repeated, possibly out of reach. While a viewpoint stays put, no other
   * entity can have come into or gone out of its view, or changed in it. Needs trackChanges.
   */
  changesNear(view: Viewpoint, out: number[]): void {
    const changes = this.changes;
    if (!changes) throw new ShardlineError('VALUE_INVALID', 'changesNear needs trackChanges');
    for (const index of this.changedGlobal) out.push(changes.rank(index));
    const radius = Math.max(0, view.radius);
    const minX = this.cellOf(view.x - radius);
    const maxX = this.cellOf(view.x + radius);
    const minY = this.cellOf(view.y - radius);
    const maxY = this.cellOf(view.y + radius);
    if ((maxX - minX + 1) * (maxY - minY + 1) > this.changedCells.length) {
      for (const cell of this.changedCells) {
        if (cell.cx >= minX && cell.cx <= maxX && cell.cy >= minY && cell.cy <= maxY)
          for (const index of cell.changed) out.push(changes.rank(index));
      }
      return;
    }
    for (let cx = minX; cx <= maxX; cx++) {
      const column = this.columns.get(cx);
      if (!column) continue;
      for (let cy = minY; cy <= maxY; cy++) {
        const cell = column.get(cy);
        if (cell) for (const index of cell.changed) out.push(changes.rank(index));
      }
    }
  }

  /** How many entities changed since forgetChanges: changesNear's ranks are below this. */
  get changeCount(): number {
    return this.changes?.count ?? 0;
  }

  /** The entity id of a change named by changesNear. */
  changedId(rank: number): number {
    return this.changes!.idAt(rank);
  }

  /** Whether the view sees the entity of a change named by changesNear, where it is now. */
  changeSeenBy(view: Viewpoint, rank: number): boolean {
    return this.changes!.seenBy(view, rank);
  }

  /** Starts tracking changes afresh (see changesNear), and lets go of the cells emptied meanwhile. */
  forgetChanges(): void {
    for (const cell of this.changedCells) {
      cell.changed.length = 0;
      if (cell.ids.length === 0) this.dropCell(cell);
    }
    this.changedCells.length = 0;
    this.changedGlobal.length = 0;
    this.changes?.clear();
  }

  private noteChange(cell: Cell, id: number, where: number, x: number, y: number): void {
    if (!this.changes) return;
    if (cell.changed.length === 0) this.changedCells.push(cell);
    cell.changed.push(this.changes.note(id, where, x, y));
  }

  private dropCell(cell: Cell): void {
    const column = this.columns.get(cell.cx)!;
    column.delete(cell.cy);
    this.cellCount--;
    if (column.size === 0) this.columns.delete(cell.cx);
  }

  /**
   * Ids of the global entities and of those at distance ≤ radius from the viewpoint, ascending: a
   * view of scratch storage, valid until the next query (copy it to keep it).
   */
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
    if ((maxX - minX + 1) * (maxY - minY + 1) > this.cellCount) {
      for (const column of this.columns.values()) {
        for (const cell of column.values()) this.addWithin(cell, x, y, radius * radius);
      }
    } else {
      for (let cx = minX; cx <= maxX; cx++) {
        const column = this.columns.get(cx);
        if (!column) continue;
        for (let cy = minY; cy <= maxY; cy++) {
          const cell = column.get(cy);
          if (cell) this.addFromCell(cell, cx, cy, x, y, radius * radius);
        }
      }
    }
    this.ids.sortInto(this.found, this.count, this.sorted);
    return this.sorted.subarray(0, this.count);
  }

  /** The cell coordinate of a world coordinate, clamped to ±(CELL_LIMIT − 1). */
  private cellOf(value: number): number {
    return Math.min(CELL_LIMIT - 1, Math.max(-(CELL_LIMIT - 1), Math.floor(value / this.cellSize)));
  }

  /**
   * addWithin for the cell at (cx, cy), skipping the distance tests when the whole cell is out of
   * reach or within it. Its bounds are widened by a hair, so rounding in the cell coordinate of an
   * entity on an edge can never make the shortcut wrong.
   */
  private addFromCell(cell: Cell, cx: number, cy: number, x: number, y: number, radiusSquared: number): void {
    const margin = this.cellSize * 1e-6;
    const left = cx * this.cellSize - margin;
    const right = (cx + 1) * this.cellSize + margin;
    const bottom = cy * this.cellSize - margin;
    const top = (cy + 1) * this.cellSize + margin;
    const nearX = x < left ? left - x : x > right ? x - right : 0;
    const nearY = y < bottom ? bottom - y : y > top ? y - top : 0;
    if (nearX * nearX + nearY * nearY > radiusSquared) return;
    const farX = Math.max(x - left, right - x);
    const farY = Math.max(y - bottom, top - y);
    if (farX * farX + farY * farY > radiusSquared) {
      this.addWithin(cell, x, y, radiusSquared);
      return;
    }
    for (const id of cell.ids) this.add(id);
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
    this.sorted = new Uint32Array(grown.length);
  }
}
