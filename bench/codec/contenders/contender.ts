import type { TickChanges, UnitState } from '../scenario.js';

/** One serializer under test, holding a sender's and a receiver's copy of the world. */
export interface Contender {
  readonly name: string;
  /** How values are represented on the wire (quantization, float widths). */
  readonly representation: string;
  /** Applies one tick of game changes to the sender's state (not timed: the game does this anyway). */
  update(changes: TickChanges): void;
  /** Produces the bytes that bring a receiver from the last encoded state to now (timed). */
  encode(): Uint8Array;
  /** Decodes `bytes` and applies them to the receiver's world (timed). */
  decode(bytes: Uint8Array): void;
  /** Size of the whole current state, as a joining client receives it. */
  fullStateBytes(): number;
  /** The receiver's copy of entity `id`, to check every contender delivered the world. */
  received(id: number): UnitState;
}
