/**
 * Golden wire vectors: each case encodes a value with the real code. `npm run vectors` writes them to
 * docs/wire/vectors/*.json; vectors.test.ts fails when code and committed vectors disagree.
 */
import * as nodeCrypto from 'node:crypto';
import {
  aeadFromNodeCrypto,
  answerPing,
  BitReader,
  type BitSink,
  BitWriter,
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
  HandshakeClient,
  HandshakeServer,
  issueConnectToken,
  type PacketProtection,
  PacketType,
  Quantizer,
  QuaternionQuantizer,
  ReliableEndpoint,
  readConnectToken,
  readDenied,
  readFingerprint,
  readInput,
  readPacket,
  readPing,
  readWorldSnapshotHeader,
  rpc,
  ServerWorld,
  SnapshotCodec,
  TimeSync,
  t,
  writeDenied,
  writeFingerprint,
  writeInput,
  writeMessagePacket,
} from '@shardline/core';

export interface VectorCase {
  name: string;
  /** What the bytes show, for a reader of the JSON. */
  note: string;
  value: unknown;
  encode(sink: BitSink): void;
  /** Reads the bytes back; the test checks the result against `value` with `same`. */
  decode(reader: BitReader): unknown;
  same?(decoded: unknown, value: unknown): boolean;
}

const position = new Quantizer({ min: -4096, max: 4096, bits: 19 });
const rotation = new QuaternionQuantizer(10);

function near(tolerance: number) {
  return (a: unknown, b: unknown) =>
    JSON.stringify(a, (_, v) => (typeof v === 'number' ? Math.round(v / tolerance) : v)) ===
    JSON.stringify(b, (_, v) => (typeof v === 'number' ? Math.round(v / tolerance) : v));
}

function fieldCase<T>(name: string, note: string, field: FieldType<T>, value: T): VectorCase {
  return {
    name,
    note: `${note} [${field.descriptor}]`,
    value,
    encode: (sink) => field.write(sink, value),
    decode: (reader) => field.read(reader),
    same: (a, b) => field.equals(a as T, b as T),
  };
}

function deltaCase<T>(name: string, note: string, field: FieldType<T>, base: T, value: T): VectorCase {
  return {
    name,
    note: `${note} [${field.descriptor}]`,
    value: { base, value },
    encode: (sink) => field.writeDelta(sink, value, base),
    decode: (reader) => ({ base, value: field.readDelta(reader, base) }),
    same: (a, b) => field.equals((a as { value: T }).value, (b as { value: T }).value),
  };
}

export const bitstreamCases: VectorCase[] = [
  {
    name: 'uint-bit-order',
    note: 'writeUint(1, 1), writeUint(5, 3), writeUint(0xabc, 12): LSB-first, little-endian bytes',
    value: [1, 5, 0xabc],
    encode: (s) => {
      s.writeUint(1, 1);
      s.writeUint(5, 3);
      s.writeUint(0xabc, 12);
    },
    decode: (r) => [r.readUint(1), r.readUint(3), r.readUint(12)],
  },
  {
    name: 'uint32-unaligned',
    note: 'writeBool(true) then writeUint(0xdeadbeef, 32): a value straddling bytes',
    value: [true, 0xdeadbeef],
    encode: (s) => {
      s.writeBool(true);
      s.writeUint(0xdeadbeef, 32);
    },
    decode: (r) => [r.readBool(), r.readUint(32)],
  },
  {
    name: 'int-twos-complement',
    note: 'writeInt(-3, 5), writeInt(100, 8)',
    value: [-3, 100],
    encode: (s) => {
      s.writeInt(-3, 5);
      s.writeInt(100, 8);
    },
    decode: (r) => [r.readInt(5), r.readInt(8)],
  },
  {
    name: 'varuint',
    note: 'writeVarUint(300): 7-bit groups low first, each followed by a continuation bit',
    value: 300,
    encode: (s) => s.writeVarUint(300),
    decode: (r) => r.readVarUint(),
  },
  {
    name: 'varuint-4bit-groups',
    note: 'writeVarUint(37, 4): 4-bit groups, each followed by a continuation bit',
    value: 37,
    encode: (s) => s.writeVarUint(37, 4),
    decode: (r) => r.readVarUint(4),
  },
  {
    name: 'varint-zigzag',
    note: 'writeVarInt(-2): zigzag 3, then varuint',
    value: -2,
    encode: (s) => s.writeVarInt(-2),
    decode: (r) => r.readVarInt(),
  },
  {
    name: 'nonzero-uint',
    note: 'writeNonZeroUint(42, 19): bit length 6 as 5 in 5 bits, then the low 5 bits of 42',
    value: 42,
    encode: (s) => s.writeNonZeroUint(42, 19),
    decode: (r) => r.readNonZeroUint(19),
  },
  {
    name: 'expgolomb-order0',
    note: 'writeExpGolomb of 0, 1, 5 at order 0: 1, then 010, then 00110 (zeros, the top 1, low bits)',
    value: [0, 1, 5],
    encode: (s) => {
      for (const value of [0, 1, 5]) s.writeExpGolomb(value, 0);
    },
    decode: (r) => [r.readExpGolomb(0), r.readExpGolomb(0), r.readExpGolomb(0)],
  },
  {
    name: 'expgolomb-order2-max',
    note: 'writeExpGolomb(13, 2) then writeExpGolomb(2^32 - 1, 2): 30 leading zeros, then 33 bits of x',
    value: [13, 0xffff_ffff],
    encode: (s) => {
      s.writeExpGolomb(13, 2);
      s.writeExpGolomb(0xffff_ffff, 2);
    },
    decode: (r) => [r.readExpGolomb(2), r.readExpGolomb(2)],
  },
  {
    name: 'float32',
    note: 'writeFloat32(1.5)',
    value: 1.5,
    encode: (s) => s.writeFloat32(1.5),
    decode: (r) => r.readFloat32(),
  },
  {
    name: 'float64',
    note: 'writeFloat64(-0.1): low 32-bit word first',
    value: -0.1,
    encode: (s) => s.writeFloat64(-0.1),
    decode: (r) => r.readFloat64(),
  },
  {
    name: 'string',
    note: "writeString('héllo', 31): length in 5 bits, then UTF-8 bytes",
    value: 'héllo',
    encode: (s) => s.writeString('héllo', 31),
    decode: (r) => r.readString(31),
  },
  {
    name: 'bytes-unaligned',
    note: 'writeBool(false) then writeBytes([1, 2, 255], 4): length in 3 bits, bytes not byte-aligned',
    value: [false, [1, 2, 255]],
    encode: (s) => {
      s.writeBool(false);
      s.writeBytes(new Uint8Array([1, 2, 255]), 4);
    },
    decode: (r) => [r.readBool(), [...r.readBytes(4)]],
  },
  {
    name: 'quantized',
    note: 'writeQuantized(100.25, [-4096, 4096] in 19 bits)',
    value: 100.25,
    encode: (s) => s.writeQuantized(100.25, position),
    decode: (r) => r.readQuantized(position),
    same: near(position.step),
  },
  {
    name: 'vec3',
    note: 'writeVec3({x: 1, y: -2, z: 3.5}, [-4096, 4096] in 19 bits)',
    value: { x: 1, y: -2, z: 3.5 },
    encode: (s) => s.writeVec3({ x: 1, y: -2, z: 3.5 }, position),
    decode: (r) => r.readVec3(position),
    same: near(position.step),
  },
  {
    name: 'quaternion',
    note: 'writeQuaternion(90° about y, 10 bits): largest index 3 (w), then x, y, z',
    value: { x: 0, y: Math.SQRT1_2, z: 0, w: Math.SQRT1_2 },
    encode: (s) => s.writeQuaternion({ x: 0, y: Math.SQRT1_2, z: 0, w: Math.SQRT1_2 }, rotation),
    decode: (r) => r.readQuaternion(rotation),
    same: near(0.01),
  },
];

const stats = t.struct({ strength: t.u8(), agility: t.quantized({ min: 0, max: 1, bits: 8 }) });

export const fieldCases: VectorCase[] = [
  fieldCase('bool', 'true', t.bool(), true),
  fieldCase('u8', '200', t.u8(), 200),
  fieldCase('i16', '-1234', t.i16(), -1234),
  fieldCase('int-range', '42 in [0, 100]: 7 bits of value - min', t.int({ min: 0, max: 100 }), 42),
  fieldCase(
    'enum',
    "'scared' of calm|angry|scared: index 2 in 2 bits",
    t.enum(['calm', 'angry', 'scared']),
    'scared',
  ),
  fieldCase('entity', 'reference to entity 17', t.entity(), 17),
  fieldCase('entity-null', 'no reference', t.entity(), null),
  fieldCase('angle', 'π/2 in 16 bits', t.angle(), Math.PI / 2),
  fieldCase('vec2', '(1.5, -2.25) at precision 0.01', t.vec2({ min: -100, max: 100, precision: 0.01 }), {
    x: 1.5,
    y: -2.25,
  }),
  fieldCase('array-variable', '[7, 8, 9] of u16, at most 6', t.array(t.u16(), { maxLength: 6 }), [7, 8, 9]),
  fieldCase('array-fixed', '[255, 128, 0] of u8, exactly 3', t.array(t.u8(), { length: 3 }), [255, 128, 0]),
  fieldCase('struct', '{strength: 12, agility: 0.5}', stats, { strength: 12, agility: 0.5 }),
  fieldCase('optional-present', '{strength: 3, agility: 1}', t.optional(stats), { strength: 3, agility: 1 }),
  fieldCase('optional-absent', 'null', t.optional(stats), null),
  deltaCase(
    'delta-quantized-relative',
    'x from 100 to 100.5 in 19 bits: zigzagged code difference as a non-zero length-prefixed uint',
    t.quantized({ min: -4096, max: 4096, bits: 19 }),
    100,
    100.5,
  ),
  deltaCase('delta-angle-seam', 'angle from +179.9° to -179.9°: wraps, stays short', t.angle(), 3.14, -3.14),
  deltaCase('delta-bool', 'true to false: zero bits', t.bool(), true, false),
  deltaCase(
    'delta-vec2',
    '(1, 1) to (1, 2): x unchanged (0 bit), y changed (1 bit + relative code)',
    t.vec2({ min: -100, max: 100, precision: 0.01 }),
    { x: 1, y: 1 },
    { x: 1, y: 2 },
  ),
  deltaCase(
    'delta-quat-small',
    'a 1° turn about y: same largest component (1 bit), then per code a changed bit and a relative code',
    t.quat(),
    { x: 0, y: Math.sin(0.1), z: 0, w: Math.cos(0.1) },
    { x: 0, y: Math.sin(0.1 + Math.PI / 360), z: 0, w: Math.cos(0.1 + Math.PI / 360) },
  ),
  deltaCase(
    'delta-quat-flip',
    'a half turn: the largest component changes, so a 0 bit and the full value follow',
    t.quat(),
    { x: 0, y: 0, z: 0, w: 1 },
    { x: 0, y: 1, z: 0, w: 0 },
  ),
  deltaCase(
    'delta-struct',
    'strength 12 → 13, agility unchanged: mask 0b01, then strength in full (u8 deltas are absolute)',
    stats,
    { strength: 12, agility: 0.5 },
    { strength: 13, agility: 0.5 },
  ),
];

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
const sameSnapshot = (a: unknown, b: unknown) =>
  near(1 / 32)([...(a as UnitSnapshot).entries()], [...(b as UnitSnapshot).entries()]);
/** The snapshots as readable JSON for the vector files. */
const entriesOf = (snapshot: UnitSnapshot) => Object.fromEntries(snapshot.entries());

export const snapshotCases: VectorCase[] = [
  {
    name: 'snapshot-full',
    note: 'entities 3 and 7 against the empty baseline: 0 despawns, 2 spawns with full states, 0 updates',
    value: entriesOf(worldA),
    encode: (s) => snapshots.encode(s, worldA),
    decode: (r) => snapshots.decode(r).snapshot,
    same: (decoded) => sameSnapshot(decoded, worldA),
  },
  {
    name: 'snapshot-delta',
    note: 'against entities 3 and 7: despawn 3, spawn 12, update 7 (x and hp changed)',
    value: entriesOf(worldB),
    encode: (s) => snapshots.encode(s, worldB, worldA),
    decode: (r) => snapshots.decode(r, worldA).snapshot,
    same: (decoded) => sameSnapshot(decoded, worldB),
  },
  {
    name: 'snapshot-predicted',
    note: 'against worldB, predicted from worldA one tick before it (span 1, steps 1): update 7, whose x residual is 0',
    value: entriesOf(worldC),
    encode: (s) => snapshots.encode(s, worldC, worldB, { prior: worldA, span: 1, steps: 1 }),
    decode: (r) => snapshots.decode(r, worldB, { prior: worldA, span: 1, steps: 1 }).snapshot,
    same: (decoded) => sameSnapshot(decoded, worldC),
  },
  {
    name: 'fingerprint',
    note: `Unit's fingerprint ${VectorUnit.fingerprint} (FNV-1a 64 of its descriptor) as two 32-bit words, high first`,
    value: VectorUnit.fingerprint,
    encode: (s) => writeFingerprint(s, VectorUnit.fingerprint),
    decode: (r) => {
      const high = r.readUint(32).toString(16).padStart(8, '0');
      return high + r.readUint(32).toString(16).padStart(8, '0');
    },
  },
];

const vectorChannels = [
  { kind: 'reliable-ordered' as const },
  { kind: 'unreliable-sequenced' as const },
  { kind: 'unreliable' as const },
];

/**
 * Packets as a fresh endpoint writes them: its first packet, sequence 0, at `atMs` (default 0),
 * over datagrams unless `transportReliable`.
 */
function packetCase(
  name: string,
  note: string,
  send: (endpoint: ReliableEndpoint) => void,
  options: { transportReliable?: boolean; atMs?: number } = {},
): VectorCase {
  const endpoint = new ReliableEndpoint(
    { channels: vectorChannels, transportReliable: options.transportReliable ?? false },
    0,
  );
  send(endpoint);
  const packet = endpoint.update(options.atMs ?? 0)[0]!;
  const parsed = readPacket(packet);
  const value = {
    header: parsed.header,
    entries: parsed.entries.map((entry) => ({ ...entry, payload: [...entry.payload] })),
    heldMs: parsed.heldMs,
  };
  return {
    name,
    note,
    value,
    encode: (sink) => sink.writeRawBytes(packet),
    decode: (reader) => {
      const bytes = reader.readRawBytes(reader.remainingBits / 8);
      const again = readPacket(bytes);
      return {
        header: again.header,
        entries: again.entries.map((entry) => ({ ...entry, payload: [...entry.payload] })),
        heldMs: again.heldMs,
      };
    },
  };
}

export const packetCases: VectorCase[] = [
  packetCase('packet-keepalive', 'header only: sequence 0, ack 0, ackBits 0', () => {}),
  packetCase('packet-reliable', "reliable-ordered channel 0, unit 0, payload 'hi'", (endpoint) => {
    endpoint.send(0, new TextEncoder().encode('hi'), 0);
  }),
  packetCase(
    'packet-mixed',
    'sequenced message 0 on channel 1 and an unreliable [1, 2, 3] on channel 2 (no id)',
    (endpoint) => {
      endpoint.send(1, new Uint8Array([9]), 0);
      endpoint.send(2, new Uint8Array([1, 2, 3]), 0);
    },
  ),
  packetCase(
    'packet-fragment',
    'first fragment (index 0 of 2) of a 1500-byte reliable message',
    (endpoint) => {
      endpoint.send(0, new Uint8Array(1500).fill(7), 0);
    },
  ),
  packetCase(
    'packet-held',
    "over a stream, 7 ms after the peer's packet 0 (a ping) arrived: acks it, held 7 ms, then a sequenced message",
    (endpoint) => {
      const peer = new ReliableEndpoint({ channels: vectorChannels, transportReliable: true }, 0);
      endpoint.receive(peer.update(1_000)[0]!, 0);
      endpoint.send(1, new Uint8Array([5]), 7);
    },
    { transportReliable: true, atMs: 7 },
  ),
];

export const vectorFiles: Record<string, VectorCase[]> = {
  bitstream: bitstreamCases,
  fields: fieldCases,
  snapshots: snapshotCases,
  packets: packetCases,
};

/** Deterministic stand-in for random bytes: 0, 1, 2, … so vectors never change between runs. */
function countingBytes(): (length: number) => Uint8Array {
  let next = 0;
  return (length) => Uint8Array.from({ length }, () => next++ & 0xff);
}

const vectorAead = aeadFromNodeCrypto(nodeCrypto);
const vectorKeys = { protocolId: 0x5348_0001, privateKey: new Uint8Array(32).fill(0x42), aead: vectorAead };
const VECTOR_SERVER = 'udp://127.0.0.1:40000';
const VECTOR_NOW_MS = 1_700_000_000_000;
const VECTOR_CLOCK_MS = 1_700_000_000_000;
const vectorToken = issueConnectToken(
  {
    clientId: 'player-1',
    userData: Uint8Array.of(1, 2, 3),
    world: 'arena/1',
    serverAddresses: [VECTOR_SERVER],
    expiresInMs: 30_000,
  },
  vectorKeys,
  VECTOR_NOW_MS,
  countingBytes(),
);
const vectorClient = new HandshakeClient(vectorToken, vectorAead, true);
const vectorRequest = vectorClient.update(VECTOR_NOW_MS)[0]!;
const vectorServer = new HandshakeServer({
  ...vectorKeys,
  addresses: [VECTOR_SERVER],
  secure: true,
  challengeKey: new Uint8Array(32).fill(0x17),
});
const vectorChallenge = vectorServer.handle(
  'udp://127.0.0.1:5000',
  vectorRequest,
  VECTOR_NOW_MS,
  () => undefined,
);
const challengeReply = vectorChallenge.kind === 'challenge' ? vectorChallenge.reply : new Uint8Array(0);
const vectorResponse = vectorClient.handle(challengeReply, VECTOR_NOW_MS)[0] ?? new Uint8Array(0);

function rawCase(
  name: string,
  note: string,
  bytes: Uint8Array,
  describe: (bytes: Uint8Array) => unknown,
): VectorCase {
  return {
    name,
    note,
    value: describe(bytes),
    encode: (sink) => sink.writeRawBytes(bytes),
    decode: (reader) => describe(reader.readRawBytes(reader.remainingBits / 8)),
  };
}

const tokenSummary = (bytes: Uint8Array) => {
  const token = readConnectToken(bytes);
  return {
    ...token,
    nonce: [...token.nonce],
    clientToServerKey: [...token.clientToServerKey],
    serverToClientKey: [...token.serverToClientKey],
    sealedPrivate: `${token.sealedPrivate.length} bytes`,
  };
};

export const connectionCases: VectorCase[] = [
  rawCase(
    'connect-token',
    "token for 'player-1' (user data [1, 2, 3], world 'arena/1') to udp://127.0.0.1:40000, issued at 1.7e12 ms for 30 s; keys and nonce drawn as 0, 1, 2, …; private key 32 × 0x42",
    vectorToken,
    tokenSummary,
  ),
  rawCase('request', 'the connect request carrying that token (1053 bytes)', vectorRequest, (bytes) => ({
    type: bytes[0],
    length: bytes.length,
  })),
  rawCase(
    'denied-token-expired',
    'a denial: type 2, reason 6 (token-expired)',
    writeDenied('token-expired'),
    (bytes) => ({ type: bytes[0], reason: readDenied(bytes) }),
  ),
  rawCase(
    'challenge',
    'the challenge for that request (challenge key 32 × 0x17, sequence 0)',
    challengeReply,
    (bytes) => ({ type: bytes[0], length: bytes.length }),
  ),
  rawCase('response', "the client's response to that challenge", vectorResponse, (bytes) => ({
    type: bytes[0],
    length: bytes.length,
  })),
  rawCase(
    'data-packet',
    'a data packet [1, 2, 3] from the client, sequence 0, under its client-to-server key',
    (vectorClient.protection as PacketProtection).protect(PacketType.Data, Uint8Array.of(1, 2, 3)),
    (bytes) => ({ type: bytes[0], length: bytes.length }),
  ),
  rawCase(
    'message-packet',
    'a Message packet (streams only, server to client): the message [1, 2, 3] on channel 1',
    writeMessagePacket(1, Uint8Array.of(1, 2, 3)),
    (bytes) => ({ type: bytes[0], channel: bytes[1], message: [...bytes.subarray(2)] }),
  ),
];

vectorFiles.connection = connectionCases;

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
  let bytes: Uint8Array = new Uint8Array(0);
  for (let tick = 1; tick <= ticks; tick++) {
    const [out] = world.update(tick * 100);
    bytes = out!.bytes;
    if (acknowledge && tick < ticks) world.acknowledge('c', tick);
  }
  const describe = (message: Uint8Array) => {
    const header = readWorldSnapshotHeader(new BitReader(message));
    const { tick, baselineTick, priorTick } = header;
    return { tick, baselineTick: baselineTick ?? null, priorTick: priorTick ?? null, bytes: message.length };
  };
  return {
    name,
    note,
    value: describe(bytes),
    encode: (sink) => sink.writeRawBytes(bytes),
    decode: (reader) => describe(reader.readRawBytes(reader.remainingBits / 8)),
  };
}

export const worldCases: VectorCase[] = [
  worldCase(
    'world-full',
    'tick 1 of a world with two units, nothing acknowledged: a full state (baseline 0xffffffff)',
    (world) => {
      world.spawn(VectorUnit, VectorUnit.create({ x: 10, y: 20, hp: 100 }));
      world.spawn(VectorUnit, VectorUnit.create({ x: -5, hp: 80 }));
    },
    1,
    false,
  ),
  worldCase(
    'world-delta',
    'tick 3 after tick 2 was acknowledged, one unit moving each tick: a delta against tick 2, predicted from tick 1 (the baseline of tick 2; prior span 1)',
    (world) => {
      const id = world.spawn(VectorUnit, VectorUnit.create({ x: 10, y: 20, hp: 100 }));
      world.spawn(VectorUnit, VectorUnit.create({ x: -5, hp: 80 }));
      world.onTick = (tick) => world.set(id, { x: 10 + tick });
    },
    3,
    true,
  ),
];

const inputWriter = new BitWriter();
writeInput(inputWriter, VectorUnit, 7, 3, VectorUnit.create({ x: 1.5, y: -2, hp: 50 }));
/** As decoded: x and y on their 19-bit grid. */
const vectorInput = readInput(VectorUnit, inputWriter.toBytes());

worldCases.push({
  name: 'input',
  note: 'input for entity 7, sequence 3, declared as Unit: varuint id, u16 sequence, the struct in full (§12)',
  value: vectorInput,
  encode: (sink) => writeInput(sink, VectorUnit, vectorInput.entity, vectorInput.sequence, vectorInput.input),
  decode: (reader) => readInput(VectorUnit, reader.readRawBytes(reader.remainingBits / 8)),
});

const Stick = defineEntity('Stick', { dx: t.int({ min: -1, max: 1 }), fire: t.bool() });
worldCases.push(
  rawCase(
    'input-stream',
    'inputs 41, 40, 39 of a Stick stream (newest first): uint(16) newest, uint(4) count − 1, structs (§12.1)',
    encodeInputs(Stick, 41, [
      { dx: 1, fire: true },
      { dx: 1, fire: false },
      { dx: 0, fire: false },
    ]),
    (bytes) => decodeInputs(Stick, bytes),
  ),
);

// A synchronized client's clock ping (§11.1): one pong taken (sent at 1,000, answered at server
// time 1.7e12, back at 1,020), then a ping at 1,250 reporting a 75 ms view delay.
const clock = new TimeSync();
clock.receivePong(answerPing(clock.update(1_000)!, VECTOR_CLOCK_MS)!, 1_020);
const clockPing = clock.update(1_250, 75)!;
worldCases.push(
  rawCase(
    'clock-ping',
    'client clock 1250, estimate of the server clock 1.7e12 + 240 (its pong + half the 20 ms trip + 230 ms since), view delay 75 (§11.1)',
    clockPing,
    (bytes) => readPing(bytes),
  ),
  rawCase(
    'clock-pong',
    'the answer at server time 1.7e12 + 300: 02, the echoed client clock, the server clock (§11.1)',
    answerPing(clockPing, VECTOR_CLOCK_MS + 300)!,
    (bytes) => {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return { type: bytes[0], clientSentMs: view.getFloat64(1, true), serverMs: view.getFloat64(9, true) };
    },
  ),
);

const seatToken = Uint8Array.from({ length: 16 }, (_, i) => i);
/** A world kind for the fingerprint vectors: the Unit entity, the Stick input stream. */
const vectorKind = defineWorld('vector', { entities: [VectorUnit], input: Stick, tickHz: 20, sendHz: 10 });
const describeSeatMessage = (bytes: Uint8Array) => {
  const message = decodeSeatMessage(bytes);
  return 'token' in message && message.token ? { ...message, token: [...message.token] } : message;
};
worldCases.push(
  rawCase(
    'seat-hello',
    'hello for a new seat, naming world fingerprint 0123456789abcdef (§13)',
    encodeSeatMessage({ type: 'hello', fingerprint: '0123456789abcdef', token: undefined }),
    describeSeatMessage,
  ),
  rawCase(
    'seat-hello-rejoin',
    'hello with the fingerprint and a reconnect token 00..0f: take the seat back (§13)',
    encodeSeatMessage({ type: 'hello', fingerprint: '0123456789abcdef', token: seatToken }),
    describeSeatMessage,
  ),
  rawCase(
    'seat-welcome',
    'welcome: resumed, new token 00..0f, seat "s12"',
    encodeSeatMessage({ type: 'welcome', resumed: true, token: seatToken, seat: 's12' }),
    describeSeatMessage,
  ),
  rawCase(
    'seat-left',
    'left: seat "s7" given up after its grace period (reason timeout, code 3)',
    encodeSeatMessage({ type: 'left', reason: 'timeout', seat: 's7' }),
    describeSeatMessage,
  ),
  rawCase(
    'seat-owns',
    'owns: this seat now has the input of entities 5 and 300 (gained 1, count 2, varuints) (§13)',
    encodeSeatMessage({ type: 'owns', gained: true, entities: [5, 300] }),
    describeSeatMessage,
  ),
  rawCase(
    'seat-mismatch',
    "mismatch: the server's world kind `vector` (see world-kind-fingerprints) and its seven parts (§13)",
    encodeSeatMessage({ type: 'mismatch', kind: vectorKind.name, fingerprints: vectorKind.fingerprints }),
    describeSeatMessage,
  ),
  rawCase(
    'input-ack',
    'input acknowledgement: by the end of tick 1200 the server had applied input 41 (u32, u16 little-endian; §12.1)',
    encodeInputAck(1_200, 41),
    (bytes) => decodeInputAck(bytes),
  ),
);
worldCases.push({
  name: 'world-kind-fingerprints',
  note: "world kind `vector`: entities [Unit], input Stick, no RPC or state, tickHz 20, sendHz 10; its parts and the hello's fingerprint (§13.2). The value is the parts and `hello`; the bytes are the hello's 8 bytes",
  value: { ...vectorKind.fingerprints, hello: vectorKind.fingerprint },
  encode: (sink) => writeFingerprint(sink, vectorKind.fingerprint),
  decode: (reader) => ({ ...vectorKind.fingerprints, hello: readFingerprint(reader) }),
});

const published = { sequence: 5, timeMs: 123_456, state: VectorUnit.create({ hp: 9 }) };
worldCases.push(
  rawCase(
    'state-publish',
    'a client publishes its Unit template: sequence 5, time 123456 ms, hp 9 (§14)',
    encodePublish(VectorUnit, published),
    (bytes) => decodePublish(VectorUnit, bytes, false),
  ),
  rawCase(
    'state-relay',
    'the server relays it to the other seats with the publisher seat "s7" in front',
    encodePublish(VectorUnit, published, 's7'),
    (bytes) => decodePublish(VectorUnit, bytes, true),
  ),
);

vectorFiles.world = worldCases;

const vectorRpcs = defineRpcs({
  useItem: rpc({
    params: { slot: t.int({ min: 0, max: 9 }), x: t.quantized({ min: -100, max: 100, precision: 0.25 }) },
    reply: { ok: t.bool(), left: t.u8() },
  }),
  toast: rpc({ params: { text: t.string({ maxBytes: 32 }) }, direction: 'to-client' }),
  wave: event({ params: { at: t.i16() } }),
});
const { useItem, toast, wave } = vectorRpcs.definitions;
/** A decoded RPC message as plain data: the definition by kind and name. */
const describeRpc = (bytes: Uint8Array) => {
  const message = decodeRpcMessage(vectorRpcs, bytes);
  const { kind, ...rest } = message;
  const definition = 'rpc' in rest ? rest.rpc : rest.event;
  const { rpc: _rpc, event: _event, ...fields } = rest as Record<string, unknown>;
  return { kind, name: definition.name, id: definition.id, ...fields };
};

vectorFiles.rpc = [
  rawCase(
    'rpc-call-with-reply',
    'call of useItem (id 1: ids follow names, toast, useItem, wave): kind 0, id, call id 5, then the params (§15)',
    encodeCall(useItem, 5, { slot: 3, x: -1.5 }),
    describeRpc,
  ),
  rawCase(
    'rpc-call',
    'call of the to-client toast (no reply): kind 0, id 0, the params, no call id',
    encodeCall(toast, undefined, { text: 'hi' }),
    describeRpc,
  ),
  rawCase(
    'rpc-reply',
    'reply to call 5 of useItem: kind 1, id, call id, the reply',
    encodeReply(useItem, 5, { ok: true, left: 4 }),
    describeRpc,
  ),
  rawCase(
    'rpc-failure',
    'call 5 of useItem failed: kind 2, id, call id, failure code 1 (RPC_BAD_PARAMS)',
    encodeFailure(useItem, 5, 'RPC_BAD_PARAMS'),
    describeRpc,
  ),
  rawCase(
    'rpc-event-broadcast',
    'event wave from the server to every peer, in order: kind 3, id 1, broadcast, in order, time float64, sender "", params',
    encodeEvent(wave, { broadcast: true, inOrder: true }, 1_700_000_000_000, '', { at: -3 }),
    describeRpc,
  ),
  rawCase(
    'rpc-event-relayed',
    'the same event sent by seat "s7" to everyone, out of order, as the server relays it',
    encodeEvent(wave, { broadcast: true, inOrder: false }, 1234.5, 's7', { at: 12 }),
    describeRpc,
  ),
];
