import { ShardlineError } from '../errors.js';

/** What a client sees around: everything within `radius` of (x, y), world units. */
export interface Viewpoint {
  x: number;
  y: number;
  radius: number;
}

/**
 * A uniform spatial grid of entity positions, answering "which entities are within this radius".
 * Entities placed without a position are global: every viewpoint sees them.
 */
export class InterestGrid {
  private readonly cells = new Map<string, Set<number>>();
  private readonly positions = new Map<number, { x: number; y: number; cell: string }>();
  private readonly global = new Set<number>();

  constructor(readonly cellSize: number) {
    if (!(cellSize > 0)) throw new ShardlineError('VALUE_INVALID', `cell size ${cellSize} must be positive`);
  }

  place(id: number, position: { x: number; y: number } | undefined): void {
    this.remove(id);
    if (!position) {
      this.global.add(id);
      return;
    }
    const cell = this.key(Math.floor(position.x / this.cellSize), Math.floor(position.y / this.cellSize));
    this.positions.set(id, { x: position.x, y: position.y, cell });
    let members = this.cells.get(cell);
    if (!members) {
      members = new Set();
      this.cells.set(cell, members);
    }
    members.add(id);
  }

  remove(id: number): void {
    this.global.delete(id);
    const placed = this.positions.get(id);
    if (!placed) return;
    this.positions.delete(id);
    const members = this.cells.get(placed.cell)!;
    members.delete(id);
    if (members.size === 0) this.cells.delete(placed.cell);
  }

  /** Global entities and those at distance ≤ radius from the viewpoint. */
  visible(view: Viewpoint): Set<number> {
    const seen = new Set(this.global);
    const radiusSquared = view.radius * view.radius;
    const minX = Math.floor((view.x - view.radius) / this.cellSize);
    const maxX = Math.floor((view.x + view.radius) / this.cellSize);
    const minY = Math.floor((view.y - view.radius) / this.cellSize);
    const maxY = Math.floor((view.y + view.radius) / this.cellSize);
    for (let cx = minX; cx <= maxX; cx++) {
      for (let cy = minY; cy <= maxY; cy++) {
        for (const id of this.cells.get(this.key(cx, cy)) ?? []) {
          const { x, y } = this.positions.get(id)!;
          if ((x - view.x) ** 2 + (y - view.y) ** 2 <= radiusSquared) seen.add(id);
        }
      }
    }
    return seen;
  }

  private key(cx: number, cy: number): string {
    return `${cx},${cy}`;
  }
}
