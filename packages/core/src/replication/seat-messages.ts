import type { DisconnectReason } from '../connection/reasons.js';
import { reasonCode, reasonFromCode } from '../connection/reasons.js';
import { ShardlineError } from '../errors.js';
import { ByteWriter } from '../wire/bytes.js';
import { decodeUtf8, encodeUtf8 } from '../wire/utf8.js';
import { RECONNECT_TOKEN_BYTES } from './seats.js';

/** Longest seat id on the wire, in UTF-8 bytes. */
export const MAX_SEAT_BYTES = 64;

/**
 * Seat control messages (PROTOCOL.md §13), on a reliable channel:
 * - hello (client → server): type 1, the world fingerprint (8 bytes, see worldFingerprint), then a
 *   reconnect token (16 bytes) to take a seat back, or nothing;
 * - welcome (server → client): type 2, resumed (u8 0/1), the client's new token, its seat id (UTF-8);
 * - left (server → clients): type 3, the reason code (§10.5), the seat id given up.
 */
export type SeatMessage =
  | { type: 'hello'; fingerprint: string; token: Uint8Array | undefined }
  | { type: 'welcome'; resumed: boolean; token: Uint8Array; seat: string }
  | { type: 'left'; reason: DisconnectReason; seat: string };

const HELLO = 1;
const WELCOME = 2;
const LEFT = 3;

/** A fingerprint on the wire: 16 hex digits as 8 bytes, most significant first. */
const FINGERPRINT_BYTES = 8;

/** Largest seat message: type, resumed flag, token, seat id. */
const MAX_SEAT_MESSAGE_BYTES = 2 + RECONNECT_TOKEN_BYTES + MAX_SEAT_BYTES;

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
  }
  return writer.toBytes();
}

/** Decodes a seat message; WIRE_INVALID / WIRE_TRUNCATED for anything malformed. */
export function decodeSeatMessage(bytes: Uint8Array): SeatMessage {
  const type = bytes[0];
  if (type === HELLO) {
    const tokenStart = 1 + FINGERPRINT_BYTES;
    if (bytes.length !== tokenStart && bytes.length !== tokenStart + RECONNECT_TOKEN_BYTES) {
      throw invalid('hello length');
    }
    const fingerprint = [...bytes.subarray(1, tokenStart)]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
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
  throw invalid(`seat message type ${String(type)}`);
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
