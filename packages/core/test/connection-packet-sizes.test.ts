import { PacketType, REQUEST_BYTES, readDenied, writeDenied, writeMessagePacket } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import {
  isMessagePacket,
  MESSAGE_OVERHEAD_BYTES,
  readChallengeBody,
  readRequest,
  readResponse,
  writeChallengeBody,
  writeRequest,
  writeResponse,
} from '../src/connection/packets.js';
import { expectCode } from './support/expect-code.js';

const nonce = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
const sealedPrivate = Uint8Array.from({ length: 1024 }, (_, i) => i & 0xff);

describe('Request (PROTOCOL.md §10.2): 1053 bytes exactly', () => {
  const makeRequest = () =>
    writeRequest({ protocolId: 0x0102_0304, expiresAtMs: 0x5_0000_0006, nonce, sealedPrivate });

  it('lays out type, magic, protocolId, expiresAtMs, nonce and the sealed part', () => {
    const request = makeRequest();
    expect(REQUEST_BYTES).toBe(1053);
    expect(request.length).toBe(1053);
    expect(Array.from(request.subarray(0, 17))).toEqual([
      PacketType.Request,
      0x53,
      0x4c,
      0x54,
      0x31, // "SLT1"
      4,
      3,
      2,
      1,
      6,
      0,
      0,
      0,
      5,
      0,
      0,
      0,
    ]);
    expect(request.subarray(17, 29)).toEqual(nonce);
    expect(request.subarray(29)).toEqual(sealedPrivate);
    expect(readRequest(request)).toEqual({
      magicMatches: true,
      protocolId: 0x0102_0304,
      expiresAtMs: 0x5_0000_0006,
      nonce,
      sealedPrivate,
    });
  });

  it('is refused one byte short or one byte long (WIRE_INVALID)', () => {
    const request = makeRequest();
    expectCode('WIRE_INVALID', () => readRequest(request.subarray(0, 1052)));
    const long = new Uint8Array(1054);
    long.set(request);
    expectCode('WIRE_INVALID', () => readRequest(long));
  });

  it('reads another magic as a mismatch, not an error', () => {
    const request = makeRequest();
    const other = request.slice();
    other[4] = 0x32; // "SLT2"
    expect(readRequest(other).magicMatches).toBe(false);
  });
});

describe('Denied: two bytes, type then reason code', () => {
  it('round-trips a reason and refuses any other size', () => {
    expect(Array.from(writeDenied('token-expired'))).toEqual([PacketType.Denied, 6]);
    expect(readDenied(Uint8Array.of(PacketType.Denied, 9))).toBe('wrong-address');
    expect(readDenied(Uint8Array.of(PacketType.Denied, 200))).toBe('unknown');
    expectCode('WIRE_INVALID', () => readDenied(Uint8Array.of(PacketType.Denied)));
    expectCode('WIRE_INVALID', () => readDenied(Uint8Array.of(PacketType.Denied, 6, 0)));
  });
});

describe('Response and challenge body: the sealed challenge token at its fixed size', () => {
  const sealedChallenge = Uint8Array.from({ length: 20 }, (_, i) => 100 + i);

  it('Response is type 4, challengeSequence u64, then the sealed challenge', () => {
    const response = writeResponse(0x1_0000_0002, sealedChallenge);
    expect(Array.from(response.subarray(0, 9))).toEqual([PacketType.Response, 2, 0, 0, 0, 1, 0, 0, 0]);
    expect(readResponse(response, 20)).toEqual({ challengeSequence: 0x1_0000_0002, sealedChallenge });
    expectCode('WIRE_INVALID', () => readResponse(response, 19));
    expectCode('WIRE_INVALID', () => readResponse(response, 21));
  });

  it('the challenge body is challengeSequence u64 then the sealed challenge', () => {
    const body = writeChallengeBody(7, sealedChallenge);
    expect(Array.from(body.subarray(0, 8))).toEqual([7, 0, 0, 0, 0, 0, 0, 0]);
    expect(body.length).toBe(28);
    expect(readChallengeBody(body, 20)).toEqual({ challengeSequence: 7, sealedChallenge });
    expectCode('WIRE_INVALID', () => readChallengeBody(body, 19));
    expectCode('WIRE_INVALID', () => readChallengeBody(body, 21));
  });
});

describe('Message packets (PROTOCOL.md §10.7)', () => {
  const message = Uint8Array.of(10, 20, 30);

  it('are type 8, the channel, then the message to the end', () => {
    expect(MESSAGE_OVERHEAD_BYTES).toBe(2);
    expect(Array.from(writeMessagePacket(5, message))).toEqual([PacketType.Message, 5, 10, 20, 30]);
  });

  it('match only the same channel and the same bytes, first to last', () => {
    const packet = writeMessagePacket(5, message);
    expect(isMessagePacket(packet, 5, message)).toBe(true);
    expect(isMessagePacket(packet, 4, message)).toBe(false);
    expect(isMessagePacket(packet, 5, Uint8Array.of(11, 20, 30))).toBe(false);
    expect(isMessagePacket(packet, 5, Uint8Array.of(10, 20, 31))).toBe(false);
    expect(isMessagePacket(packet, 5, Uint8Array.of(10, 20))).toBe(false);
    expect(isMessagePacket(packet, 5, Uint8Array.of(10, 20, 30, 40))).toBe(false);
    expect(isMessagePacket(writeMessagePacket(5, new Uint8Array(0)), 5, new Uint8Array(0))).toBe(true);
  });
});

describe('what is read from a datagram is copied out of it (transports reuse their buffers)', () => {
  it('Request: the nonce and the sealed part', () => {
    const datagram = writeRequest({ protocolId: 1, expiresAtMs: 2, nonce, sealedPrivate });
    const read = readRequest(datagram);
    datagram.fill(0);
    expect(read.nonce).toEqual(nonce);
    expect(read.sealedPrivate).toEqual(sealedPrivate);
  });

  it('Response and challenge body: the sealed challenge', () => {
    const sealedChallenge = Uint8Array.of(1, 2, 3);
    const response = writeResponse(5, sealedChallenge);
    const body = writeChallengeBody(5, sealedChallenge);
    const fromResponse = readResponse(response, 3);
    const fromBody = readChallengeBody(body, 3);
    response.fill(0);
    body.fill(0);
    expect(fromResponse.sealedChallenge).toEqual(sealedChallenge);
    expect(fromBody.sealedChallenge).toEqual(sealedChallenge);
  });
});
