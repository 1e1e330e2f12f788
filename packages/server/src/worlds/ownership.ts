import { encodeSeatMessage, MAX_OWNS_PER_MESSAGE } from '@shardline/core';

const EMPTY: ReadonlySet<number> = new Set();

/**
 * Which entities each seat owns, and telling each client of its changes (PROTOCOL.md §13 `owns`):
 * changes made in one turn of the event loop go out together as their net effect, lost ones in one
 * message and gained ones in another.
 */
export class Ownership {
  private readonly owners = new Map<number, string>();
  private readonly bySeat = new Map<string, Set<number>>();
  /** Per seat, each entity whose ownership changed this turn: true if the seat now owns it. */
  private readonly changes = new Map<string, Map<number, boolean>>();
  private flushQueued = false;

  constructor(
    /** Sends a seat message to a seat's client, if one is connected. */
    private readonly send: (seat: string, message: Uint8Array) => void,
  ) {}

  ownerOf(entity: number): string | undefined {
    return this.owners.get(entity);
  }

  set(entity: number, seat: string | undefined): void {
    const previous = this.owners.get(entity);
    if (previous === seat) return;
    if (previous !== undefined) {
      this.bySeat.get(previous)?.delete(entity);
      this.changed(previous).set(entity, false);
    }
    if (seat === undefined) {
      this.owners.delete(entity);
      return;
    }
    this.owners.set(entity, seat);
    let owned = this.bySeat.get(seat);
    if (!owned) {
      owned = new Set();
      this.bySeat.set(seat, owned);
    }
    owned.add(entity);
    this.changed(seat).set(entity, true);
  }

  /** The entities a seat owns now. */
  ownedBy(seat: string): ReadonlySet<number> {
    return this.bySeat.get(seat) ?? EMPTY;
  }

  /** A seat's client came back: it is told everything it owns again (its new client knows nothing). */
  resend(seat: string): void {
    const owned = this.bySeat.get(seat);
    if (!owned || owned.size === 0) return;
    const changes = this.changed(seat);
    for (const entity of owned) changes.set(entity, true);
  }

  /** A seat was given up: it owns nothing any more, and nobody is told. */
  removeSeat(seat: string): void {
    for (const entity of this.bySeat.get(seat) ?? []) this.owners.delete(entity);
    this.bySeat.delete(seat);
    this.changes.delete(seat);
  }

  private changed(seat: string): Map<number, boolean> {
    let change = this.changes.get(seat);
    if (!change) {
      change = new Map();
      this.changes.set(seat, change);
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
    return change;
  }

  private flush(): void {
    this.flushQueued = false;
    for (const [seat, change] of this.changes) {
      const lost: number[] = [];
      const gained: number[] = [];
      for (const [entity, owns] of change) (owns ? gained : lost).push(entity);
      this.sendList(seat, false, lost);
      this.sendList(seat, true, gained);
    }
    this.changes.clear();
  }

  private sendList(seat: string, gained: boolean, entities: number[]): void {
    for (let start = 0; start < entities.length; start += MAX_OWNS_PER_MESSAGE) {
      const part = entities.slice(start, start + MAX_OWNS_PER_MESSAGE);
      this.send(seat, encodeSeatMessage({ type: 'owns', gained, entities: part }));
    }
  }
}
