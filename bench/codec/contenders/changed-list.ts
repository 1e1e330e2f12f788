import type { TickChanges, UnitState } from '../scenario.js';
import type { Contender } from './contender.js';

/**
 * The hand-rolled approach most games start with: the game remembers which entities changed this
 * tick and sends their [id, x, y, angle] records through a general-purpose serializer; the receiver
 * applies them to its copy. Subclasses choose the serializer.
 */
export abstract class ChangedListContender implements Contender {
  abstract readonly name: string;
  abstract readonly representation: string;
  private readonly sender: UnitState[];
  private readonly receiver: UnitState[];
  private changedIds = new Set<number>();

  constructor(initial: readonly UnitState[]) {
    this.sender = initial.map((state) => ({ ...state }));
    this.receiver = initial.map((state) => ({ ...state }));
  }

  protected abstract serialize(records: number[][]): Uint8Array;
  protected abstract deserialize(bytes: Uint8Array): number[][];

  update(changes: TickChanges): void {
    changes.ids.forEach((id, i) => {
      this.sender[id] = { ...changes.states[i]! };
      this.changedIds.add(id);
    });
  }

  encode(): Uint8Array {
    const records: number[][] = [];
    for (const id of this.changedIds) {
      const state = this.sender[id]!;
      records.push([id, state.x, state.y, state.angle]);
    }
    this.changedIds.clear();
    return this.serialize(records);
  }

  decode(bytes: Uint8Array): void {
    for (const [id, x, y, angle] of this.deserialize(bytes)) {
      const state = this.receiver[id!]!;
      state.x = x!;
      state.y = y!;
      state.angle = angle!;
    }
  }

  fullStateBytes(): number {
    return this.serialize(this.sender.map((state, id) => [id, state.x, state.y, state.angle, state.hp]))
      .length;
  }

  received(id: number): UnitState {
    return this.receiver[id]!;
  }
}
