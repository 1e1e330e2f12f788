import { Decoder, Encoder, MapSchema, schema } from '@colyseus/schema';

// The full state of 1000 entities exceeds the 8 KiB default; a room with this world would raise it too.
Encoder.BUFFER_SIZE = 64 * 1024;

import type { TickChanges, UnitState } from '../scenario.js';
import type { Contender } from './contender.js';

const ColyseusUnit = schema({ x: 'float32', y: 'float32', angle: 'float32', hp: 'uint8' }, 'Unit');
const ColyseusWorld = schema({ entities: { map: ColyseusUnit } }, 'World');
type UnitInstance = InstanceType<typeof ColyseusUnit>;
type WorldInstance = InstanceType<typeof ColyseusWorld>;

/**
 * @colyseus/schema 3.x as a Colyseus room uses it: a MapSchema of entities whose setters track
 * changes; each tick `encode()` produces the patch and `discardChanges()` closes it.
 */
export class ColyseusContender implements Contender {
  readonly name = '@colyseus/schema 3';
  readonly representation = 'MapSchema of float32 x, y, angle and uint8 hp';
  private readonly world: WorldInstance;
  private readonly units: UnitInstance[];
  private readonly encoder: Encoder<WorldInstance>;
  private readonly receiverWorld: WorldInstance;
  private readonly decoder: Decoder<WorldInstance>;

  constructor(initial: readonly UnitState[]) {
    this.world = new ColyseusWorld();
    this.world.entities = new MapSchema<UnitInstance>();
    this.units = initial.map((state, id) => {
      const unit = new ColyseusUnit();
      Object.assign(unit, state);
      this.world.entities.set(String(id), unit);
      return unit;
    });
    this.encoder = new Encoder(this.world);
    this.receiverWorld = new ColyseusWorld();
    this.decoder = new Decoder(this.receiverWorld);
    this.decoder.decode(this.encoder.encodeAll().slice());
    this.encoder.discardChanges();
  }

  update(changes: TickChanges): void {
    changes.ids.forEach((id, i) => {
      const unit = this.units[id]!;
      const state = changes.states[i]!;
      unit.x = state.x;
      unit.y = state.y;
      unit.angle = state.angle;
    });
  }

  encode(): Uint8Array {
    const bytes = this.encoder.encode().slice();
    this.encoder.discardChanges();
    return bytes;
  }

  decode(bytes: Uint8Array): void {
    this.decoder.decode(bytes as Parameters<Decoder<WorldInstance>['decode']>[0]);
  }

  fullStateBytes(): number {
    return this.encoder.encodeAll().length;
  }

  received(id: number): UnitState {
    const unit = this.receiverWorld.entities.get(String(id))!;
    return { x: unit.x, y: unit.y, angle: unit.angle, hp: unit.hp };
  }
}
