import { ShardlineError } from '../errors.js';
import { pooledBytes } from '../wire/byte-pool.js';
import { ByteReader, ByteWriter } from '../wire/bytes.js';
import { NONCE_BYTES } from './crypto.js';
import { type DisconnectReason, reasonCode, reasonFromCode } from './reasons.js';
import { SEALED_PRIVATE_BYTES, TOKEN_MAGIC } from './token.js';
import { readU64, writeU64 } from './u64.js';

/** First byte of every connection-layer datagram (PROTOCOL.md §10). */
export enum PacketType {
  Request = 1,
  Denied = 2,
  Challenge = 3,
  Response = 4,
  Accepted = 5,
  Data = 6,
  Disconnect = 7,
  /** One whole message outside the reliable layer (streams only, server → client; §10.7). */
  Message = 8,
}

/** The connect request: a token's public header and its sealed private part, 1053 bytes. */
export interface RequestPacket {
  protocolId: number;
  expiresAtMs: number;
  nonce: Uint8Array;
  sealedPrivate: Uint8Array;
}

export const REQUEST_BYTES = 1 + 4 + 4 + 8 + NONCE_BYTES + SEALED_PRIVATE_BYTES;

export function writeRequest(request: RequestPacket): Uint8Array {
  const writer = new ByteWriter(REQUEST_BYTES);
  writer.u8(PacketType.Request);
  writer.u32(TOKEN_MAGIC);
  writer.u32(request.protocolId);
  writeU64(writer, request.expiresAtMs);
  writer.raw(request.nonce);
  writer.raw(request.sealedPrivate);
  return writer.toBytes();
}

/** Reads a request; `magicMatches` is false for another protocol generation (answered protocol-mismatch). */
export function readRequest(datagram: Uint8Array): RequestPacket & { magicMatches: boolean } {
  if (datagram.length !== REQUEST_BYTES)
    throw new ShardlineError('WIRE_INVALID', 'connect request of wrong size');
  const reader = new ByteReader(datagram);
  reader.u8();
  const magicMatches = reader.u32() === TOKEN_MAGIC;
  return {
    magicMatches,
    protocolId: reader.u32(),
    expiresAtMs: readU64(reader),
    nonce: reader.slice(NONCE_BYTES).slice(),
    sealedPrivate: reader.slice(SEALED_PRIVATE_BYTES).slice(),
  };
}

/** A refusal: two bytes, far smaller than the request that caused it. */
export function writeDenied(reason: DisconnectReason): Uint8Array {
  return Uint8Array.of(PacketType.Denied, reasonCode(reason));
}

export function readDenied(datagram: Uint8Array): DisconnectReason {
  if (datagram.length !== 2) throw new ShardlineError('WIRE_INVALID', 'denied packet of wrong size');
  return reasonFromCode(datagram[1]!);
}

/** The response to a challenge: the challenge sequence and the sealed challenge token, echoed. */
export function writeResponse(challengeSequence: number, sealedChallenge: Uint8Array): Uint8Array {
  const writer = new ByteWriter(1 + 8 + sealedChallenge.length);
  writer.u8(PacketType.Response);
  writeU64(writer, challengeSequence);
  writer.raw(sealedChallenge);
  return writer.toBytes();
}

export function readResponse(
  datagram: Uint8Array,
  sealedChallengeBytes: number,
): { challengeSequence: number; sealedChallenge: Uint8Array } {
  if (datagram.length !== 1 + 8 + sealedChallengeBytes) {
    throw new ShardlineError('WIRE_INVALID', 'challenge response of wrong size');
  }
  const reader = new ByteReader(datagram);
  reader.u8();
  return { challengeSequence: readU64(reader), sealedChallenge: reader.slice(sealedChallengeBytes).slice() };
}

/** The body of a challenge (inside a protected packet): its sequence and the sealed challenge token. */
export function writeChallengeBody(challengeSequence: number, sealedChallenge: Uint8Array): Uint8Array {
  const writer = new ByteWriter(8 + sealedChallenge.length);
  writeU64(writer, challengeSequence);
  writer.raw(sealedChallenge);
  return writer.toBytes();
}

export function readChallengeBody(
  body: Uint8Array,
  sealedChallengeBytes: number,
): { challengeSequence: number; sealedChallenge: Uint8Array } {
  if (body.length !== 8 + sealedChallengeBytes)
    throw new ShardlineError('WIRE_INVALID', 'challenge of wrong size');
  const reader = new ByteReader(body);
  return { challengeSequence: readU64(reader), sealedChallenge: reader.slice(sealedChallengeBytes).slice() };
}

/** Bytes a Message packet adds in front of its message: the type and the channel. */
export const MESSAGE_OVERHEAD_BYTES = 2;

/** A Message packet (PROTOCOL.md §10.7): type, channel, then the message to the end. */
export function writeMessagePacket(channel: number, message: Uint8Array): Uint8Array {
  const packet = pooledBytes(MESSAGE_OVERHEAD_BYTES + message.length);
  packet[0] = PacketType.Message;
  packet[1] = channel;
  packet.set(message, MESSAGE_OVERHEAD_BYTES);
  return packet;
}

/** Whether `packet` is a Message packet on `channel` carrying exactly `message`. */
export function isMessagePacket(packet: Uint8Array, channel: number, message: Uint8Array): boolean {
  if (packet.length !== MESSAGE_OVERHEAD_BYTES + message.length || packet[1] !== channel) return false;
  // Stryker disable next-line EqualityOperator: one step further compares undefined with undefined (lengths match)
  for (let i = 0; i < message.length; i++)
    if (packet[MESSAGE_OVERHEAD_BYTES + i] !== message[i]) return false;
  return true;
}
