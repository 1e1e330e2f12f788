import * as zlib from 'node:zlib';
import {
  ByteWriter,
  type ChannelConfig,
  compressorFromNodeZlib,
  encodeFrame,
  FrameDecoder,
  MAX_FRAME_BYTES,
  ReliableEndpoint,
  readPacket,
} from '@shardline/core';
import { writeEntry, writeHeader, writeHeld } from '../../../packages/core/src/reliable/packet.js';
import { vectorBytes, withContext } from '../corpus.js';
import { checkRoundTrip, type FuzzTarget } from '../target.js';

/** One channel of every kind, and a compressed one, so every receive path is reachable. */
const CHANNELS: readonly ChannelConfig[] = [
  { kind: 'reliable-ordered' },
  { kind: 'reliable-unordered' },
  { kind: 'unreliable-sequenced' },
  { kind: 'unreliable' },
  { kind: 'reliable-ordered', compress: true },
];
const compressor = compressorFromNodeZlib(zlib);

function endpoint(transportReliable: boolean): ReliableEndpoint {
  return new ReliableEndpoint({ channels: CHANNELS, transportReliable, compressor }, 0);
}

/**
 * Packets a peer writes on every channel (whole, fragmented, compressed, with acks and held times),
 * after a few packets from the endpoint under test, so the acks name packets it sent.
 */
function peerPackets(transportReliable: boolean): Uint8Array[] {
  const local = endpoint(transportReliable);
  const peer = endpoint(transportReliable);
  const packets: Uint8Array[] = [];
  for (let round = 0; round < 6; round++) {
    const nowMs = round * 20;
    for (const packet of local.update(nowMs)) peer.receive(packet, nowMs);
    local.send(round % CHANNELS.length, Uint8Array.of(round), nowMs);
    peer.send(round % CHANNELS.length, new Uint8Array(round === 2 ? 3000 : 1 + round * 7).fill(round), nowMs);
    peer.send(4, new Uint8Array(400).fill(65 + round), nowMs);
    peer.send(3, Uint8Array.of(1, 2, 3), nowMs);
    packets.push(...peer.update(nowMs + 5));
  }
  return packets;
}

const datagramPackets = peerPackets(false);
const streamPackets = peerPackets(true);
const packetVectors = vectorBytes('packets', [
  'packet-keepalive',
  'packet-reliable',
  'packet-mixed',
  'packet-fragment',
  'packet-held',
]);

type Parsed = ReturnType<typeof readPacket>;

/** A parsed packet written again: header, its held time, then its entries. */
function writePacket(parsed: Parsed): Uint8Array {
  const writer = new ByteWriter(1 << 17);
  writeHeader(writer, parsed.header);
  if (parsed.heldMs !== undefined) writeHeld(writer, parsed.heldMs);
  for (const entry of parsed.entries) writeEntry(writer, entry);
  return writer.toBytes();
}

/** Parsed packets as plain data: payloads copied out of the packet they view. */
function plain(parsed: Parsed): Parsed {
  return {
    ...parsed,
    entries: parsed.entries.map((entry) => ({ ...entry, payload: entry.payload.slice() })),
  };
}

/** The reliable layer's packet parser (core/src/reliable/packet.ts), with its writer as round trip. */
export const packetTarget: FuzzTarget = {
  name: 'reliable-packet',
  weight: 8,
  corpus: [...packetVectors, ...datagramPackets, ...streamPackets],
  decode: (input) =>
    checkRoundTrip(plain(readPacket(input)), writePacket, (bytes) => plain(readPacket(bytes))),
};

/**
 * A whole endpoint receiving a hostile packet after sending a few of its own: acks, held times,
 * fragment reassembly, ordering and decompression. The first byte picks datagram or stream mode.
 */
export const endpointTarget: FuzzTarget = {
  name: 'reliable-endpoint',
  weight: 6,
  corpus: [...datagramPackets.map((p) => withContext(0, p)), ...streamPackets.map((p) => withContext(1, p))],
  decode: (input) => {
    const local = endpoint((input[0] ?? 0) % 2 === 1);
    for (let round = 0; round < 3; round++) {
      local.send(round, Uint8Array.of(round), round * 20);
      local.update(round * 20);
    }
    const messages = local.receive(input.subarray(1), 60).length;
    local.receive(input.subarray(1), 61);
    local.update(200);
    return messages;
  },
  outcome: (messages) => (messages === 0 ? 'no message' : 'messages'),
};

/** The length-prefixed framing of stream transports, fed in two chunks split where the input says. */
export const framesTarget: FuzzTarget = {
  name: 'stream-frames',
  weight: 3,
  corpus: [
    Uint8Array.from([...encodeFrame(datagramPackets[0]!), ...encodeFrame(streamPackets[1]!)]),
    encodeFrame(new Uint8Array(0)),
    encodeFrame(streamPackets[2]!),
  ],
  decode: (input) => {
    const decoder = new FrameDecoder(MAX_FRAME_BYTES);
    const split = input.length === 0 ? 0 : input[0]! % input.length;
    return [...decoder.push(input.subarray(0, split)), ...decoder.push(input.subarray(split))];
  },
};
