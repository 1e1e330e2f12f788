import { ShardlineError } from '../errors.js';
import { ByteReader, ByteWriter } from '../wire/bytes.js';
import { type Aead, counterNonce, SESSION_NONCE_DOMAIN, TAG_BYTES } from './crypto.js';
import type { PacketType } from './packets.js';
import { TOKEN_MAGIC } from './token.js';
import { readU64, writeU64 } from './u64.js';

/** Packets remembered for replay detection (netcode.io's 256). */
export const REPLAY_WINDOW = 256;

/**
 * Remembers which recent packet sequences arrived. A sequence already seen, or older than the window
 * behind the newest, is a replay.
 */
export class ReplayWindow {
  private newest = -1;
  private readonly slots = new Float64Array(REPLAY_WINDOW).fill(-1);

  isReplay(sequence: number): boolean {
    if (this.newest >= 0 && sequence + REPLAY_WINDOW <= this.newest) return true;
    return this.slots[sequence % REPLAY_WINDOW]! >= sequence;
  }

  accept(sequence: number): void {
    if (sequence > this.newest) this.newest = sequence;
    this.slots[sequence % REPLAY_WINDOW] = sequence;
  }
}

/** Bytes a protected packet adds around its payload: type, 64-bit sequence, tag. */
export const PROTECTION_OVERHEAD_BYTES = 1 + 8 + TAG_BYTES;

export type Unprotected =
  | { ok: true; type: PacketType; payload: Uint8Array }
  | { ok: false; reason: 'malformed' | 'tampered' | 'replayed' };

/**
 * Encrypts and authenticates one direction's packets and checks the other's (PROTOCOL.md §10.4):
 * [type u8][sequence u64][ChaCha20-Poly1305(payload)], nonce from the sequence, the type and protocol
 * bound as associated data. Each side's sequence starts at 0 and only grows.
 */
export class PacketProtection {
  private sendSequence = 0;
  private readonly replay = new ReplayWindow();
  readonly counters = { tampered: 0, replayed: 0, malformed: 0 };

  constructor(
    private readonly aead: Aead,
    private readonly sendKey: Uint8Array,
    private readonly receiveKey: Uint8Array,
    private readonly protocolId: number,
    private readonly nonceDomain = SESSION_NONCE_DOMAIN,
  ) {}

  protect(type: PacketType, payload: Uint8Array): Uint8Array {
    return sealPacket(
      this.aead,
      this.sendKey,
      type,
      this.sendSequence++,
      this.nonceDomain,
      this.protocolId,
      payload,
    );
  }

  unprotect(datagram: Uint8Array): Unprotected {
    let type: number;
    let sequence: number;
    try {
      if (datagram.length < PROTECTION_OVERHEAD_BYTES)
        throw new ShardlineError('WIRE_TRUNCATED', 'short packet');
      const reader = new ByteReader(datagram);
      type = reader.u8();
      sequence = readU64(reader);
    } catch {
      this.counters.malformed++;
      return { ok: false, reason: 'malformed' };
    }
    if (this.replay.isReplay(sequence)) {
      this.counters.replayed++;
      return { ok: false, reason: 'replayed' };
    }
    const payload = this.aead.open(
      this.receiveKey,
      counterNonce(sequence, this.nonceDomain),
      this.associatedData(type),
      datagram.subarray(9),
    );
    if (!payload) {
      this.counters.tampered++;
      return { ok: false, reason: 'tampered' };
    }
    this.replay.accept(sequence);
    return { ok: true, type: type as PacketType, payload };
  }

  private associatedData(type: number): Uint8Array {
    return protectionAssociatedData(type, this.protocolId);
  }
}

/** A protected packet: [type u8][sequence u64][sealed payload], nonce = (domain, sequence). */
export function sealPacket(
  aead: Aead,
  key: Uint8Array,
  type: PacketType,
  sequence: number,
  nonceDomain: number,
  protocolId: number,
  payload: Uint8Array,
): Uint8Array {
  const sealed = aead.seal(
    key,
    counterNonce(sequence, nonceDomain),
    protectionAssociatedData(type, protocolId),
    payload,
  );
  const writer = new ByteWriter(9 + sealed.length);
  writer.u8(type);
  writeU64(writer, sequence);
  writer.raw(sealed);
  return writer.toBytes();
}

/** Associated data of a protected packet: its type byte, the token magic and the protocol id. */
export function protectionAssociatedData(type: number, protocolId: number): Uint8Array {
  const ad = new Uint8Array(9);
  const view = new DataView(ad.buffer);
  ad[0] = type;
  view.setUint32(1, TOKEN_MAGIC, true);
  view.setUint32(5, protocolId, true);
  return ad;
}

/**
 * A session datagram: protected on secure (datagram) transports; `[type][payload]` in the clear on
 * stream transports, whose connection already authenticates the peer.
 */
export function sealSessionDatagram(
  protection: PacketProtection | undefined,
  type: PacketType,
  payload: Uint8Array,
): Uint8Array {
  if (protection) return protection.protect(type, payload);
  const datagram = new Uint8Array(1 + payload.length);
  datagram[0] = type;
  datagram.set(payload, 1);
  return datagram;
}

/** Free bytes a session's endpoint leaves before each packet, for sealFramedDatagram (the type byte). */
export const SESSION_HEADROOM_BYTES = 1;

/**
 * sealSessionDatagram for a payload that follows SESSION_HEADROOM_BYTES free bytes of `framed`: on
 * stream transports the type byte goes there and `framed` itself becomes the datagram (no copy).
 */
export function sealFramedDatagram(
  protection: PacketProtection | undefined,
  type: PacketType,
  framed: Uint8Array,
): Uint8Array {
  if (protection) return protection.protect(type, framed.subarray(SESSION_HEADROOM_BYTES));
  framed[0] = type;
  return framed;
}

/** Inverse of sealSessionDatagram; undefined for an empty or unauthenticated datagram (counted). */
export function openSessionDatagram(
  protection: PacketProtection | undefined,
  datagram: Uint8Array,
): { type: number; payload: Uint8Array } | undefined {
  if (!protection)
    return datagram.length > 0 ? { type: datagram[0]!, payload: datagram.subarray(1) } : undefined;
  const opened = protection.unprotect(datagram);
  return opened.ok ? { type: opened.type, payload: opened.payload } : undefined;
}
