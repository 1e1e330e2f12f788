import { ShardlineError } from '../errors.js';
import { pooledBytes } from '../wire/byte-pool.js';
import {
  type Aead,
  NONCE_BYTES,
  readU32,
  SESSION_NONCE_DOMAIN,
  TAG_BYTES,
  writeCounterNonce,
  writeU32,
} from './crypto.js';
import type { PacketType } from './packets.js';
import { TOKEN_MAGIC } from './token.js';

/** Packets remembered for replay detection (netcode.io's 256). */
export const REPLAY_WINDOW = 256;

/**
 * Remembers which recent packet sequences arrived. A sequence already seen, or older than the window
 * behind the newest, is a replay.
 */
export class ReplayWindow {
  /** The newest sequence accepted; 0 before any (no sequence is too old until one of 256 or more). */
  private newest = 0;
  private readonly slots = new Float64Array(REPLAY_WINDOW).fill(-1);

  /** `sequence` is a u53 (a packet's 64-bit sequence); until one is accepted, none is too old. */
  isReplay(sequence: number): boolean {
    // Stryker disable next-line EqualityOperator: exactly 256 behind, the slot holds the newest, so the check below refuses it too
    if (sequence + REPLAY_WINDOW <= this.newest) return true;
    return this.slots[sequence % REPLAY_WINDOW]! >= sequence;
  }

  accept(sequence: number): void {
    // Stryker disable next-line EqualityOperator: at equality `newest` would be set to the value it holds
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
  /**
   * Scratch nonce and associated data, rewritten whole for every packet (the AEAD reads them during
   * its call only): a packet costs no arrays of its own but the datagram it becomes.
   */
  private readonly nonce = new Uint8Array(NONCE_BYTES);
  private readonly ad: Uint8Array;

  constructor(
    private readonly aead: Aead,
    private readonly sendKey: Uint8Array,
    private readonly receiveKey: Uint8Array,
    protocolId: number,
    private readonly nonceDomain = SESSION_NONCE_DOMAIN,
  ) {
    this.ad = protectionAssociatedData(0, protocolId);
  }

  /** A new datagram each call (pooled): the caller may hand it to a transport and keep it unchanged. */
  protect(type: PacketType, payload: Uint8Array): Uint8Array {
    const sequence = this.sendSequence++;
    this.ad[0] = type;
    return sealInto(
      this.aead,
      this.sendKey,
      type,
      sequence,
      writeCounterNonce(this.nonce, sequence, this.nonceDomain),
      this.ad,
      payload,
    );
  }

  unprotect(datagram: Uint8Array): Unprotected {
    if (datagram.length < PROTECTION_OVERHEAD_BYTES) {
      this.counters.malformed++;
      return { ok: false, reason: 'malformed' };
    }
    const type = datagram[0]!;
    const low = readU32(datagram, 1);
    const high = readU32(datagram, 5);
    if (high >= 0x20_0000) {
      this.counters.malformed++; // a u64 beyond 2^53 (readU64's WIRE_INVALID)
      return { ok: false, reason: 'malformed' };
    }
    const sequence = high * 0x1_0000_0000 + low;
    if (this.replay.isReplay(sequence)) {
      this.counters.replayed++;
      return { ok: false, reason: 'replayed' };
    }
    this.ad[0] = type;
    const payload = this.open(writeCounterNonce(this.nonce, sequence, this.nonceDomain), datagram);
    if (!payload) {
      this.counters.tampered++;
      return { ok: false, reason: 'tampered' };
    }
    this.replay.accept(sequence);
    return { ok: true, type: type as PacketType, payload };
  }

  /**
   * The payload of an authentic datagram, or undefined. An AEAD that can (openInto) decrypts in place:
   * the datagram's payload bytes then hold the plaintext, and the result is a view of them. Safe
   * because a datagram is opened once: delivered again, its sequence is a replay, refused first.
   */
  private open(nonce: Uint8Array, datagram: Uint8Array): Uint8Array | undefined {
    const sealed = datagram.subarray(9);
    // Stryker disable next-line ConditionalExpression: open gives the same plaintext, in a new array
    if (!this.aead.openInto) return this.aead.open(this.receiveKey, nonce, this.ad, sealed);
    if (!this.aead.openInto(this.receiveKey, nonce, this.ad, sealed, datagram, 9)) return undefined;
    return datagram.subarray(9, datagram.length - TAG_BYTES);
  }
}

/** Writes [type][sequence u64][sealed payload] into a new pooled datagram. */
function sealInto(
  aead: Aead,
  key: Uint8Array,
  type: PacketType,
  sequence: number,
  nonce: Uint8Array,
  associatedData: Uint8Array,
  payload: Uint8Array,
): Uint8Array {
  if (!Number.isSafeInteger(sequence) || sequence < 0)
    throw new ShardlineError('VALUE_INVALID', `${sequence} is not a u53`);
  const datagram = pooledBytes(PROTECTION_OVERHEAD_BYTES + payload.length);
  datagram[0] = type;
  writeU32(datagram, 1, sequence >>> 0);
  writeU32(datagram, 5, Math.floor(sequence / 0x1_0000_0000));
  if (aead.sealInto) aead.sealInto(key, nonce, associatedData, payload, datagram, 9);
  else datagram.set(aead.seal(key, nonce, associatedData, payload), 9);
  return datagram;
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
  return sealInto(
    aead,
    key,
    type,
    sequence,
    writeCounterNonce(new Uint8Array(NONCE_BYTES), sequence, nonceDomain),
    protectionAssociatedData(type, protocolId),
    payload,
  );
}

/** Associated data of a protected packet: its type byte, the token magic and the protocol id. */
export function protectionAssociatedData(type: number, protocolId: number): Uint8Array {
  const ad = new Uint8Array(9);
  ad[0] = type;
  writeU32(ad, 1, TOKEN_MAGIC);
  writeU32(ad, 5, protocolId);
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
