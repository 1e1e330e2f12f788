import {
  BitReader,
  BitWriter,
  defineEntity,
  EntitySnapshot,
  type FieldsOf,
  SnapshotCodec,
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
type Snapshot = EntitySnapshot<FieldsOf<typeof Unit>>;

/**
 * Shardline: the game stores each tick's changes into a new packed snapshot (values are quantized as
 * they are stored), and each tick is encoded against the previous one: the baseline a client
 * acknowledged, which in this benchmark is every tick at once.
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
    this.current = EntitySnapshot.from(
      Unit,
      initial.map((state, id) => [id, state]),
    );
    this.baseline = this.current;
    const joined = this.codec.decode(new BitReader(this.encodeAgainst(this.current)));
    this.receiver = joined.snapshot;
  }

  update(changes: TickChanges): void {
    const next = this.current.edit();
    changes.ids.forEach((id, i) => {
      next.set(id, changes.states[i]!);
    });
    this.current = next.build();
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
    return this.receiver.get(id)!;
  }

  private encodeAgainst(current: Snapshot, baseline?: Snapshot): Uint8Array {
    this.writer.reset();
    this.codec.encode(this.writer, current, baseline);
    return this.writer.toBytes();
  }
}
