import {
  BitReader,
  BitWriter,
  defineEntity,
  EntitySnapshot,
  type FieldsOf,
  type Infer,
  Replica,
  ReplicaSet,
  SnapshotCodec,
  t,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';

const Creature = defineEntity('Creature', {
  health: t.int({ min: 0, max: 100 }),
  x: t.quantized({ min: -100, max: 100, precision: 0.01 }),
  target: t.entity(),
  name: t.string({ maxBytes: 16 }),
});
type CreatureState = Infer<typeof Creature>;
const codec = new SnapshotCodec(Creature);

function transmit(current: [number, CreatureState][], baseline: EntitySnapshot<FieldsOf<typeof Creature>>) {
  const writer = new BitWriter();
  const snapshot = EntitySnapshot.from(Creature, current);
  codec.encode(writer, snapshot, baseline);
  return codec.decode(new BitReader(writer.toBytes()), baseline);
}

describe('replica (receiving-side network variables)', () => {
  it('fires a dirty event once per changed field, after the whole update is applied', () => {
    const replica = new Replica(Creature, Creature.create({ health: 100, x: 1 }));
    const seen: string[] = [];
    replica.onDirty('health', (value, previous) =>
      seen.push(`health ${previous}->${value} x=${replica.get('x')}`),
    );
    replica.onDirty('name', () => seen.push('name'));
    replica.apply(Creature.create({ health: 90, x: 2 }), 0b0011);
    expect(seen).toEqual(['health 100->90 x=2']);
  });

  it('setLocal overrides without an event; the next authoritative value fires only if it differs', () => {
    const replica = new Replica(Creature, Creature.create({ health: 100 }));
    const events: [number, number][] = [];
    replica.onDirty('health', (value, previous) => events.push([value, previous]));

    replica.setLocal('health', 80);
    expect(replica.get('health')).toBe(80);
    expect(replica.authoritativeState.health).toBe(100);
    expect(events).toEqual([]);

    replica.apply(Creature.create({ health: 80 }), 0b0001); // server agrees with the prediction
    expect(events).toEqual([]);
    expect(replica.hasLocal('health')).toBe(false);

    replica.setLocal('health', 70);
    replica.apply(Creature.create({ health: 75 }), 0b0001); // server disagrees: corrected
    expect(events).toEqual([[75, 70]]);
    expect(replica.get('health')).toBe(75);
  });

  it('keeps an override while other fields update, and clearLocal restores the server value', () => {
    const replica = new Replica(Creature, Creature.create({ health: 50 }));
    const events: number[] = [];
    replica.onDirty('health', (value) => events.push(value));
    replica.setLocal('health', 40);
    replica.apply(Creature.create({ health: 50, x: 5 }), 0b0010);
    expect(replica.get('health')).toBe(40);
    expect(replica.state).toEqual({ ...Creature.create({ health: 40 }), x: 5 });
    replica.clearLocal('health');
    expect(events).toEqual([50]);
  });

  it('stops calling a listener once unsubscribed', () => {
    const replica = new Replica(Creature, Creature.create());
    let calls = 0;
    const off = replica.onDirty('health', () => calls++);
    replica.apply(Creature.create({ health: 1 }), 1);
    off();
    replica.apply(Creature.create({ health: 2 }), 1);
    expect(calls).toBe(1);
    expect(() => replica.onDirty('nope' as 'health', () => {})).toThrow(/VALUE_INVALID/);
  });
});

describe('replica set (a snapshot stream on the receiving side)', () => {
  it('spawns, updates and despawns replicas, firing events after the whole update', () => {
    const set = new ReplicaSet(Creature);
    const log: string[] = [];
    set.onSpawn((id, replica) => {
      const target = replica.get('target');
      log.push(`spawn ${id} target=${target === null ? '-' : set.get(target) ? 'resolved' : 'missing'}`);
      replica.onDirty('health', (value) =>
        log.push(`${id} health ${value} (wolf at ${set.get(1)?.get('x').toFixed(2)})`),
      );
    });
    set.onDespawn((id) => log.push(`despawn ${id}`));

    const first = transmit(
      [
        [2, Creature.create({ name: 'pig', target: 1, health: 100 })],
        [1, Creature.create({ name: 'wolf', health: 100 })],
      ],
      EntitySnapshot.empty(Creature),
    );
    set.apply(first);
    expect(log).toEqual(['spawn 1 target=-', 'spawn 2 target=resolved']);
    expect(set.size).toBe(2);

    log.length = 0;
    const second = transmit(
      [
        [1, Creature.create({ name: 'wolf', health: 100, x: 3 })],
        [2, Creature.create({ name: 'pig', target: 1, health: 60 })],
      ],
      first.snapshot,
    );
    set.apply(second);
    expect(log).toEqual(['2 health 60 (wolf at 3.00)']);

    log.length = 0;
    set.apply(transmit([[2, Creature.create({ name: 'pig', target: 1, health: 60 })]], second.snapshot));
    expect(log).toEqual(['despawn 1']);
    expect(set.get(1)).toBeUndefined();
    expect([...set.ids()]).toEqual([2]);
  });

  it('shows the newest state after updates nobody read, and dirty events compare against it', () => {
    const set = new ReplicaSet(Creature);
    let baseline = EntitySnapshot.empty(Creature);
    for (let step = 0; step <= 5; step++) {
      const decoded = transmit([[7, Creature.create({ health: 50 + step, x: step })]], baseline);
      set.apply(decoded);
      baseline = decoded.snapshot;
    }
    const replica = set.get(7)!;
    expect(replica.get('health')).toBe(55);
    expect(replica.state.x).toBeCloseTo(5, 2);
    // Unread again, then a listener: it sees the change from the newest unread state, not an older one.
    let decoded = transmit([[7, Creature.create({ health: 70, x: 5 })]], baseline);
    set.apply(decoded);
    const changes: [number, number][] = [];
    replica.onDirty('health', (value, previous) => changes.push([value, previous]));
    decoded = transmit([[7, Creature.create({ health: 71, x: 5 })]], decoded.snapshot);
    set.apply(decoded);
    expect(changes).toEqual([[71, 70]]);
    expect(replica.authoritativeState.health).toBe(71);
    // Updated unread (8 has no listener), then despawned: listeners and holders read the last state.
    decoded = transmit(
      [
        [7, Creature.create({ health: 72, x: 6 })],
        [8, Creature.create({ health: 10 })],
      ],
      decoded.snapshot,
    );
    set.apply(decoded);
    const other = set.get(8)!;
    decoded = transmit(
      [
        [7, Creature.create({ health: 73, x: 6 })],
        [8, Creature.create({ health: 11, x: -4 })],
      ],
      decoded.snapshot,
    );
    set.apply(decoded);
    const lastSeen: number[] = [];
    set.onDespawn((_id, gone) => lastSeen.push(gone.get('health')));
    set.apply(transmit([], decoded.snapshot));
    expect(lastSeen.sort()).toEqual([11, 73]);
    expect(other.state.x).toBeCloseTo(-4, 2);
    expect(replica.state.x).toBeCloseTo(6, 2);
  });
});
