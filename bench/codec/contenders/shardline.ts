import {
  BitReader,
  BitWriter,
  defineEntity,
  type EntitySnapshot,
  type Infer,
  SnapshotCodec,
  snapshotFromEntries,
  t,
} from '@shardline/core';
import { type TickChanges, type UnitState, WORLD_HALF_SIZE } from '../scenario.js';
import type { Contender } from './contender.js';

export const Unit = defineEntity('Unit', {
  x: t.quantized({ min: -WORLD_HALF_SIZE, max: WORLD_HALF_SIZE, bits: 19 }),
  y: t.quantized({ min: -WORLD_HALF_SIZE, max: WORLD_HALF_SIZE, bits: 19 }),
  angle: t.angle({ bits: 16 }),
  hp: t.u8(),
});
type Snapshot = EntitySnapshot<Infer<typeof Unit>>;

/**
 * Shardline: the sender keeps immutable snapshots and encodes each against the previous one (the
 * baseline a client acknowledged: in this benchmark every tick is acknowledged at once).
 */
export class ShardlineContender implements Contender {
  readonly name = 'Shardline delta';
  readonly representation = 'x, y: 19 bits over ±4096 (step ≈ 1/64); angle: 16 bits; hp: 8 bits';
  private readonly codec = new SnapshotCodec(Unit);
  private readonly writer = new BitWriter({ initialBytes: 16_384 });
  private current: Snapshot;
  private baseline: Snapshot;
  private receiver: Snapshot;

  constructor(initial: readonly UnitState[]) {
    this.current = snapshotFromEntries(initial.map((state, id) => [id, { ...state }]));
    this.baseline = this.current;
    const joined = this.codec.decode(new BitReader(this.encodeAgainst(this.current)));
    this.receiver = joined.snapshot;
  }

  update(changes: TickChanges): void {
    const values = this.current.values.slice();
    changes.ids.forEach((id, i) => {
      values[id] = { ...changes.states[i]! };
    });
    this.current = { ids: this.current.ids, values };
  }

  encode(): Uint8Array {
    const bytes = this.encodeAgainst(this.current, this.baseline);
    this.baseline = this.current;
    return bytes;
  }

  decode(bytes: Uint8Array): void {
    this.receiver = this.codec.decode(new BitReader(bytes), this.receiver).snapshot;
  }

  fullStateBytes(): number {
    return this.encodeAgainst(this.current).length;
  }

  received(id: number): UnitState {
    return this.receiver.values[id]!;
  }

  private encodeAgainst(current: Snapshot, baseline?: Snapshot): Uint8Array {
    this.writer.reset();
    this.codec.encode(this.writer, current, baseline);
    return this.writer.toBytes();
  }
}
