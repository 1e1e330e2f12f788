/**
 * The vectors are enough on their own: every vector in vectors/*.json is decoded here from its
 * `hex` and its `given` alone, as a client written from PROTOCOL.md would do it, and must give its
 * `value` in exactly its `bits`. Schemas and catalogs are rebuilt from the descriptors the vector
 * embeds (descriptor.ts), keys and baselines come from `given`, the byte-aligned layouts are read
 * here by hand, and encryption and DEFLATE are node:crypto's and node:zlib's. Nothing is taken
 * from vector-cases.ts, the TypeScript that made the vectors.
 */
import { createDecipheriv } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import {
  BitReader,
  EntitySnapshot,
  type FieldMap,
  type FieldType,
  Quantizer,
  QuaternionQuantizer,
  SnapshotCodec,
  type StructType,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { catalogFromDescriptor, fieldFromDescriptor, schemaFromDescriptor } from './descriptor.js';
import { fromHex, plain, toHex } from './hex.js';

const directory = join(dirname(fileURLToPath(import.meta.url)), 'vectors');

interface Entry {
  name: string;
  format: string;
  section: string;
  note: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON as the files hold it
  given: Record<string, any>;
  value: unknown;
  bits: number;
  bytes: number;
  hex: string;
}

interface SchemaInfo {
  name: string;
  descriptor: string;
  fingerprint: string;
  fields: { name: string; kind: string }[];
}

const files = readdirSync(directory)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, entries: JSON.parse(readFileSync(join(directory, file), 'utf8')) as Entry[] }));

// ——— What a vector embeds ———

/** FNV-1a 64 (§7), written here from the spec rather than taken from the code. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text))
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

/** The schemas a vector embeds, by name. */
function embeddedSchemas(entry: Entry): Map<string, SchemaInfo> {
  const list: SchemaInfo[] = [
    ...(entry.given.schema ? [entry.given.schema] : []),
    ...(entry.given.schemas ?? []),
  ];
  return new Map(list.map((schema) => [schema.name, schema]));
}

/** The schema a vector embeds, rebuilt from its descriptor and checked against the rest of what it says. */
function schemaOf(info: SchemaInfo | undefined, entry: Entry) {
  if (!info) throw new Error(`${entry.name} embeds no schema`);
  const schema = schemaFromDescriptor(info.descriptor);
  expect(schema.name).toBe(info.name);
  expect(fnv1a64(info.descriptor), `${entry.name}: ${info.name}'s fingerprint`).toBe(info.fingerprint);
  expect(schema.keys.map((key, i) => ({ name: key, kind: schema.fields[i]!.descriptor }))).toEqual(
    info.fields,
  );
  return schema;
}

function catalogOf(entry: Entry) {
  const info = entry.given.catalog as
    | { descriptor: string; fingerprint: string; entries: unknown[] }
    | undefined;
  if (!info) throw new Error(`${entry.name} embeds no catalog`);
  const catalog = catalogFromDescriptor(info.descriptor);
  expect(fnv1a64(info.descriptor), `${entry.name}: the catalog's fingerprint`).toBe(info.fingerprint);
  expect(catalog.byId.map((d) => ({ id: d.id, name: d.name, kind: d.kind }))).toEqual(info.entries);
  return catalog;
}

/** What each format needs in `given`. */
const NEEDS: Record<string, string[]> = {
  bits: ['layout'],
  field: ['field'],
  'field-delta': ['field', 'baseline'],
  snapshot: ['schema', 'baseline'],
  fingerprint: ['text'],
  packet: ['transport', 'channels'],
  'connect-token': ['protocolId', 'privateKey'],
  request: ['protocolId', 'privateKey'],
  denied: [],
  challenge: ['protocolId', 'serverToClientKey', 'challengeKey'],
  response: ['protocolId', 'challengeKey'],
  protected: ['protocolId', 'key'],
  'message-packet': [],
  'world-snapshot': ['schemas', 'baseline', 'prior'],
  'clock-ping': [],
  'clock-pong': [],
  input: ['schema'],
  'input-stream': ['schema'],
  'input-ack': [],
  'seat-message': [],
  'state-publish': ['schema'],
  'state-relay': ['schema'],
  rpc: ['catalog'],
};

// ——— Byte-aligned reading (§9, §10, §11.1, §12.1, §13) ———

class Bytes {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}
  take(length: number): Uint8Array {
    if (this.at + length > this.bytes.length) throw new Error('truncated');
    this.at += length;
    return this.bytes.slice(this.at - length, this.at);
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u16(): number {
    const [a, b] = this.take(2) as unknown as [number, number];
    return a + b * 0x100;
  }
  u32(): number {
    const [a, b, c, d] = this.take(4) as unknown as [number, number, number, number];
    return a + b * 0x100 + c * 0x1_0000 + d * 0x100_0000;
  }
  /** Two u32, low first (values below 2⁵³). */
  u64(): number {
    const low = this.u32();
    return this.u32() * 2 ** 32 + low;
  }
  f64(): number {
    const view = new DataView(new ArrayBuffer(8));
    for (const [i, byte] of this.take(8).entries()) view.setUint8(i, byte);
    return view.getFloat64(0, true);
  }
  /** LEB128: 7 bits a byte, low first, the top bit set when another byte follows. */
  varuint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.u8();
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  }
  utf8(length: number): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(length));
  }
  rest(): Uint8Array {
    return this.take(this.bytes.length - this.at);
  }
  end(): void {
    expect(this.at, 'bytes left over').toBe(this.bytes.length);
  }
}

const MAGIC = 0x31544c53;
const le32 = (value: number) => Uint8Array.of(value, value >>> 8, value >>> 16, value >>> 24);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]));
/** A nonce of §10.4: the domain u32, then the counter u64, little-endian. */
const nonce = (domain: number, counter: number) =>
  concat(le32(domain), le32(counter % 2 ** 32), le32(Math.floor(counter / 2 ** 32)));

/** ChaCha20-Poly1305 (RFC 8439): the ciphertext, then its 16-byte tag. */
function open(key: string, iv: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array {
  const decipher = createDecipheriv('chacha20-poly1305', fromHex(key), iv, { authTagLength: 16 });
  decipher.setAAD(ad, { plaintextLength: sealed.length - 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return concat(decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final());
}

const REASONS = [
  'unknown',
  'closed-by-client',
  'closed-by-server',
  'timeout',
  'kicked',
  'server-full',
  'token-expired',
  'token-invalid',
  'token-replayed',
  'wrong-address',
  'protocol-mismatch',
  'server-shutting-down',
  'already-connected',
  'link-lost',
  'misbehaving',
  'world-full',
  'world-not-found',
  'migrated',
];

function addresses(reader: Bytes): string[] {
  return Array.from({ length: reader.u8() }, () => reader.utf8(reader.u8()));
}

/** The private part of a token (§10.1), opened with the key the vector gives. */
function privatePart(
  entry: Entry,
  sealed: Uint8Array,
  tokenNonce: Uint8Array,
  protocolId: number,
  expiresAtMs: number,
) {
  const ad = concat(
    le32(MAGIC),
    le32(protocolId),
    le32(expiresAtMs % 2 ** 32),
    le32(Math.floor(expiresAtMs / 2 ** 32)),
  );
  const plaintext = new Bytes(open(entry.given.privateKey, tokenNonce, ad, sealed));
  expect(plaintext.bytes.length).toBe(1008);
  const clientId = plaintext.utf8(plaintext.u8());
  const timeoutMs = plaintext.u32();
  const serverAddresses = addresses(plaintext);
  const clientToServerKey = plaintext.take(32);
  const serverToClientKey = plaintext.take(32);
  const userData = plaintext.take(plaintext.u16());
  const world = plaintext.utf8(plaintext.u8());
  expect(
    plaintext.rest().every((byte) => byte === 0),
    'zero padding',
  ).toBe(true);
  return { clientId, timeoutMs, serverAddresses, clientToServerKey, serverToClientKey, userData, world };
}

/** A challenge token (§10.3), opened with the challenge key the vector gives. */
function challengeToken(entry: Entry, challengeSequence: number, sealed: Uint8Array) {
  const ad = concat(le32(MAGIC), le32(entry.given.protocolId));
  const plaintext = new Bytes(open(entry.given.challengeKey, nonce(0, challengeSequence), ad, sealed));
  expect(plaintext.bytes.length).toBe(640);
  const token = {
    tokenTag: plaintext.utf8(plaintext.u8()),
    clientId: plaintext.utf8(plaintext.u8()),
    userData: plaintext.take(plaintext.u16()),
    world: plaintext.utf8(plaintext.u8()),
    clientToServerKey: plaintext.take(32),
    serverToClientKey: plaintext.take(32),
    timeoutMs: plaintext.u32(),
    address: plaintext.utf8(plaintext.u8()),
    issuedAtMs: plaintext.u64(),
  };
  expect(
    plaintext.rest().every((byte) => byte === 0),
    'zero padding',
  ).toBe(true);
  return token;
}

/** A protected packet (§10.4): type, sequence u64, then the sealed payload; AD = type ‖ magic ‖ protocolId. */
function unprotect(entry: Entry, bytes: Uint8Array, key: string, domain: number) {
  const reader = new Bytes(bytes);
  const type = reader.u8();
  const sequence = reader.u64();
  const ad = concat(Uint8Array.of(type), le32(MAGIC), le32(entry.given.protocolId));
  return { type, sequence, payload: open(key, nonce(domain, sequence), ad, reader.rest()) };
}

const ENTRY_KINDS = ['reliable', 'sequenced', 'unreliable', 'ping'];

/** A reliable packet (§9), messages on compressed channels unpacked (§9.3). */
function readReliablePacket(entry: Entry, bytes: Uint8Array) {
  const reader = new Bytes(bytes);
  const header = { sequence: reader.u16(), ack: reader.u16(), ackBits: reader.u32() };
  let heldMs: number | undefined;
  const entries: Record<string, unknown>[] = [];
  while (reader.at < bytes.length) {
    const flags = reader.u8();
    if (flags === 0x0b) {
      heldMs = reader.varuint();
      continue;
    }
    expect(flags >> 3, 'reserved flag bits').toBe(0);
    const kind = ENTRY_KINDS[flags & 3]!;
    if (kind === 'ping') {
      entries.push({ kind });
      continue;
    }
    const fragmented = (flags & 4) !== 0;
    const described: Record<string, unknown> = { kind, channel: reader.u8() };
    if (kind !== 'unreliable' || fragmented) described.id = reader.u16();
    if (fragmented) described.fragment = { index: reader.u16(), count: reader.u16() };
    const payload = reader.take(reader.varuint());
    described.payload = payload;
    const channel = (entry.given.channels as { channel: number; compress: boolean }[])[
      described.channel as number
    ];
    if (!channel)
      throw new Error(`${entry.name}: channel ${described.channel} is not among the given channels`);
    if (channel.compress && !fragmented) {
      expect([0, 1]).toContain(payload[0]);
      described.compression = payload[0] === 0 ? 'stored' : 'deflated';
      described.message =
        payload[0] === 0 ? payload.subarray(1) : new Uint8Array(inflateRawSync(payload.subarray(1)));
    }
    entries.push(described);
  }
  return { header, heldMs, entries };
}

function readSeatMessage(bytes: Uint8Array) {
  const reader = new Bytes(bytes);
  const type = reader.u8();
  const utf8Rest = () => new TextDecoder('utf-8', { fatal: true }).decode(reader.rest());
  switch (type) {
    case 1: {
      const fingerprint = toHex(reader.take(8));
      return { type: 'hello', fingerprint, token: reader.at < bytes.length ? reader.take(16) : undefined };
    }
    case 2:
      return { type: 'welcome', resumed: reader.u8() === 1, token: reader.take(16), seat: utf8Rest() };
    case 3:
      return { type: 'left', reason: REASONS[reader.u8()], seat: utf8Rest() };
    case 4: {
      const kind = reader.utf8(reader.u8());
      const parts = ['kind', 'entities', 'rpc', 'input', 'state', 'rates', 'channels'];
      return {
        type: 'mismatch',
        kind,
        fingerprints: Object.fromEntries(parts.map((part) => [part, toHex(reader.take(8))])),
      };
    }
    case 5: {
      const gained = reader.u8() === 1;
      const count = reader.varuint();
      return { type: 'owns', gained, entities: Array.from({ length: count }, () => reader.varuint()) };
    }
    case 6: {
      const world = reader.utf8(reader.u8());
      const kind = reader.utf8(reader.u8());
      const portal = reader.utf8(reader.u8());
      const addresses = Array.from({ length: reader.u8() }, () => reader.utf8(reader.u8()));
      const token = reader.take(reader.u16());
      reader.end();
      return { type: 'redirect', world, kind, portal, addresses, token };
    }
    default:
      throw new Error(`seat message type ${type}`);
  }
}

// ——— Bit-packed reading (§1–§7, §11, §12, §14, §15) ———

/** One primitive of a `bits` vector's layout, in PROTOCOL.md's notation. */
function readPrimitive(reader: BitReader, layout: string): unknown {
  const [, name, args = ''] = /^([a-z0-9]+)(?:\((.*)\))?$/.exec(layout) ?? [];
  const n = args.split(',').map(Number);
  switch (name) {
    case 'bool':
      return reader.readBool();
    case 'uint':
      return reader.readUint(n[0]!);
    case 'int':
      return reader.readInt(n[0]!);
    case 'varuint':
      return reader.readVarUint(n[0]!);
    case 'varint':
      return reader.readVarInt();
    case 'nonzero':
      return reader.readNonZeroUint(n[0]!);
    case 'expgolomb':
      return reader.readExpGolomb(n[0]!);
    case 'float32':
      return reader.readFloat32();
    case 'float64':
      return reader.readFloat64();
    case 'string':
      return reader.readString(n[0]!);
    case 'bytes':
      return reader.readBytes(n[0]!);
    case 'quantized':
      return reader.readQuantized(new Quantizer({ min: n[0]!, max: n[1]!, bits: n[2]! }));
    case 'vec3':
      return reader.readVec3(new Quantizer({ min: n[0]!, max: n[1]!, bits: n[2]! }));
    case 'quat':
      return reader.readQuaternion(new QuaternionQuantizer(n[0]!));
    default:
      throw new Error(`unknown primitive ${layout}`);
  }
}

type AnySchema = StructType<FieldMap>;
const snapshotOf = (schema: AnySchema, entities: Record<string, unknown>) =>
  EntitySnapshot.from(
    schema,
    Object.entries(entities).map(([id, state]) => [Number(id), state] as [number, never]),
  );

/** Bit-packed formats: read from a BitReader; the bits read must be the vector's `bits`. */
const BIT_PACKED: Record<string, (reader: BitReader, entry: Entry) => unknown> = {
  bits: (reader, entry) => {
    const layout = entry.given.layout as string[];
    const values = layout.map((item) => readPrimitive(reader, item));
    return layout.length === 1 ? values[0] : values;
  },
  field: (reader, entry) => fieldFromDescriptor(entry.given.field).read(reader),
  'field-delta': (reader, entry) => {
    const field = fieldFromDescriptor(entry.given.field) as FieldType<unknown>;
    return field.readDelta(reader, entry.given.baseline);
  },
  snapshot: (reader, entry) => {
    const schema = schemaOf(entry.given.schema, entry);
    const codec = new SnapshotCodec(schema);
    const prior = entry.given.prior && {
      prior: snapshotOf(schema, entry.given.prior),
      span: entry.given.span as number,
      steps: entry.given.steps as number,
    };
    const { snapshot } = codec.decode(reader, snapshotOf(schema, entry.given.baseline), prior);
    return Object.fromEntries(snapshot.entries());
  },
  fingerprint: (reader, entry) => {
    const hash = fnv1a64(entry.given.text);
    const onWire =
      reader.readUint(32).toString(16).padStart(8, '0') + reader.readUint(32).toString(16).padStart(8, '0');
    expect(onWire, 'the bytes are the hash of the text, high word first').toBe(hash);
    for (const schema of embeddedSchemas(entry).values()) schemaOf(schema, entry);
    if (entry.given.catalog) catalogOf(entry);
    return hash;
  },
  'world-snapshot': (reader, entry) => {
    const schemas = (entry.given.schemas as SchemaInfo[]).map((info) => schemaOf(info, entry));
    const tick = reader.readUint(32);
    const baselineTick = reader.readUint(32);
    const full = baselineTick === 0xffffffff;
    const span = full ? null : reader.readUint(8);
    const baseline = entry.given.baseline as {
      tick: number;
      entities: Record<string, Record<string, unknown>>;
    } | null;
    const prior = entry.given.prior as typeof baseline;
    expect(full ? null : baselineTick, 'the baseline the message names').toBe(baseline?.tick ?? null);
    expect(span ? baselineTick - span : null, 'the prior the message names').toBe(prior?.tick ?? null);
    const entities = Object.fromEntries(
      schemas.map((schema) => {
        const codec = new SnapshotCodec(schema);
        const base = baseline ? snapshotOf(schema, baseline.entities[schema.name]!) : undefined;
        const prediction = prior
          ? {
              prior: snapshotOf(schema, prior.entities[schema.name]!),
              span: span!,
              steps: tick - baselineTick,
            }
          : undefined;
        return [schema.name, Object.fromEntries(codec.decode(reader, base, prediction).snapshot.entries())];
      }),
    );
    return { tick, baselineTick: full ? null : baselineTick, priorSpan: span, entities };
  },
  input: (reader, entry) => {
    const schema = schemaOf(entry.given.schema, entry);
    return { entity: reader.readVarUint(), sequence: reader.readUint(16), input: schema.read(reader) };
  },
  'input-stream': (reader, entry) => {
    const schema = schemaOf(entry.given.schema, entry);
    const newest = reader.readUint(16);
    const count = reader.readUint(4) + 1;
    return { newest, inputs: Array.from({ length: count }, () => schema.read(reader)) };
  },
  'state-publish': (reader, entry) => {
    const schema = schemaOf(entry.given.schema, entry);
    return { sequence: reader.readUint(16), timeMs: reader.readUint(32), state: schema.read(reader) };
  },
  'state-relay': (reader, entry) => {
    const schema = schemaOf(entry.given.schema, entry);
    const seat = reader.readString(64);
    return { seat, sequence: reader.readUint(16), timeMs: reader.readUint(32), state: schema.read(reader) };
  },
  rpc: (reader, entry) => {
    const catalog = catalogOf(entry);
    const kind = reader.readUint(2);
    const definition = catalog.byId[reader.readVarUint()]!;
    const head = {
      kind: ['call', 'reply', 'failure', 'event'][kind],
      name: definition.name,
      id: definition.id,
    };
    if (definition.kind === 'event') {
      const flags = { broadcast: reader.readBool(), inOrder: reader.readBool() };
      const timeMs = reader.readFloat64();
      return {
        ...head,
        flags,
        timeMs,
        sender: reader.readString(64),
        params: definition.params.read(reader),
      };
    }
    if (kind === 0) {
      const callId = definition.reply ? reader.readVarUint() : undefined;
      return { ...head, callId, params: definition.params.read(reader) };
    }
    const callId = reader.readVarUint();
    if (kind === 1) return { ...head, callId, reply: definition.reply!.read(reader) };
    const codes = ['RPC_FAILED', 'RPC_BAD_PARAMS', 'RPC_UNKNOWN', 'RPC_RATE_LIMITED', 'RPC_NOT_ALLOWED'];
    return { ...head, callId, code: codes[reader.readUint(3)] };
  },
};

/** Byte-aligned formats: `bits` is 8 × their length. */
const BYTE_ALIGNED: Record<string, (bytes: Uint8Array, entry: Entry) => unknown> = {
  packet: (bytes, entry) => readReliablePacket(entry, bytes),
  'connect-token': (bytes, entry) => {
    const reader = new Bytes(bytes);
    const magic = reader.utf8(4);
    const protocolId = reader.u32();
    const createdAtMs = reader.u64();
    const expiresAtMs = reader.u64();
    const tokenNonce = reader.take(12);
    const token = {
      magic,
      protocolId,
      createdAtMs,
      expiresAtMs,
      nonce: tokenNonce,
      timeoutMs: reader.u32(),
      serverAddresses: addresses(reader),
      clientToServerKey: reader.take(32),
      serverToClientKey: reader.take(32),
      private: privatePart(entry, reader.take(1024), tokenNonce, protocolId, expiresAtMs),
    };
    reader.end();
    expect(protocolId).toBe(entry.given.protocolId);
    return token;
  },
  request: (bytes, entry) => {
    const reader = new Bytes(bytes);
    const type = reader.u8();
    const magic = reader.utf8(4);
    const protocolId = reader.u32();
    const expiresAtMs = reader.u64();
    const requestNonce = reader.take(12);
    const opened = privatePart(entry, reader.take(1024), requestNonce, protocolId, expiresAtMs);
    reader.end();
    return { type, magic, protocolId, expiresAtMs, nonce: requestNonce, private: opened };
  },
  denied: (bytes) => ({ type: bytes[0], code: bytes[1], reason: REASONS[bytes[1]!] }),
  challenge: (bytes, entry) => {
    const { type, sequence, payload } = unprotect(entry, bytes, entry.given.serverToClientKey, 1);
    const body = new Bytes(payload);
    const challengeSequence = body.u64();
    return {
      type,
      sequence,
      challengeSequence,
      challengeToken: challengeToken(entry, challengeSequence, body.rest()),
    };
  },
  response: (bytes, entry) => {
    const reader = new Bytes(bytes);
    const type = reader.u8();
    const challengeSequence = reader.u64();
    return {
      type,
      challengeSequence,
      challengeToken: challengeToken(entry, challengeSequence, reader.rest()),
    };
  },
  protected: (bytes, entry) => unprotect(entry, bytes, entry.given.key, 0),
  'message-packet': (bytes) => ({ type: bytes[0], channel: bytes[1], message: bytes.subarray(2) }),
  'clock-ping': (bytes) => {
    const reader = new Bytes(bytes);
    const ping = {
      type: reader.u8(),
      clientSentMs: reader.f64(),
      serverEstimateMs: reader.f64(),
      viewDelayMs: reader.f64(),
    };
    reader.end();
    return ping;
  },
  'clock-pong': (bytes) => {
    const reader = new Bytes(bytes);
    const pong = { type: reader.u8(), clientSentMs: reader.f64(), serverMs: reader.f64() };
    reader.end();
    return pong;
  },
  'input-ack': (bytes) => {
    const reader = new Bytes(bytes);
    const ack = { tick: reader.u32(), sequence: reader.u16() };
    reader.end();
    return ack;
  },
  'seat-message': readSeatMessage,
};

describe('every vector decodes from what its file embeds alone', () => {
  it('covers every format and every vector', () => {
    const formats = new Set(files.flatMap(({ entries }) => entries.map((entry) => entry.format)));
    for (const format of formats) expect(Object.keys(NEEDS), format).toContain(format);
    expect(files.length).toBeGreaterThan(0);
  });

  for (const { file, entries } of files) {
    describe(file, () => {
      it.each(entries.map((entry) => [entry.name, entry] as const))('%s', (_, entry) => {
        const bytes = fromHex(entry.hex);
        expect(entry.bytes, 'bytes').toBe(bytes.length);
        let decoded: unknown;
        const bitPacked = BIT_PACKED[entry.format];
        if (bitPacked) {
          const reader = new BitReader(bytes);
          decoded = bitPacked(reader, entry);
          expect(reader.bitPosition, 'bits written before padding').toBe(entry.bits);
          reader.expectEnd(); // the rest of the last byte is zero, and nothing follows
          expect(Math.ceil(entry.bits / 8)).toBe(bytes.length);
        } else {
          const read = BYTE_ALIGNED[entry.format];
          if (!read) throw new Error(`no reader for format ${entry.format}`);
          decoded = read(bytes, entry);
          expect(entry.bits).toBe(bytes.length * 8);
        }
        expect(plain(decoded)).toEqual(entry.value);
      });
    });
  }
});

describe('every schema and catalog a vector names is embedded in it', () => {
  /** Every schema and catalog entry name any vector embeds: the names a note could refer to. */
  const schemaNames = new Set<string>();
  const catalogNames = new Set<string>();
  for (const { entries } of files) {
    for (const entry of entries) {
      for (const name of embeddedSchemas(entry).keys()) schemaNames.add(name);
      for (const line of ((entry.given.catalog?.descriptor as string | undefined) ?? '').split('\n')) {
        const name = line.split(' ')[1];
        if (name) catalogNames.add(name);
      }
    }
  }
  const words = (text: string) => new Set(text.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);

  for (const { file, entries } of files) {
    it.each(entries.map((entry) => [`${file} ${entry.name}`, entry] as const))('%s', (_, entry) => {
      for (const key of NEEDS[entry.format] ?? []) expect(entry.given, `given.${key}`).toHaveProperty(key);
      const embedded = embeddedSchemas(entry);
      for (const schema of embedded.values()) schemaOf(schema, entry);
      const catalog = entry.given.catalog ? catalogOf(entry) : undefined;
      const mentioned = words(`${entry.note} ${JSON.stringify(entry.value)}`);
      for (const name of schemaNames) {
        if (mentioned.has(name))
          expect([...embedded.keys()], `${entry.name} names schema ${name}`).toContain(name);
      }
      for (const name of catalogNames) {
        if (mentioned.has(name) && !schemaNames.has(name)) {
          expect(
            catalog?.byId.map((d) => d.name) ?? [],
            `${entry.name} names catalog entry ${name}`,
          ).toContain(name);
        }
      }
      // A world snapshot names its schemas in its value; a snapshot's baseline is its schema's.
      if (entry.format === 'world-snapshot') {
        const value = entry.value as { entities: Record<string, unknown> };
        expect(Object.keys(value.entities)).toEqual([...embedded.keys()]);
      }
    });
  }
});
