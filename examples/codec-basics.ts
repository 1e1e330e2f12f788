/**
 * The README's codec example, runnable: npx tsx --conditions=shardline-source examples/codec-basics.ts
 */
import {
  BitReader,
  BitWriter,
  defineEntity,
  EntitySnapshot,
  ReplicaSet,
  SnapshotCodec,
  t,
} from '@shardline/core';

const Player = defineEntity('Player', {
  pos: t.vec2({ min: -4096, max: 4096, precision: 1 / 64 }),
  angle: t.angle(),
  hp: t.int({ min: 0, max: 100 }),
  name: t.string({ maxBytes: 32 }),
});

const codec = new SnapshotCodec(Player);
const client = new ReplicaSet(Player);
client.onSpawn((id, player) => {
  console.log(`spawned ${id}: ${player.get('name')}`);
  player.onDirty('hp', (hp, previous) => console.log(`${player.get('name')} hp ${previous} -> ${hp}`));
});

let acknowledged = EntitySnapshot.empty(Player);
for (const hp of [100, 90, 90, 75]) {
  const now = EntitySnapshot.from(Player, [
    [1, Player.create({ hp, name: 'wolf', pos: { x: hp / 10, y: 0 } })],
  ]);
  const writer = new BitWriter();
  codec.encode(writer, now, acknowledged);
  const bytes = writer.toBytes();
  const decoded = codec.decode(new BitReader(bytes), acknowledged);
  client.apply(decoded);
  console.log(`tick: ${bytes.length} bytes`);
  acknowledged = decoded.snapshot;
}
