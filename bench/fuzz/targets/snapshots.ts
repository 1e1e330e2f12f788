import {
  BitReader,
  BitWriter,
  ClientWorld,
  defineEntity,
  type EntitySchema,
  EntitySnapshot,
  type FieldMap,
  type ReceiveResult,
  ServerWorld,
  SnapshotCodec,
  type StructValue,
  t,
} from '@shardline/core';
import { VectorUnit } from '../../../docs/wire/vector-cases.js';
import { vectorBytes, withContext } from '../corpus.js';
import { checkRoundTrip, type FuzzTarget } from '../target.js';

/** The golden vectors' schema: their snapshot bytes, mutated, are part of the corpus. */
const Unit = VectorUnit;

/** Every field kind, so each reader and delta reader meets hostile bits. */
const Rich = defineEntity('Rich', {
  flag: t.bool(),
  small: t.i8(),
  wide: t.u32(),
  signed: t.i32(),
  ranged: t.int({ min: -50, max: 1000 }),
  bits: t.uint(5),
  count: t.varuint(),
  offset: t.varint(),
  ratio: t.float32(),
  exact: t.float64(),
  heading: t.angle({ bits: 12 }),
  at: t.vec2({ min: -100, max: 100, precision: 0.01 }),
  pos: t.vec3({ min: -1000, max: 1000, bits: 20 }),
  turn: t.quat(),
  name: t.string({ maxBytes: 24 }),
  blob: t.bytes({ maxLength: 16 }),
  target: t.entity(),
  mood: t.enum(['calm', 'angry', 'scared']),
  path: t.array(t.u16(), { maxLength: 6 }),
  slots: t.array(t.u8(), { length: 3 }),
  stats: t.struct({ strength: t.u8(), agility: t.quantized({ min: 0, max: 1, bits: 8 }) }),
  buff: t.optional(t.struct({ kind: t.u8(), left: t.float32() })),
});

function unit(i: number) {
  return Unit.create({ x: (i % 500) * 3.5 - 10, y: (i % 500) * -2, angle: i / 3, hp: i % 200 });
}

function rich(id: number) {
  const i = id % 100;
  return Rich.create({
    flag: i % 2 === 0,
    small: -i,
    wide: 4_000_000_000 - i,
    signed: -70_000 * i,
    ranged: i * 17,
    bits: i % 32,
    count: i * 1000,
    offset: -i * 99,
    ratio: i / 7,
    exact: Math.PI * i,
    heading: i / 2,
    at: { x: i, y: -i },
    pos: { x: i * 10, y: 0, z: -i },
    turn: { x: 0, y: Math.sin(i / 10), z: 0, w: Math.cos(i / 10) },
    name: `unit-${i}-é`,
    blob: Uint8Array.of(i, 1, 2),
    target: i % 3 === 0 ? null : i + 1,
    mood: (['calm', 'angry', 'scared'] as const)[i % 3]!,
    path: Array.from({ length: i % 6 }, (_, k) => k * 300),
    slots: [i, 2, 255],
    stats: { strength: i, agility: 0.5 },
    buff: i % 2 === 0 ? null : { kind: i, left: 1.5 },
  });
}

/**
 * Snapshot decoding of one schema (schema/snapshot.ts) in three contexts, picked by the first byte:
 * against the empty baseline, against a baseline, and against a baseline with a prior to predict from.
 * Round trip: what it decodes, encoded again in the same context, decodes to the same entities.
 */
function snapshotTarget<F extends FieldMap>(
  name: string,
  weight: number,
  schema: EntitySchema<F>,
  make: (i: number) => StructValue<F>,
  /** The schema has a quaternion: see checkRoundTrip. */
  canonicalizes: boolean,
): FuzzTarget {
  const codec = new SnapshotCodec(schema);
  const world = (ids: number[], shift: number) =>
    EntitySnapshot.from(
      schema,
      ids.map((id) => [id, make(id + shift)] as const),
    );
  const prior = world([3, 7, 9], 0);
  const baseline = world([3, 7, 12, 40], 1);
  const current = world([7, 12, 13, 900], 2);
  const contexts = [
    { baseline: undefined, prediction: undefined },
    { baseline, prediction: undefined },
    { baseline, prediction: { prior, span: 1, steps: 1 } },
  ];
  const encode = (context: number, snapshot: EntitySnapshot<F>) => {
    const writer = new BitWriter();
    const { baseline: base, prediction } = contexts[context]!;
    codec.encode(writer, snapshot, base, prediction);
    return writer.toBytes();
  };
  const decode = (context: number, bytes: Uint8Array) => {
    const { baseline: base, prediction } = contexts[context]!;
    return codec.decode(new BitReader(bytes), base, prediction).snapshot as EntitySnapshot<F>;
  };
  return {
    name,
    weight,
    corpus: [0, 1, 2].flatMap((context) => [
      withContext(context, encode(context, current)),
      withContext(context, encode(context, baseline)),
    ]),
    decode: (input) => {
      const context = (input[0] ?? 0) % contexts.length;
      const snapshot = decode(context, input.subarray(1));
      return checkRoundTrip(
        snapshot,
        (value) => encode(context, value),
        (bytes) => decode(context, bytes),
        canonicalizes,
      );
    },
  };
}

export const unitSnapshotTarget = snapshotTarget('snapshot', 5, Unit, unit, false);
export const richSnapshotTarget = snapshotTarget('snapshot-all-fields', 6, Rich, rich, true);

/** A world of both schemas over five ticks, acknowledged as they come: full states, then deltas. */
function worldMessages(): Uint8Array[] {
  const server = new ServerWorld({ schemas: [Unit, Rich], tickHz: 10 }, 0);
  server.addClient('c');
  const units = [0, 1, 2].map((i) => server.spawn(Unit, unit(i)));
  for (let i = 0; i < 3; i++) server.spawn(Rich, rich(i));
  const messages: Uint8Array[] = [];
  for (let tick = 1; tick <= 5; tick++) {
    server.set(units[tick % 3]!, { x: tick, hp: tick });
    if (tick === 3) server.spawn(Rich, rich(tick));
    for (const out of server.update(tick * 100)) messages.push(out.bytes.slice());
    server.acknowledge('c', tick);
  }
  return messages;
}

const messages = worldMessages();
const history = messages.slice(0, 3);

/**
 * The client's world (replication/client-world.ts) receiving a hostile snapshot message after three
 * valid ones, so deltas against kept baselines and priors decode.
 */
export const clientWorldTarget: FuzzTarget = {
  name: 'client-world',
  weight: 5,
  corpus: [...messages, ...vectorBytes('world', ['world-full', 'world-delta'])],
  decode: (input) => {
    const client = new ClientWorld({ schemas: [Unit, Rich] });
    for (const message of history) client.receive(message);
    return client.receive(input);
  },
  outcome: (result) => {
    const received = result as ReceiveResult;
    return received.kind === 'malformed' ? `malformed ${received.code}` : received.kind;
  },
};
