import type { DisconnectReason } from '../connection/reasons.js';
import { reasonCode, reasonFromCode } from '../connection/reasons.js';
import { MAX_WORLD_BYTES } from '../connection/token.js';
import { ShardlineError } from '../errors.js';
import { ByteReader, ByteWriter } from '../wire/bytes.js';
import { decodeUtf8, encodeUtf8 } from '../wire/utf8.js';
import { FINGERPRINT_PARTS, type WorldFingerprints } from '../worlds/fingerprints.js';
import { RECONNECT_TOKEN_BYTES } from './seats.js';

/** Longest seat id on the wire, in UTF-8 bytes. */
export const MAX_SEAT_BYTES = 64;
/** Most entity ids one `owns` message lists; more go in several messages. */
export const MAX_OWNS_PER_MESSAGE = 1024;
/** Longest world kind name in a `mismatch` or `redirect` message, UTF-8 bytes. */
const MAX_KIND_BYTES = 32;
/** Longest portal id in a `redirect`, UTF-8 bytes (0: the player arrives at no portal). */
export const MAX_PORTAL_BYTES = 64;
/** Most server addresses one `redirect` offers (as many as a connect token names, §10.1). */
export const MAX_REDIRECT_ADDRESSES = 8;
/** Longest server address in a `redirect`, UTF-8 bytes (`ws://…`, `udp://…`). */
export const MAX_REDIRECT_ADDRESS_BYTES = 200;
/**
 * Longest connect token a `redirect` carries. A connect token (§10.1) is 1,128 bytes plus its
 * addresses, at most 8 × (1 + 64): 1,649 bytes at most, and its encoder writes into 2,048.
 */
export const MAX_REDIRECT_TOKEN_BYTES = 2048;

/**
 * Seat control messages (PROTOCOL.md §13), on a reliable channel:
 * - hello (client → server): type 1, the world kind's fingerprint (8 bytes, see WorldKind.fingerprint), then a
 *   reconnect token (16 bytes) to take a seat back, or nothing;
 * - welcome (server → client): type 2, resumed (u8 0/1), the client's new token, its seat id (UTF-8);
 * - left (server → clients): type 3, the reason code (§10.5), the seat id given up;
 * - mismatch (server → client): type 4, the world kind's name (u8 length + UTF-8), then the server's
 *   fingerprint parts (8 bytes each, FINGERPRINT_PARTS order): sent before the server disconnects a
 *   hello whose fingerprint differs, so the client can say which part differs;
 * - owns (server → client): type 5, gained (u8 1) or lost (u8 0), a count (varuint 1–1024), then
 *   that many entity ids (varuint): the entities whose input this seat now has, or no longer has;
 * - redirect (server → client): type 6, the world id (u8 length 1–64 + UTF-8), its kind's name (u8
 *   length 1–32 + UTF-8), the portal the player arrives at (u8 length 0–64 + UTF-8, empty for none),
 *   an address count (u8 1–8) and each address (u8 length 1–200 + UTF-8), then a connect token
 *   (u16 length 1–MAX_REDIRECT_TOKEN_BYTES + bytes) naming that world: the player moved there (a
 *   portal), so the client connects to one of the addresses with the token and says hello to a world
 *   of that kind; the server then disconnects this connection with `migrated`.
 */
export type SeatMessage =
  | { type: 'hello'; fingerprint: string; token: Uint8Array | undefined }
  | { type: 'welcome'; resumed: boolean; token: Uint8Array; seat: string }
  | { type: 'left'; reason: DisconnectReason; seat: string }
  | { type: 'mismatch'; kind: string; fingerprints: WorldFingerprints }
  | { type: 'owns'; gained: boolean; entities: number[] }
  | RedirectMessage;

/** Seat message type 6: the player moved to another world (a portal); connect there (PROTOCOL.md §13). */
export interface RedirectMessage {
  type: 'redirect';
  /** The world instance that now holds the player (1–64 UTF-8 bytes). */
  world: string;
  /** Its world kind's name (1–32 UTF-8 bytes): the client says hello to a world of this kind. */
  kind: string;
  /** The portal the player arrives at (0–64 UTF-8 bytes; '' for none). */
  portal: string;
  /** Where that world's server listens (1–8, each 1–200 UTF-8 bytes: `ws://…`, `udp://…`). */
  addresses: string[];
  /** A connect token (§10.1) naming `world`, 1–MAX_REDIRECT_TOKEN_BYTES bytes. */
  token: Uint8Array;
}

const HELLO = 1;
const WELCOME = 2;
const LEFT = 3;
const MISMATCH = 4;
const OWNS = 5;
const REDIRECT = 6;

/** A fingerprint on the wire: 16 hex digits as 8 bytes, most significant first. */
const FINGERPRINT_BYTES = 8;

/** Largest redirect: every field at its longest. */
const MAX_REDIRECT_BYTES =
  1 +
  (1 + MAX_WORLD_BYTES) +
  (1 + MAX_KIND_BYTES) +
  (1 + MAX_PORTAL_BYTES) +
  1 +
  MAX_REDIRECT_ADDRESSES * (1 + MAX_REDIRECT_ADDRESS_BYTES) +
  (2 + MAX_REDIRECT_TOKEN_BYTES);

/** Largest seat message: an owns message of the most ids, each at most 5 bytes, or a redirect. */
const MAX_SEAT_MESSAGE_BYTES = Math.max(2 + 5 + 5 * MAX_OWNS_PER_MESSAGE, MAX_REDIRECT_BYTES);

export function encodeSeatMessage(message: SeatMessage): Uint8Array {
  const writer = new ByteWriter(MAX_SEAT_MESSAGE_BYTES);
  switch (message.type) {
    case 'hello':
      writer.u8(HELLO);
      writer.raw(fingerprintBytes(message.fingerprint));
      if (message.token) writer.raw(checkedToken(message.token));
      break;
    case 'welcome':
      writer.u8(WELCOME);
      writer.u8(message.resumed ? 1 : 0);
      writer.raw(checkedToken(message.token));
      writer.raw(checkedSeat(message.seat));
      break;
    case 'left':
      writer.u8(LEFT);
      writer.u8(reasonCode(message.reason));
      writer.raw(checkedSeat(message.seat));
      break;
    case 'mismatch': {
      const kind = checkedText(message.kind, 1, MAX_KIND_BYTES, 'a world kind name');
      writer.u8(MISMATCH);
      writer.u8(kind.length);
      writer.raw(kind);
      for (const { key } of FINGERPRINT_PARTS) writer.raw(fingerprintBytes(message.fingerprints[key]));
      break;
    }
    case 'owns':
      if (message.entities.length === 0 || message.entities.length > MAX_OWNS_PER_MESSAGE) {
        throw new ShardlineError(
          'VALUE_INVALID',
          `an owns message lists 1..${MAX_OWNS_PER_MESSAGE} entities`,
        );
      }
      writer.u8(OWNS);
      writer.u8(message.gained ? 1 : 0);
      writer.varuint(message.entities.length);
      for (const id of message.entities) writer.varuint(id);
      break;
    case 'redirect':
      writeRedirect(writer, message);
      break;
  }
  return writer.toBytes();
}

/** Decodes a seat message; WIRE_INVALID / WIRE_TRUNCATED / WIRE_LIMIT for anything malformed. */
export function decodeSeatMessage(bytes: Uint8Array): SeatMessage {
  const type = bytes[0];
  if (type === HELLO) {
    const tokenStart = 1 + FINGERPRINT_BYTES;
    if (bytes.length !== tokenStart && bytes.length !== tokenStart + RECONNECT_TOKEN_BYTES) {
      throw invalid('hello length');
    }
    const fingerprint = hexOf(bytes.subarray(1, tokenStart));
    const token = bytes.length === tokenStart ? undefined : bytes.slice(tokenStart);
    return { type: 'hello', fingerprint, token };
  }
  if (type === WELCOME) {
    const seatStart = 2 + RECONNECT_TOKEN_BYTES;
    if (bytes.length < seatStart + 1) throw new ShardlineError('WIRE_TRUNCATED', 'welcome too short');
    if (bytes[1]! > 1) throw invalid('welcome resumed flag');
    return {
      type: 'welcome',
      resumed: bytes[1] === 1,
      token: bytes.slice(2, seatStart),
      seat: seatFrom(bytes.subarray(seatStart)),
    };
  }
  if (type === LEFT) {
    if (bytes.length < 3) throw new ShardlineError('WIRE_TRUNCATED', 'left too short');
    return { type: 'left', reason: reasonFromCode(bytes[1]!), seat: seatFrom(bytes.subarray(2)) };
  }
  if (type === MISMATCH) return decodeMismatch(bytes);
  if (type === OWNS) return decodeOwns(bytes);
  if (type === REDIRECT) return decodeRedirect(bytes);
  throw invalid(`seat message type ${String(type)}`);
}

function decodeMismatch(bytes: Uint8Array): SeatMessage {
  const reader = new ByteReader(bytes.subarray(1));
  const length = reader.u8();
  if (length === 0 || length > MAX_KIND_BYTES) throw invalid('mismatch kind length');
  const kind = decodeUtf8(reader.slice(length));
  const fingerprints = {} as WorldFingerprints;
  for (const { key } of FINGERPRINT_PARTS) fingerprints[key] = hexOf(reader.slice(FINGERPRINT_BYTES));
  if (reader.remaining !== 0) throw invalid('mismatch length');
  return { type: 'mismatch', kind, fingerprints };
}

function decodeOwns(bytes: Uint8Array): SeatMessage {
  const reader = new ByteReader(bytes.subarray(1));
  const gained = reader.u8();
  if (gained > 1) throw invalid('owns flag');
  const count = reader.varuint();
  if (count === 0 || count > MAX_OWNS_PER_MESSAGE) throw invalid('owns count');
  const entities = Array.from({ length: count }, () => reader.varuint());
  if (reader.remaining !== 0) throw invalid('owns length');
  return { type: 'owns', gained: gained === 1, entities };
}

function writeRedirect(writer: ByteWriter, message: RedirectMessage): void {
  // Every field is checked before the first byte is written.
  const world = checkedText(message.world, 1, MAX_WORLD_BYTES, 'a world id');
  const kind = checkedText(message.kind, 1, MAX_KIND_BYTES, 'a world kind name');
  const portal = checkedText(message.portal, 0, MAX_PORTAL_BYTES, 'a portal id');
  if (message.addresses.length === 0 || message.addresses.length > MAX_REDIRECT_ADDRESSES) {
    throw new ShardlineError('VALUE_INVALID', `a redirect offers 1..${MAX_REDIRECT_ADDRESSES} addresses`);
  }
  const addresses = message.addresses.map((address) =>
    checkedText(address, 1, MAX_REDIRECT_ADDRESS_BYTES, 'a server address'),
  );
  const { token } = message;
  if (token.length === 0 || token.length > MAX_REDIRECT_TOKEN_BYTES) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `a redirect's connect token is 1..${MAX_REDIRECT_TOKEN_BYTES} bytes`,
    );
  }
  writer.u8(REDIRECT);
  writer.u8(world.length);
  writer.raw(world);
  writer.u8(kind.length);
  writer.raw(kind);
  writer.u8(portal.length);
  writer.raw(portal);
  writer.u8(addresses.length);
  for (const address of addresses) {
    writer.u8(address.length);
    writer.raw(address);
  }
  writer.u16(token.length);
  writer.raw(token);
}

function decodeRedirect(bytes: Uint8Array): SeatMessage {
  const reader = new ByteReader(bytes.subarray(1));
  const world = readText(reader, 1, MAX_WORLD_BYTES, 'redirect world id');
  const kind = readText(reader, 1, MAX_KIND_BYTES, 'redirect kind name');
  const portal = readText(reader, 0, MAX_PORTAL_BYTES, 'redirect portal id');
  const count = reader.u8();
  if (count === 0) throw invalid('redirect address count');
  if (count > MAX_REDIRECT_ADDRESSES)
    throw new ShardlineError('WIRE_LIMIT', `a redirect of ${count} addresses`);
  const addresses = Array.from({ length: count }, () =>
    readText(reader, 1, MAX_REDIRECT_ADDRESS_BYTES, 'redirect address'),
  );
  const tokenLength = reader.u16();
  if (tokenLength === 0) throw invalid('redirect token length');
  if (tokenLength > MAX_REDIRECT_TOKEN_BYTES) {
    throw new ShardlineError('WIRE_LIMIT', `a redirect token of ${tokenLength} bytes`);
  }
  const token = reader.slice(tokenLength).slice();
  if (reader.remaining !== 0) throw invalid('redirect length');
  return { type: 'redirect', world, kind, portal, addresses, token };
}

/** u8 length `min`..`max` (WIRE_INVALID below, WIRE_LIMIT above), then that many bytes of UTF-8. */
function readText(reader: ByteReader, min: number, max: number, what: string): string {
  const length = reader.u8();
  if (length < min) throw invalid(`${what} length`);
  if (length > max) throw new ShardlineError('WIRE_LIMIT', `${what} of ${length} bytes`);
  return decodeUtf8(reader.slice(length));
}

/** The UTF-8 of `text`, which must be `min`..`max` bytes (else VALUE_INVALID). */
function checkedText(text: string, min: number, max: number, what: string): Uint8Array {
  const bytes = encodeUtf8(text);
  if (bytes.length < min || bytes.length > max) {
    throw new ShardlineError('VALUE_INVALID', `${what} must be ${min}..${max} UTF-8 bytes`);
  }
  return bytes;
}

function hexOf(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function seatFrom(bytes: Uint8Array): string {
  if (bytes.length > MAX_SEAT_BYTES) throw new ShardlineError('WIRE_LIMIT', 'seat id too long');
  return decodeUtf8(bytes);
}

function fingerprintBytes(fingerprint: string): Uint8Array {
  if (!/^[0-9a-f]{16}$/.test(fingerprint)) {
    throw new ShardlineError('VALUE_INVALID', 'a fingerprint is 16 lowercase hex digits');
  }
  return Uint8Array.from({ length: FINGERPRINT_BYTES }, (_, i) =>
    Number.parseInt(fingerprint.slice(2 * i, 2 * i + 2), 16),
  );
}

function checkedToken(token: Uint8Array): Uint8Array {
  if (token.length !== RECONNECT_TOKEN_BYTES) {
    throw new ShardlineError('VALUE_INVALID', `reconnect token must be ${RECONNECT_TOKEN_BYTES} bytes`);
  }
  return token;
}

function checkedSeat(seat: string): Uint8Array {
  const bytes = encodeUtf8(seat);
  if (bytes.length === 0 || bytes.length > MAX_SEAT_BYTES) {
    throw new ShardlineError('VALUE_INVALID', `seat id must be 1..${MAX_SEAT_BYTES} UTF-8 bytes`);
  }
  return bytes;
}

function invalid(what: string): ShardlineError {
  return new ShardlineError('WIRE_INVALID', `bad ${what}`);
}
