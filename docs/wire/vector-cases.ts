/**
 * Golden wire vectors: each case encodes a value with the real code. `npm run vectors` writes them to
 * docs/wire/vectors/*.json; vectors.test.ts fails when code and committed vectors disagree, and
 * self-sufficient.test.ts decodes every committed vector from what its file embeds alone.
 *
 * Every case carries in `given` what its bytes depend on besides the value (schemas as descriptors,
 * baselines, catalogs, keys, channels, …), so a reader of the JSON never needs this file. Its
 * `value` is what a decoder reads from the bytes (quantized numbers as decoded, exactly).
 */
import * as nodeCrypto from 'node:crypto';
import * as zlib from 'node:zlib';
import {
  type AnyEntitySchema,
  aeadFromNodeCrypto,
  answerPing,
  BitReader,
  type BitSink,
  BitWriter,
  compressorFromNodeZlib,
  decodeInputAck,
  decodeInputs,
  decodePublish,
  decodeRpcMessage,
  decodeSeatMessage,
  defineEntity,
  defineRpcs,
  defineWorld,
  EntitySnapshot,
  encodeCall,
  encodeEvent,
  encodeFailure,
  encodeInputAck,
  encodeInputs,
  encodePublish,
  encodeReply,
  encodeSeatMessage,
  event,
  type FieldType,
  fnv1a64,
  HandshakeClient,
  HandshakeServer,
  issueConnectToken,
  type NodeZlibModule,
  openPrivateToken,
  type PacketProtection,
  PacketType,
  Quantizer,
  QuaternionQuantizer,
  ReliableEndpoint,
  type RpcCatalog,
  readConnectToken,
  readDenied,
  readFingerprint,
  readInput,
  readPacket,
  readPing,
  readWorldSnapshotBody,
  readWorldSnapshotHeader,
  rpc,
  ServerWorld,
  SnapshotCodec,
  schemaFingerprint,
  TimeSync,
  t,
  WORLD_CHANNELS,
  WorldSchema,
  type WorldSnapshot,
  writeDenied,
  writeFingerprint,
  writeInput,
  writeMessagePacket,
} from '@shardline/core';
import { plain, toHex } from './hex.js';

export { plain };

/** How a vector's `hex` is laid out: the reader it needs (PROTOCOL.md "Golden vectors" lists them). */
export type VectorFormat =
  | 'bits'
  | 'field'
  | 'field-delta'
  | 'snapshot'
  | 'fingerprint'
  | 'packet'
  | 'connect-token'
  | 'request'
  | 'denied'
  | 'challenge'
  | 'response'
  | 'protected'
  | 'message-packet'
  | 'world-snapshot'
  | 'clock-ping'
  | 'clock-pong'
  | 'input'
  | 'input-stream'
  | 'input-ack'
  | 'seat-message'
  | 'state-publish'
  | 'state-relay'
  | 'rpc';

export interface VectorCase {
  name: string;
  format: VectorFormat;
  /** What the bytes show, for a reader of the JSON. */
  note: string;
  /** Everything besides `value` that the bytes depend on, as plain JSON (bytes as hex). */
  given: Record<string, unknown>;
  /** What a decoder reads from the bytes, as plain JSON (bytes as hex). */
  value: unknown;
  /** The message. */
  bytes: Uint8Array;
  /** Bits written before the last byte's zero padding (8 × bytes for byte-aligned formats). */
  bits: number;
  /** Reads the bytes with the code (vectors.test.ts compares the result with `value`), where it can. */
  decode?(bytes: Uint8Array): unknown;
}

/** A case whose bytes `encode` writes into a BitWriter: its bit length is exact. */
function written(
  name: string,
  format: VectorFormat,
  note: string,
  given: Record<string, unknown>,
  encode: (sink: BitSink) => void,
  read: (reader: BitReader) => unknown,
): VectorCase {
  const writer = new BitWriter();
  encode(writer);
  const bytes = writer.toBytes();
  const decode = (message: Uint8Array) => {
    const reader = new BitReader(message);
    const value = read(reader);
    reader.expectEnd();
    return value;
  };
  return { name, format, note, given, value: plain(decode(bytes)), bytes, bits: writer.bitLength, decode };
}

/**
 * The bits a bit-packed message holds before its padding, as the code's own decoder reads them: the
 * reader's position when the decoder checks the message ends (every message decoder ends with
 * BitReader.expectEnd).
 */
function bitsRead(decode: () => unknown): number {
  const original = BitReader.prototype.expectEnd;
  let bits: number | undefined;
  BitReader.prototype.expectEnd = function (this: BitReader) {
    bits ??= this.bitPosition;
    original.call(this);
  };
  try {
    decode();
  } finally {
    BitReader.prototype.expectEnd = original;
  }
  if (bits === undefined) throw new Error('the decoder never checked the end of the message');
  return bits;
}

/** A case made of bytes the code produced; `bitPacked` ones are measured with their decoder. */
function made(
  name: string,
  format: VectorFormat,
  note: string,
  given: Record<string, unknown>,
  bytes: Uint8Array,
  /** The code's decoder, or undefined where the code has none apart (then `options.value` says it). */
  decode: ((bytes: Uint8Array) => unknown) | undefined,
  options: { bitPacked?: boolean; value?: unknown } = {},
): VectorCase {
  const bits = options.bitPacked && decode ? bitsRead(() => decode(bytes)) : bytes.length * 8;
  const value = plain(decode && !('value' in options) ? decode(bytes) : options.value);
  if (decode && 'value' in options && JSON.stringify(plain(decode(bytes))) !== JSON.stringify(value)) {
    throw new Error(`${name}: the code decodes something else than the stated value`);
  }
  return decode
    ? { name, format, note, given, value, bytes, bits, decode }
    : { name, format, note, given, value, bytes, bits };
}

/** Throws unless `decoded` matches what the case meant to encode, within `tolerance` for numbers. */
function expectNear(name: string, decoded: unknown, intended: unknown, tolerance: number): void {
  const round = (x: unknown) =>
    JSON.stringify(plain(x), (_, v) => (typeof v === 'number' ? Math.round(v / tolerance) : v));
  if (round(decoded) !== round(intended)) {
    throw new Error(`${name}: decodes to ${JSON.stringify(plain(decoded))}, not ${JSON.stringify(intended)}`);
  }
}

/** A schema as the vectors embed it: name, descriptor (§7), fingerprint, and its fields one by one. */
export function schemaInfo(schema: AnyEntitySchema): Record<string, unknown> {
  return {
    name: schema.name,
    descriptor: schema.descriptor,
    fingerprint: schema.fingerprint,
    fields: schema.keys.map((key, i) => ({ name: key, kind: schema.fields[i]!.descriptor })),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: any catalog
function catalogInfo(catalog: RpcCatalog<any>): Record<string, unknown> {
  return {
    descriptor: catalog.descriptor,
    fingerprint: catalog.fingerprint,
    entries: catalog.byId.map((definition) => ({
      id: definition.id,
      name: definition.name,
      kind: definition.kind,
    })),
  };
}

// §1–§3: the bit stream's primitives.

const position = new Quantizer({ min: -4096, max: 4096, bits: 19 });
const rotation = new QuaternionQuantizer(10);

/** Primitives written one after another; `layout` names each in PROTOCOL.md's notation. */
function bitsCase(
  name: string,
  note: string,
  layout: string[],
  intended: unknown,
  encode: (sink: BitSink) => void,
  read: (reader: BitReader) => unknown,
  tolerance = 1e-9,
): VectorCase {
  const vector = written(name, 'bits', note, { layout }, encode, read);
  expectNear(name, vector.value, intended, tolerance);
  return vector;
}

export const bitstreamCases: VectorCase[] = [
  bitsCase(
    'uint-bit-order',
    'uint(1) of 1, uint(3) of 5, uint(12) of 0xabc: least significant bit first, so the 16 bits read as the little-endian bytes cb ab',
    ['uint(1)', 'uint(3)', 'uint(12)'],
    [1, 5, 0xabc],
    (s) => {
      s.writeUint(1, 1);
      s.writeUint(5, 3);
      s.writeUint(0xabc, 12);
    },
    (r) => [r.readUint(1), r.readUint(3), r.readUint(12)],
  ),
  bitsCase(
    'uint32-unaligned',
    'bool true, then uint(32) of 0xdeadbeef straddling five bytes',
    ['bool', 'uint(32)'],
    [true, 0xdeadbeef],
    (s) => {
      s.writeBool(true);
      s.writeUint(0xdeadbeef, 32);
    },
    (r) => [r.readBool(), r.readUint(32)],
  ),
  bitsCase(
    'int-twos-complement',
    'int(5) of −3 (written as 29), then int(8) of 100',
    ['int(5)', 'int(8)'],
    [-3, 100],
    (s) => {
      s.writeInt(-3, 5);
      s.writeInt(100, 8);
    },
    (r) => [r.readInt(5), r.readInt(8)],
  ),
  bitsCase(
    'varuint',
    'varuint(7) of 300: 7-bit groups low first, each followed by a continuation bit (ac 02)',
    ['varuint(7)'],
    300,
    (s) => s.writeVarUint(300),
    (r) => r.readVarUint(),
  ),
  bitsCase(
    'varuint-4bit-groups',
    'varuint(4) of 37: groups 5 then 2, each followed by a continuation bit (10 bits)',
    ['varuint(4)'],
    37,
    (s) => s.writeVarUint(37, 4),
    (r) => r.readVarUint(4),
  ),
  bitsCase(
    'varint-zigzag',
    'varint of −2: zigzag 3, then varuint(7)',
    ['varint'],
    -2,
    (s) => s.writeVarInt(-2),
    (r) => r.readVarInt(),
  ),
  bitsCase(
    'nonzero-uint',
    'nonzero(19) of 42: bit length 6, as 5 in uint(5) (bitsForCount(19) = 5), then the low 5 bits of 42',
    ['nonzero(19)'],
    42,
    (s) => s.writeNonZeroUint(42, 19),
    (r) => r.readNonZeroUint(19),
  ),
  bitsCase(
    'expgolomb-order0',
    'expgolomb(0) of 0, 1 and 5, in the order written: 1; then 0 1 and uint(1) of 0; then 0 0 1 and uint(2) of 2 (x = 6 = 0b110)',
    ['expgolomb(0)', 'expgolomb(0)', 'expgolomb(0)'],
    [0, 1, 5],
    (s) => {
      for (const value of [0, 1, 5]) s.writeExpGolomb(value, 0);
    },
    (r) => [r.readExpGolomb(0), r.readExpGolomb(0), r.readExpGolomb(0)],
  ),
  bitsCase(
    'expgolomb-order2-max',
    'expgolomb(2) of 13 (x = 17: 2 zeros, 1, uint(4)), then expgolomb(2) of 2³² − 1 (x = 2³² + 3: 30 zeros, 1, uint(32))',
    ['expgolomb(2)', 'expgolomb(2)'],
    [13, 0xffff_ffff],
    (s) => {
      s.writeExpGolomb(13, 2);
      s.writeExpGolomb(0xffff_ffff, 2);
    },
    (r) => [r.readExpGolomb(2), r.readExpGolomb(2)],
  ),
  bitsCase(
    'float32',
    'float32 of 1.5 (0x3fc00000)',
    ['float32'],
    1.5,
    (s) => s.writeFloat32(1.5),
    (r) => r.readFloat32(),
  ),
  bitsCase(
    'float64',
    'float64 of −0.1 (0xbfb999999999999a): the low 32-bit word first',
    ['float64'],
    -0.1,
    (s) => s.writeFloat64(-0.1),
    (r) => r.readFloat64(),
  ),
  bitsCase(
    'string',
    "string(31) of 'héllo': its 6 UTF-8 bytes, length in uint(5), then the bytes",
    ['string(31)'],
    'héllo',
    (s) => s.writeString('héllo', 31),
    (r) => r.readString(31),
  ),
  bitsCase(
    'bytes-unaligned',
    'bool false, then bytes(4) of [1, 2, 255] (hex 0102ff): length in uint(3), the bytes not byte-aligned',
    ['bool', 'bytes(4)'],
    [false, '0102ff'],
    (s) => {
      s.writeBool(false);
      s.writeBytes(new Uint8Array([1, 2, 255]), 4);
    },
    (r) => [r.readBool(), r.readBytes(4)],
  ),
  bitsCase(
    'quantized',
    'quantized(−4096, 4096, 19) of 100.25: code round(4196.25 × 524286 / 8192) = 268559; the value is that code decoded',
    ['quantized(-4096,4096,19)'],
    100.25,
    (s) => s.writeQuantized(100.25, position),
    (r) => r.readQuantized(position),
    position.step,
  ),
  bitsCase(
    'vec3',
    'vec3 of (1, −2, 3.5), each component quantized(−4096, 4096, 19): x, y, z',
    ['vec3(-4096,4096,19)'],
    { x: 1, y: -2, z: 3.5 },
    (s) => s.writeVec3({ x: 1, y: -2, z: 3.5 }, position),
    (r) => r.readVec3(position),
    position.step,
  ),
  bitsCase(
    'quaternion',
    'quat(10) of a 90° turn about y, (x, y, z, w) = (0, √½, 0, √½): y and w tie for the largest, so index 1 (y, the first) in uint(2), then x, z, w as quantized(−√½, √½, 10): codes 511, 511 and 1021, w one step below its rounded code 1022 so that the rebuilt y stays strictly the largest (canonical codes, §3.4)',
    ['quat(10)'],
    { x: 0, y: Math.SQRT1_2, z: 0, w: Math.SQRT1_2 },
    (s) => s.writeQuaternion({ x: 0, y: Math.SQRT1_2, z: 0, w: Math.SQRT1_2 }, rotation),
    (r) => r.readQuaternion(rotation),
    0.01,
  ),
];

// §4–§5: field kinds, full and delta.

const stats = t.struct({ strength: t.u8(), agility: t.quantized({ min: 0, max: 1, bits: 8 }) });

/** The value as decoded: what both sides hold after sending it. */
function onGrid<T>(field: FieldType<T>, value: T): T {
  const writer = new BitWriter();
  field.write(writer, value);
  return field.read(new BitReader(writer.toBytes()));
}

function fieldCase<T>(name: string, note: string, field: FieldType<T>, intended: T): VectorCase {
  const vector = written(
    name,
    'field',
    note,
    { field: field.descriptor },
    (sink) => field.write(sink, intended),
    (reader) => field.read(reader),
  );
  if (!field.equals(field.read(new BitReader(vector.bytes)), intended))
    throw new Error(`${name} does not round-trip`);
  return vector;
}

function deltaCase<T>(name: string, note: string, field: FieldType<T>, base: T, intended: T): VectorCase {
  const baseline = onGrid(field, base);
  const vector = written(
    name,
    'field-delta',
    note,
    { field: field.descriptor, baseline: plain(baseline) },
    (sink) => field.writeDelta(sink, intended, baseline),
    (reader) => field.readDelta(reader, baseline),
  );
  if (!field.equals(field.readDelta(new BitReader(vector.bytes), baseline), intended)) {
    throw new Error(`${name} does not round-trip`);
  }
  return vector;
}

export const fieldCases: VectorCase[] = [
  fieldCase('bool', 'true', t.bool(), true),
  fieldCase('u8', '200', t.u8(), 200),
  fieldCase('i16', '−1234: code −1234 + 32768 = 31534 in uint(16)', t.i16(), -1234),
  fieldCase('int-range', '42 in [0, 100]: uint(7) of value − min', t.int({ min: 0, max: 100 }), 42),
  fieldCase(
    'enum',
    "'scared' of calm|angry|scared: index 2 in uint(2)",
    t.enum(['calm', 'angry', 'scared']),
    'scared',
  ),
  fieldCase('entity', 'reference to entity 17: presence 1, then varuint(7) of 17', t.entity(), 17),
  fieldCase('entity-null', 'no reference: presence 0', t.entity(), null),
  fieldCase('angle', 'π/2 in 16 bits: code 16384', t.angle(), Math.PI / 2),
  fieldCase(
    'vec2',
    '(1.5, −2.25) at precision 0.01 in [−100, 100]: 15 bits per component',
    t.vec2({ min: -100, max: 100, precision: 0.01 }),
    { x: 1.5, y: -2.25 },
  ),
  fieldCase(
    'array-variable',
    '[7, 8, 9] of u16, at most 6: length in uint(3), then three uint(16)',
    t.array(t.u16(), { maxLength: 6 }),
    [7, 8, 9],
  ),
  fieldCase(
    'array-fixed',
    '[255, 128, 0] of u8, exactly 3: no length',
    t.array(t.u8(), { length: 3 }),
    [255, 128, 0],
  ),
  fieldCase('struct', '{strength: 12, agility: 0.5}: the fields in order', stats, {
    strength: 12,
    agility: 0.5,
  }),
  fieldCase('optional-present', '{strength: 3, agility: 1}: presence 1, then the struct', t.optional(stats), {
    strength: 3,
    agility: 1,
  }),
  fieldCase('optional-absent', 'null: presence 0', t.optional(stats), null),
  deltaCase(
    'delta-quantized-relative',
    'x from 100 to 100.5 in 19 bits: codes 268543 → 268575, difference 32, zigzag 64, as nonzero(19)',
    t.quantized({ min: -4096, max: 4096, bits: 19 }),
    100,
    100.5,
  ),
  deltaCase(
    'delta-angle-seam',
    'angle from 3.14 (+179.9°) to −3.14 (−179.9°): codes 32751 → 32785 (π is code 32768, so crossing ±π is a short step), difference +34, zigzag 68, as nonzero(16)',
    t.angle(),
    3.14,
    -3.14,
  ),
  deltaCase(
    'delta-angle-wrap',
    'angle from 0.01 to −0.01: codes 104 → 65432, the difference taken mod 2¹⁶ as −208 (not +65328), zigzag 415, as nonzero(16)',
    t.angle(),
    0.01,
    -0.01,
  ),
  deltaCase('delta-bool', 'true to false: zero bits (a changed bool is the negation)', t.bool(), true, false),
  deltaCase(
    'delta-vec2',
    '(1, 1) to (1, 2): x unchanged (a 0 bit), y changed (a 1 bit, then nonzero(15) of the zigzagged code difference)',
    t.vec2({ min: -100, max: 100, precision: 0.01 }),
    { x: 1, y: 1 },
    { x: 1, y: 2 },
  ),
  deltaCase(
    'delta-quat-small',
    'a 1° turn about y: same largest component (a 1 bit), then for x, y, z a changed bit and, if set, nonzero(10) of the zigzagged code difference',
    t.quat(),
    { x: 0, y: Math.sin(0.1), z: 0, w: Math.cos(0.1) },
    { x: 0, y: Math.sin(0.1 + Math.PI / 360), z: 0, w: Math.cos(0.1 + Math.PI / 360) },
  ),
  deltaCase(
    'delta-quat-flip',
    'a half turn: the largest component changes (w → y), so a 0 bit and the full value (§3.4) follow',
    t.quat(),
    { x: 0, y: 0, z: 0, w: 1 },
    { x: 0, y: 1, z: 0, w: 0 },
  ),
  deltaCase(
    'delta-struct',
    'strength 12 → 13, agility unchanged: mask uint(2) of 0b01, then strength in full (u8 deltas are absolute)',
    stats,
    { strength: 12, agility: 0.5 },
    { strength: 13, agility: 0.5 },
  ),
];

// §6: snapshots of one schema.

export const VectorUnit = defineEntity('Unit', {
  x: t.quantized({ min: -4096, max: 4096, bits: 19 }),
  y: t.quantized({ min: -4096, max: 4096, bits: 19 }),
  angle: t.angle(),
  hp: t.u8(),
});
const snapshots = new SnapshotCodec(VectorUnit);
const worldA = EntitySnapshot.from(VectorUnit, [
  [3, VectorUnit.create({ x: 10, y: 20, angle: 0, hp: 100 })],
  [7, VectorUnit.create({ x: -5, y: 0, angle: 1, hp: 80 })],
]);
const worldB = EntitySnapshot.from(VectorUnit, [
  [7, VectorUnit.create({ x: -4.5, y: 0, angle: 1, hp: 75 })],
  [12, VectorUnit.create({ x: 0, y: 0, angle: 0, hp: 100 })],
]);
/** worldB moved on: 7's x along its line from worldA (−5, −4.5, then −4: predicted exactly), hp again. */
const worldC = EntitySnapshot.from(VectorUnit, [
  [7, VectorUnit.create({ x: -4, y: 0, angle: 1.5, hp: 70 })],
  [12, VectorUnit.create({ x: 0, y: 0, angle: 0, hp: 100 })],
]);
type UnitSnapshot = typeof worldA;
/** A snapshot as the vector files hold it: entity id → state. */
const entriesOf = (snapshot: { entries(): Iterable<[number, unknown]> }) =>
  Object.fromEntries(snapshot.entries());

function snapshotCase(
  name: string,
  note: string,
  current: UnitSnapshot,
  baseline: UnitSnapshot | undefined,
  prediction?: { prior: UnitSnapshot; span: number; steps: number },
): VectorCase {
  const given: Record<string, unknown> = {
    schema: schemaInfo(VectorUnit),
    baseline: baseline ? entriesOf(baseline) : {},
  };
  if (prediction)
    Object.assign(given, {
      prior: entriesOf(prediction.prior),
      span: prediction.span,
      steps: prediction.steps,
    });
  const vector = written(
    name,
    'snapshot',
    note,
    plain(given) as Record<string, unknown>,
    (sink) => snapshots.encode(sink, current, baseline, prediction),
    (reader) => entriesOf(snapshots.decode(reader, baseline, prediction).snapshot),
  );
  expectNear(name, vector.value, entriesOf(current), 1e-9);
  return vector;
}

export const snapshotCases: VectorCase[] = [
  snapshotCase(
    'snapshot-full',
    'entities 3 and 7 against the empty baseline: 0 despawns, 2 spawns with full states, 0 updates',
    worldA,
    undefined,
  ),
  snapshotCase(
    'snapshot-delta',
    'against entities 3 and 7: despawn 3, spawn 12, update 7 (x and hp changed)',
    worldB,
    worldA,
  ),
  snapshotCase(
    'snapshot-predicted',
    'against the baseline (entities 7 and 12), predicted from the prior one tick before it (span 1, steps 1): update 7 (x, angle, hp changed), whose x residual is 0',
    worldC,
    worldB,
    { prior: worldA, span: 1, steps: 1 },
  ),
];

// §7, §13.2, §15: fingerprints, each with the text it hashes.

const Stick = defineEntity('Stick', { dx: t.int({ min: -1, max: 1 }), fire: t.bool() });
/** The state template of the vector world kind. */
const Badge = defineEntity('Badge', { team: t.enum(['red', 'blue']), score: t.u16() });

const vectorRpcs = defineRpcs({
  useItem: rpc({
    params: { slot: t.int({ min: 0, max: 9 }), x: t.quantized({ min: -100, max: 100, precision: 0.25 }) },
    reply: { ok: t.bool(), left: t.u8() },
  }),
  toast: rpc({ params: { text: t.string({ maxBytes: 32 }) }, direction: 'to-client' }),
  wave: event({ params: { at: t.i16() } }),
});
/** PROTOCOL.md §15's example catalog. */
const specCatalog = defineRpcs({
  use: rpc({ params: { slot: t.u8() }, reply: { ok: t.bool() } }),
  chat: event({ params: { text: t.string({ maxBytes: 10 }) } }),
});

/** A world kind whose seven parts are all present: Unit entities, the rpc.json catalog, Stick input, Badge state. */
const vectorKind = defineWorld('vector', {
  entities: [VectorUnit],
  rpc: vectorRpcs,
  input: Stick,
  state: Badge,
  tickHz: 20,
  sendHz: 10,
});

function fingerprintCase(
  name: string,
  note: string,
  text: string,
  fingerprint: string,
  extra: Record<string, unknown> = {},
): VectorCase {
  if (fnv1a64(text) !== fingerprint) throw new Error(`${name}: the text does not hash to ${fingerprint}`);
  return written(
    name,
    'fingerprint',
    note,
    { text, ...extra },
    (sink) => writeFingerprint(sink, fingerprint),
    (reader) => readFingerprint(reader),
  );
}

const channelsText = WORLD_CHANNELS.map((config, channel) => `${channel} ${config.kind}`).join('\n');
const partsText = [
  vectorKind.fingerprints.kind,
  vectorKind.fingerprints.entities,
  vectorKind.fingerprints.rpc,
  vectorKind.fingerprints.input,
  vectorKind.fingerprints.state,
  vectorKind.fingerprints.rates,
  vectorKind.fingerprints.channels,
].join('\n');

export const fingerprintCases: VectorCase[] = [
  fingerprintCase(
    'fingerprint-empty',
    'FNV-1a 64 of no bytes: the offset basis cbf29ce484222325',
    '',
    fnv1a64(''),
  ),
  fingerprintCase(
    'schema-unit',
    "entity schema Unit (§7): FNV-1a 64 of its descriptor's UTF-8 bytes; on the wire two uint(32), the high word first",
    VectorUnit.descriptor,
    VectorUnit.fingerprint,
    { schema: schemaInfo(VectorUnit) },
  ),
  fingerprintCase(
    'schema-set',
    'the schemas Unit then Stick as a set (§7): their descriptors joined with a line feed',
    `${VectorUnit.descriptor}\n${Stick.descriptor}`,
    schemaFingerprint(VectorUnit, Stick),
    { schemas: [schemaInfo(VectorUnit), schemaInfo(Stick)] },
  ),
  fingerprintCase(
    'catalog-spec-example',
    "§15's example catalog (rpc use, event chat): one descriptor line per entry in id (name) order",
    specCatalog.descriptor,
    specCatalog.fingerprint,
    { catalog: catalogInfo(specCatalog) },
  ),
  fingerprintCase(
    'catalog-rpc-vectors',
    "the catalog of rpc.json's vectors (toast, useItem, wave)",
    vectorRpcs.descriptor,
    vectorRpcs.fingerprint,
    { catalog: catalogInfo(vectorRpcs) },
  ),
  fingerprintCase(
    'world-part-kind',
    "world kind `vector`, part 1 `kind` (§13.2): FNV-1a 64 of the kind's name",
    vectorKind.name,
    vectorKind.fingerprints.kind,
  ),
  fingerprintCase(
    'world-part-entities',
    'world kind `vector`, part 2 `entities`: its entity schemas [Unit] as a set (§7)',
    VectorUnit.descriptor,
    vectorKind.fingerprints.entities,
    { schemas: [schemaInfo(VectorUnit)] },
  ),
  fingerprintCase(
    'world-part-rpc',
    "world kind `vector`, part 3 `rpc`: its catalog's fingerprint (§15), the catalog of rpc.json",
    vectorRpcs.descriptor,
    vectorKind.fingerprints.rpc,
    { catalog: catalogInfo(vectorRpcs) },
  ),
  fingerprintCase(
    'world-part-input',
    'world kind `vector`, part 4 `input`: its input template Stick (§7)',
    Stick.descriptor,
    vectorKind.fingerprints.input,
    { schema: schemaInfo(Stick) },
  ),
  fingerprintCase(
    'world-part-state',
    'world kind `vector`, part 5 `state`: its state template Badge (§7)',
    Badge.descriptor,
    vectorKind.fingerprints.state,
    { schema: schemaInfo(Badge) },
  ),
  fingerprintCase(
    'world-part-rates',
    'world kind `vector`, part 6 `rates`: tickHz 20, sendHz 10',
    `tickHz ${vectorKind.tickHz} sendHz ${vectorKind.sendHz}`,
    vectorKind.fingerprints.rates,
  ),
  fingerprintCase(
    'world-part-channels',
    'part 7 `channels`, the same for every kind: the channel map of §13.1, one `<number> <kind>` line per channel',
    channelsText,
    vectorKind.fingerprints.channels,
  ),
  fingerprintCase(
    'world-fingerprint',
    "world kind `vector`: the fingerprint its hello names (§13, §13.2), FNV-1a 64 of the seven parts' hex digits joined by line feeds; these 8 bytes are the hello's",
    partsText,
    vectorKind.fingerprint,
    { parts: vectorKind.fingerprints },
  ),
];

// §9: reliable packets.

type ChannelSetup = {
  kind: 'reliable-ordered' | 'reliable-unordered' | 'unreliable' | 'unreliable-sequenced';
  compress?: boolean;
};

const vectorChannels: ChannelSetup[] = [
  { kind: 'reliable-ordered' },
  { kind: 'unreliable-sequenced' },
  { kind: 'unreliable' },
];
/** Level 6 raw DEFLATE (node:zlib), as compressorFromNodeZlib does by default. */
const vectorCompressor = compressorFromNodeZlib(zlib as NodeZlibModule);
const ENTRY_KINDS = ['reliable', 'sequenced', 'unreliable', 'ping'] as const;

/** A packet as the vectors describe it; messages on compressed channels also unpacked (§9.3). */
function describePacket(packet: Uint8Array, channels: readonly ChannelSetup[]) {
  const parsed = readPacket(packet);
  return {
    header: parsed.header,
    heldMs: parsed.heldMs,
    entries: parsed.entries.map((entry) => {
      const kind = ENTRY_KINDS[entry.kind]!;
      if (kind === 'ping') return { kind };
      const fragmented = entry.fragmentCount > 1;
      const described: Record<string, unknown> = { kind, channel: entry.channel };
      if (kind !== 'unreliable' || fragmented) described.id = entry.id;
      if (fragmented) described.fragment = { index: entry.fragmentIndex, count: entry.fragmentCount };
      described.payload = entry.payload.slice();
      if (channels[entry.channel]?.compress && !fragmented) {
        const flag = entry.payload[0];
        const body = entry.payload.subarray(1);
        described.compression = flag === 0 ? 'stored' : 'deflated';
        described.message = flag === 0 ? body.slice() : new Uint8Array(zlib.inflateRawSync(body));
      }
      return described;
    }),
  };
}

/**
 * The first packet a fresh endpoint writes (sequence 0) at `atMs` (default 0), over datagrams unless
 * `transportReliable`.
 */
function packetCase(
  name: string,
  note: string,
  send: (endpoint: ReliableEndpoint) => void,
  options: { transportReliable?: boolean; atMs?: number; channels?: ChannelSetup[] } = {},
): VectorCase {
  const channels = options.channels ?? vectorChannels;
  const compressed = channels.some((channel) => channel.compress);
  const endpoint = new ReliableEndpoint(
    {
      channels,
      transportReliable: options.transportReliable ?? false,
      ...(compressed ? { compressor: vectorCompressor } : {}),
    },
    0,
  );
  send(endpoint);
  const packet = endpoint.update(options.atMs ?? 0)[0]!;
  const given: Record<string, unknown> = {
    transport: options.transportReliable ? 'stream' : 'datagram',
    channels: channels.map((channel, index) => ({
      channel: index,
      kind: channel.kind,
      compress: channel.compress === true,
    })),
  };
  if (compressed)
    given.compression =
      'raw DEFLATE (RFC 1951), zlib level 6; any DEFLATE stream that inflates to the message is valid';
  return made(name, 'packet', note, given, packet.slice(), (bytes) => describePacket(bytes, channels));
}

const compressedChannels: ChannelSetup[] = [{ kind: 'reliable-ordered', compress: true }];
const compressibleText = 'position 10 20; '.repeat(8);

export const packetCases: VectorCase[] = [
  packetCase(
    'packet-keepalive',
    'a keepalive, what a fresh endpoint with nothing to send writes first: the header (sequence 0, ack 0, ackBits 0: nothing acknowledged), then one ping entry, the byte 03',
    () => {},
  ),
  packetCase('packet-reliable', "reliable-ordered channel 0, unit 0, payload 'hi' (6869)", (endpoint) => {
    endpoint.send(0, new TextEncoder().encode('hi'), 0);
  }),
  packetCase(
    'packet-mixed',
    'sequenced message 0 on channel 1 (payload 09) and an unreliable 010203 on channel 2 (no id)',
    (endpoint) => {
      endpoint.send(1, new Uint8Array([9]), 0);
      endpoint.send(2, new Uint8Array([1, 2, 3]), 0);
    },
  ),
  packetCase(
    'packet-fragment',
    'first fragment (index 0 of 2, 1024 bytes) of a 1500-byte reliable message of 07 bytes, unit 0',
    (endpoint) => {
      endpoint.send(0, new Uint8Array(1500).fill(7), 0);
    },
  ),
  packetCase(
    'packet-held',
    "over a stream, 7 ms after the peer's packet 0 (a keepalive ping) arrived: acks it (ack 0, ackBits 1), held time 7 ms (0b 07), then a sequenced message 05 on channel 1",
    (endpoint) => {
      const peer = new ReliableEndpoint({ channels: vectorChannels, transportReliable: true }, 0);
      endpoint.receive(peer.update(1_000)[0]!, 0);
      endpoint.send(1, new Uint8Array([5]), 7);
    },
    { transportReliable: true, atMs: 7 },
  ),
  packetCase(
    'packet-compressed-deflated',
    `a compressed reliable-ordered channel 0: the ${compressibleText.length}-byte message '${compressibleText.slice(0, 16)}' × 8 deflates smaller, so its payload is 01 then the raw DEFLATE stream`,
    (endpoint) => {
      endpoint.send(0, new TextEncoder().encode(compressibleText), 0);
    },
    { channels: compressedChannels },
  ),
  packetCase(
    'packet-compressed-stored',
    "the same channel: 'hi' (6869) would not get smaller, so its payload is 00 then the message as it is",
    (endpoint) => {
      endpoint.send(0, new TextEncoder().encode('hi'), 0);
    },
    { channels: compressedChannels },
  ),
];

// §10: connect tokens, the handshake, protected packets.

/** Deterministic stand-in for random bytes: 0, 1, 2, … so vectors never change between runs. */
function countingBytes(): (length: number) => Uint8Array {
  let next = 0;
  return (length) => Uint8Array.from({ length }, () => next++ & 0xff);
}

const vectorAead = aeadFromNodeCrypto(nodeCrypto);
const vectorKeys = { protocolId: 0x5348_0001, privateKey: new Uint8Array(32).fill(0x42), aead: vectorAead };
const VECTOR_SERVER = 'udp://127.0.0.1:40000';
const VECTOR_CLIENT = 'udp://127.0.0.1:5000';
const VECTOR_NOW_MS = 1_700_000_000_000;
const VECTOR_CLOCK_MS = 1_700_000_000_000;
const challengeKey = new Uint8Array(32).fill(0x17);
const grant = {
  clientId: 'player-1',
  userData: Uint8Array.of(1, 2, 3),
  world: 'arena/1',
  serverAddresses: [VECTOR_SERVER],
  expiresInMs: 30_000,
};
const vectorToken = issueConnectToken(grant, vectorKeys, VECTOR_NOW_MS, countingBytes());
const tokenFields = readConnectToken(vectorToken);
const vectorClient = new HandshakeClient(vectorToken, vectorAead, true);
const vectorRequest = vectorClient.update(VECTOR_NOW_MS)[0]!;
const vectorServer = new HandshakeServer({
  ...vectorKeys,
  addresses: [VECTOR_SERVER],
  secure: true,
  challengeKey,
});
const vectorChallenge = vectorServer.handle(VECTOR_CLIENT, vectorRequest, VECTOR_NOW_MS, () => undefined);
const challengeReply = vectorChallenge.kind === 'challenge' ? vectorChallenge.reply : new Uint8Array(0);
const vectorResponse = vectorClient.handle(challengeReply, VECTOR_NOW_MS)[0] ?? new Uint8Array(0);
const vectorData = (vectorClient.protection as PacketProtection).protect(
  PacketType.Data,
  Uint8Array.of(1, 2, 3),
);

/** The token's sealed private part, opened (§10.1). */
const privatePart = openPrivateToken(
  tokenFields.sealedPrivate,
  tokenFields.nonce,
  tokenFields.expiresAtMs,
  vectorKeys,
)!;
const privateValue = {
  clientId: privatePart.clientId,
  timeoutMs: privatePart.timeoutMs,
  serverAddresses: privatePart.serverAddresses,
  clientToServerKey: privatePart.clientToServerKey,
  serverToClientKey: privatePart.serverToClientKey,
  userData: privatePart.userData,
  world: privatePart.world,
};
/** The challenge token the server sealed (§10.3), field by field, as the handshake made it. */
const challengeTokenValue = {
  tokenTag: toHex(tokenFields.sealedPrivate.subarray(tokenFields.sealedPrivate.length - 16)),
  clientId: grant.clientId,
  userData: grant.userData,
  world: grant.world,
  clientToServerKey: tokenFields.clientToServerKey,
  serverToClientKey: tokenFields.serverToClientKey,
  timeoutMs: tokenFields.timeoutMs,
  address: VECTOR_CLIENT,
  issuedAtMs: VECTOR_NOW_MS,
};
const tokenKeys = { protocolId: vectorKeys.protocolId, privateKey: vectorKeys.privateKey };

const tokenValue = {
  magic: 'SLT1',
  protocolId: tokenFields.protocolId,
  createdAtMs: tokenFields.createdAtMs,
  expiresAtMs: tokenFields.expiresAtMs,
  nonce: tokenFields.nonce,
  timeoutMs: tokenFields.timeoutMs,
  serverAddresses: tokenFields.serverAddresses,
  clientToServerKey: tokenFields.clientToServerKey,
  serverToClientKey: tokenFields.serverToClientKey,
  private: privateValue,
};

export const connectionCases: VectorCase[] = [
  made(
    'connect-token',
    'connect-token',
    "token for 'player-1' (user data 010203, world 'arena/1') to udp://127.0.0.1:40000, issued at 1.7e12 ms for 30 s; the keys and the nonce were drawn from a counting source (bytes 0, 1, 2, …: client-to-server key 00..1f, server-to-client key 20..3f, nonce 40..4b); the private part opens under `given.privateKey`",
    { ...tokenKeys, random: 'bytes 0, 1, 2, … drawn in order: clientToServerKey, serverToClientKey, nonce' },
    vectorToken,
    (bytes) => {
      const token = readConnectToken(bytes);
      const opened = openPrivateToken(token.sealedPrivate, token.nonce, token.expiresAtMs, vectorKeys)!;
      const { sealedPrivate: _sealed, ...fields } = token;
      const { clientId, timeoutMs, serverAddresses, clientToServerKey, serverToClientKey, userData, world } =
        opened;
      const opens = {
        clientId,
        timeoutMs,
        serverAddresses,
        clientToServerKey,
        serverToClientKey,
        userData,
        world,
      };
      return { magic: 'SLT1', ...fields, private: opens };
    },
    { value: tokenValue },
  ),
  made(
    'request',
    'request',
    'the connect request carrying that token: type 1, magic, protocolId, expiresAtMs, nonce, sealed private part (1053 bytes)',
    tokenKeys,
    vectorRequest,
    undefined,
    {
      value: {
        type: 1,
        magic: 'SLT1',
        protocolId: tokenFields.protocolId,
        expiresAtMs: tokenFields.expiresAtMs,
        nonce: tokenFields.nonce,
        private: privateValue,
      },
    },
  ),
  made(
    'denied-token-expired',
    'denied',
    'a denial: type 2, reason 6 (token-expired)',
    {},
    writeDenied('token-expired'),
    (bytes) => ({ type: bytes[0], code: bytes[1], reason: readDenied(bytes) }),
  ),
  made(
    'challenge',
    'challenge',
    "the challenge for that request, from 127.0.0.1:5000 at 1.7e12 ms: type 3, packet sequence 0, then sealed under the token's server-to-client key with nonce (1, 0): challenge sequence 0 and the challenge token sealed under the server's challenge key (32 × 17) with nonce (0, 0)",
    {
      protocolId: vectorKeys.protocolId,
      serverToClientKey: tokenFields.serverToClientKey,
      challengeKey,
    },
    challengeReply,
    undefined,
    { value: { type: 3, sequence: 0, challengeSequence: 0, challengeToken: challengeTokenValue } },
  ),
  made(
    'response',
    'response',
    "the client's response to that challenge: type 4, challenge sequence 0, the sealed challenge token as received (it opens under the challenge key)",
    { protocolId: vectorKeys.protocolId, challengeKey },
    vectorResponse,
    undefined,
    { value: { type: 4, challengeSequence: 0, challengeToken: challengeTokenValue } },
  ),
  made(
    'data-packet',
    'protected',
    "a Data packet (type 6) of the client's first sequence number, 0, its payload 010203 sealed under the client-to-server key with nonce (0, 0)",
    { protocolId: vectorKeys.protocolId, key: tokenFields.clientToServerKey, keyName: 'clientToServerKey' },
    vectorData,
    undefined,
    { value: { type: PacketType.Data, sequence: 0, payload: Uint8Array.of(1, 2, 3) } },
  ),
  made(
    'message-packet',
    'message-packet',
    'a Message packet (streams only, server to client): the message 010203 on channel 1',
    {},
    writeMessagePacket(1, Uint8Array.of(1, 2, 3)),
    (bytes) => ({ type: bytes[0], channel: bytes[1], message: bytes.slice(2) }),
  ),
];

// §11–§14: world sessions.

const vectorWorldSchema = new WorldSchema([VectorUnit]);
/** A world snapshot as the vectors hold it: the tick and each schema's entities by schema name. */
const worldEntities = (snapshot: WorldSnapshot) =>
  Object.fromEntries(
    vectorWorldSchema.schemas.map((schema, s) => [schema.name, entriesOf(snapshot.snapshots[s]!)]),
  );

/**
 * A server world of Units sending to one client for `ticks` ticks (10 Hz, ticks at 100 ms, 200 ms, …);
 * the vector is its last message. The client's side decodes every message, so the baseline and prior
 * the last one needs are given as the client holds them.
 */
function worldCase(
  name: string,
  note: string,
  build: (world: ServerWorld) => void,
  ticks: number,
  acknowledge: boolean,
): VectorCase {
  const world = new ServerWorld({ schemas: [VectorUnit], tickHz: 10 }, 0);
  world.addClient('c');
  build(world);
  const decoded = new Map<number, WorldSnapshot>();
  let last: Uint8Array = new Uint8Array(0);
  let header: ReturnType<typeof readWorldSnapshotHeader> | undefined;
  for (let tick = 1; tick <= ticks; tick++) {
    const [out] = world.update(tick * 100);
    last = out!.bytes.slice();
    const reader = new BitReader(last);
    header = readWorldSnapshotHeader(reader);
    const baseline = header.baselineTick === undefined ? undefined : decoded.get(header.baselineTick);
    const prior = header.priorTick === undefined ? undefined : decoded.get(header.priorTick);
    if (tick < ticks) {
      decoded.set(
        header.tick,
        readWorldSnapshotBody(reader, vectorWorldSchema, header.tick, baseline, prior),
      );
      if (acknowledge) world.acknowledge('c', tick);
    }
  }
  const baseline = header!.baselineTick === undefined ? undefined : decoded.get(header!.baselineTick)!;
  const prior = header!.priorTick === undefined ? undefined : decoded.get(header!.priorTick)!;
  const given = {
    schemas: vectorWorldSchema.schemas.map(schemaInfo),
    baseline: baseline ? { tick: baseline.tick, entities: worldEntities(baseline) } : null,
    prior: prior ? { tick: prior.tick, entities: worldEntities(prior) } : null,
  };
  const decode = (message: Uint8Array) => {
    const reader = new BitReader(message);
    const { tick, baselineTick, priorTick } = readWorldSnapshotHeader(reader);
    const snapshot = readWorldSnapshotBody(reader, vectorWorldSchema, tick, baseline, prior);
    return {
      tick,
      baselineTick: baselineTick ?? null,
      priorSpan: baselineTick === undefined ? null : priorTick === undefined ? 0 : baselineTick - priorTick,
      entities: worldEntities(snapshot),
    };
  };
  return made(name, 'world-snapshot', note, plain(given) as Record<string, unknown>, last, decode, {
    bitPacked: true,
  });
}

const published = { sequence: 5, timeMs: 123_456, state: VectorUnit.create({ hp: 9 }) };
const seatToken = Uint8Array.from({ length: 16 }, (_, i) => i);
const unitGiven = { schema: schemaInfo(VectorUnit) };
/** The connect token a redirect (§13) hands over: the world the player now is in, on another server. */
const redirectGrant = {
  clientId: 'player-1',
  world: 'dungeon/2',
  serverAddresses: ['ws://127.0.0.1:8081', 'udp://127.0.0.1:8082'],
  expiresInMs: 15_000,
};

const inputWriter = new BitWriter();
writeInput(inputWriter, VectorUnit, 7, 3, VectorUnit.create({ x: 1.5, y: -2, hp: 50 }));

// A synchronized client's clock ping (§11.1): one pong taken (sent at 1,000, answered at server
// time 1.7e12, back at 1,020), then a ping at 1,250 reporting a 75 ms view delay.
const clock = new TimeSync();
clock.receivePong(answerPing(clock.update(1_000)!, VECTOR_CLOCK_MS)!, 1_020);
const clockPing = clock.update(1_250, 75)!;

export const worldCases: VectorCase[] = [
  worldCase(
    'world-full',
    "tick 1 of a world with two units (ids 1 and 2), nothing acknowledged: a full state (baseline 0xffffffff, no prior span), then Unit's §6 snapshot with two spawns",
    (world) => {
      world.spawn(VectorUnit, VectorUnit.create({ x: 10, y: 20, hp: 100 }));
      world.spawn(VectorUnit, VectorUnit.create({ x: -5, hp: 80 }));
    },
    1,
    false,
  ),
  worldCase(
    'world-delta',
    'tick 3 after ticks 1 and 2 were acknowledged, unit 1 moving each tick: a delta against tick 2, predicted from tick 1 (the baseline of tick 2; prior span 1, steps 1); `given` holds both as the client decoded them',
    (world) => {
      const id = world.spawn(VectorUnit, VectorUnit.create({ x: 10, y: 20, hp: 100 }));
      world.spawn(VectorUnit, VectorUnit.create({ x: -5, hp: 80 }));
      world.onTick = (tick) => world.set(id, { x: 10 + tick });
    },
    3,
    true,
  ),
  made(
    'input',
    'input',
    'input for entity 7, sequence 3, declared as Unit: varuint(7) id, uint(16) sequence, the struct in full (§12)',
    unitGiven,
    inputWriter.toBytes(),
    (bytes) => readInput(VectorUnit, bytes),
    { bitPacked: true },
  ),
  made(
    'input-stream',
    'input-stream',
    'inputs 41, 40, 39 of a Stick stream (newest first): uint(16) newest, uint(4) count − 1, the structs (§12.1)',
    { schema: schemaInfo(Stick) },
    encodeInputs(Stick, 41, [
      { dx: 1, fire: true },
      { dx: 1, fire: false },
      { dx: 0, fire: false },
    ]),
    (bytes) => decodeInputs(Stick, bytes),
    { bitPacked: true },
  ),
  made(
    'clock-ping',
    'clock-ping',
    'client clock 1250, estimate of the server clock 1.7e12 + 240 (its pong + half the 20 ms trip + 230 ms since), view delay 75 (§11.1)',
    {},
    clockPing,
    (bytes) => ({ type: bytes[0], ...readPing(bytes) }),
  ),
  made(
    'clock-pong',
    'clock-pong',
    'the answer at server time 1.7e12 + 300: 02, the echoed client clock, the server clock (§11.1)',
    {},
    answerPing(clockPing, VECTOR_CLOCK_MS + 300)!,
    (bytes) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return { type: bytes[0], clientSentMs: view.getFloat64(1, true), serverMs: view.getFloat64(9, true) };
    },
  ),
  made(
    'seat-hello',
    'seat-message',
    'hello for a new seat, naming world fingerprint 0123456789abcdef (§13)',
    {},
    encodeSeatMessage({ type: 'hello', fingerprint: '0123456789abcdef', token: undefined }),
    decodeSeatMessage,
  ),
  made(
    'seat-hello-rejoin',
    'seat-message',
    'hello with the fingerprint and a reconnect token 00..0f: take the seat back (§13)',
    {},
    encodeSeatMessage({ type: 'hello', fingerprint: '0123456789abcdef', token: seatToken }),
    decodeSeatMessage,
  ),
  made(
    'seat-welcome',
    'seat-message',
    'welcome: resumed, new token 00..0f, seat "s12"',
    {},
    encodeSeatMessage({ type: 'welcome', resumed: true, token: seatToken, seat: 's12' }),
    decodeSeatMessage,
  ),
  made(
    'seat-left',
    'seat-message',
    'left: seat "s7" given up after its grace period (reason timeout, code 3)',
    {},
    encodeSeatMessage({ type: 'left', reason: 'timeout', seat: 's7' }),
    decodeSeatMessage,
  ),
  made(
    'seat-owns',
    'seat-message',
    'owns: this seat now has the input of entities 5 and 300 (gained 1, count 2, varuints) (§13)',
    {},
    encodeSeatMessage({ type: 'owns', gained: true, entities: [5, 300] }),
    decodeSeatMessage,
  ),
  made(
    'seat-mismatch',
    'seat-message',
    "mismatch: the server's world kind `vector` and its seven parts (fingerprints.json, world-part-* and world-fingerprint) (§13)",
    {},
    encodeSeatMessage({ type: 'mismatch', kind: vectorKind.name, fingerprints: vectorKind.fingerprints }),
    decodeSeatMessage,
  ),
  made(
    'seat-redirect',
    'seat-message',
    "redirect: the player walked through a portal into world 'dungeon/2' (kind `dungeon`), arriving at portal 'north-gate'; connect to ws://127.0.0.1:8081 or udp://127.0.0.1:8082 with the token (u16 length 1170, then a §10.1 connect token for 'player-1' naming that world, issued at 1.7e12 ms for 15 s, sealed under connection.json's private key with its keys and nonce drawn from a fresh counting source) (§13)",
    {},
    encodeSeatMessage({
      type: 'redirect',
      world: redirectGrant.world,
      kind: 'dungeon',
      portal: 'north-gate',
      addresses: redirectGrant.serverAddresses,
      token: issueConnectToken(redirectGrant, vectorKeys, VECTOR_NOW_MS, countingBytes()),
    }),
    decodeSeatMessage,
  ),
  made(
    'input-ack',
    'input-ack',
    'input acknowledgement: by the end of tick 1200 the server had applied input 41 (u32, u16 little-endian; §12.1)',
    {},
    encodeInputAck(1_200, 41),
    decodeInputAck,
  ),
  made(
    'state-publish',
    'state-publish',
    'a client publishes its Unit template: sequence 5, time 123456 ms, hp 9 (§14)',
    unitGiven,
    encodePublish(VectorUnit, published),
    (bytes) => decodePublish(VectorUnit, bytes, false),
    { bitPacked: true },
  ),
  made(
    'state-relay',
    'state-relay',
    'the server relays it to the other seats with the publisher seat "s7" in front',
    unitGiven,
    encodePublish(VectorUnit, published, 's7'),
    (bytes) => decodePublish(VectorUnit, bytes, true),
    { bitPacked: true },
  ),
];

// §15: RPC and events.

const { useItem, toast, wave } = vectorRpcs.definitions;
/** A decoded RPC message as plain data: the definition by kind and name. */
const describeRpc = (bytes: Uint8Array) => {
  const message = decodeRpcMessage(vectorRpcs, bytes);
  const { kind, ...rest } = message;
  const definition = 'rpc' in rest ? rest.rpc : rest.event;
  const { rpc: _rpc, event: _event, ...fields } = rest as Record<string, unknown>;
  return { kind, name: definition.name, id: definition.id, ...fields };
};
const catalogGiven = { catalog: catalogInfo(vectorRpcs) };

function rpcCase(name: string, note: string, bytes: Uint8Array): VectorCase {
  return made(name, 'rpc', note, catalogGiven, bytes, describeRpc, { bitPacked: true });
}

export const rpcCases: VectorCase[] = [
  rpcCase(
    'rpc-call-with-reply',
    'call of useItem (id 1: ids follow the sorted names toast, useItem, wave): kind 0, id, call id 5, then the params (§15)',
    encodeCall(useItem, 5, { slot: 3, x: -1.5 }),
  ),
  rpcCase(
    'rpc-call',
    'call of the to-client toast (no reply): kind 0, id 0, the params, no call id',
    encodeCall(toast, undefined, { text: 'hi' }),
  ),
  rpcCase(
    'rpc-reply',
    'reply to call 5 of useItem: kind 1, id 1, call id, the reply',
    encodeReply(useItem, 5, { ok: true, left: 4 }),
  ),
  rpcCase(
    'rpc-failure',
    'call 5 of useItem failed: kind 2, id 1, call id, failure code 1 (RPC_BAD_PARAMS) in uint(3)',
    encodeFailure(useItem, 5, 'RPC_BAD_PARAMS'),
  ),
  rpcCase(
    'rpc-event-broadcast',
    'event wave (id 2) from the server to every peer, in order: kind 3, id 2, broadcast 1, in order 1, time float64 1.7e12, sender "", params {at: −3}',
    encodeEvent(wave, { broadcast: true, inOrder: true }, 1_700_000_000_000, '', { at: -3 }),
  ),
  rpcCase(
    'rpc-event-relayed',
    'event wave {at: 12} that seat "s7" sent to everyone, out of order, at its time 1234.5, as the server relays it: kind 3, id 2, broadcast 1, in order 0, the time, sender "s7", params',
    encodeEvent(wave, { broadcast: true, inOrder: false }, 1234.5, 's7', { at: 12 }),
  ),
];

export const vectorFiles: Record<string, VectorCase[]> = {
  bitstream: bitstreamCases,
  fields: fieldCases,
  snapshots: snapshotCases,
  fingerprints: fingerprintCases,
  packets: packetCases,
  connection: connectionCases,
  world: worldCases,
  rpc: rpcCases,
};
