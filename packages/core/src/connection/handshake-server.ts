import { ShardlineError } from '../errors.js';
import { ByteReader, ByteWriter } from '../wire/bytes.js';
import { decodeUtf8, encodeUtf8 } from '../wire/utf8.js';
import {
  type Aead,
  CHALLENGE_NONCE_DOMAIN,
  counterNonce,
  KEY_BYTES,
  randomBytes,
  TAG_BYTES,
} from './crypto.js';
import { PacketType, readRequest, readResponse, writeChallengeBody, writeDenied } from './packets.js';
import { sealPacket } from './protection.js';
import type { DisconnectReason } from './reasons.js';
import { openPrivateToken, type PrivateToken, readWorld, TOKEN_MAGIC, writeWorld } from './token.js';
import { readU64, writeU64 } from './u64.js';

/** Challenge tokens are padded to this size, so every challenge and response has one length. */
const CHALLENGE_PLAINTEXT_BYTES = 640;
export const SEALED_CHALLENGE_BYTES = CHALLENGE_PLAINTEXT_BYTES + TAG_BYTES;
/** A challenge must be answered within this long. */
export const CHALLENGE_TIMEOUT_MS = 10_000;
const MAX_PEER_BYTES = 128;
/** Valid tokens remembered for replay detection until they expire; past this, new requests are refused. */
export const MAX_REMEMBERED_TOKENS = 65_536;

export interface HandshakeServerOptions {
  protocolId: number;
  /** The secret shared with the token issuer (32 bytes). */
  privateKey: Uint8Array;
  aead: Aead;
  /** The addresses this server answers to; a token must name one of them. */
  addresses: readonly string[];
  /**
   * True over datagram transports (UDP): a challenge proves the requester holds the token's keys and
   * can receive at its source address before anything is allocated, and packets are then encrypted.
   * False over stream transports, whose connections cannot be spoofed: a valid request is accepted at once.
   */
  secure: boolean;
  /** Key sealing challenge tokens; random per server by default (tests and vectors fix it). */
  challengeKey?: Uint8Array;
}

/** Why a datagram got no reply at all. */
export type HandshakeDrop =
  | 'malformed'
  | 'not-a-handshake'
  | 'challenge-invalid'
  | 'challenge-expired'
  | 'token-used';

export type HandshakeResult =
  | { kind: 'ignored'; why: HandshakeDrop }
  | { kind: 'denied'; reason: DisconnectReason; reply: Uint8Array }
  | { kind: 'challenge'; reply: Uint8Array }
  | { kind: 'accepted'; client: PrivateToken };

/**
 * The server half of the connect handshake, sans-IO (PROTOCOL.md §10). It holds no state per peer: a
 * challenge carries everything the server needs back, sealed under a key only the server knows, and
 * the only memory is of valid tokens already presented (for replay detection). Replies are never
 * larger than the datagram that caused them.
 */
export class HandshakeServer {
  private readonly challengeKey: Uint8Array;
  private challengeSequence = 0;
  /** Tag of each valid token presented → where from, until it expires, and whether it connected. */
  private readonly presentedTokens = new Map<
    string,
    { peer: string; expiresAtMs: number; accepted: boolean }
  >();
  readonly counters = {
    requests: 0,
    challenges: 0,
    accepted: 0,
    ignored: 0,
    denied: {} as Partial<Record<DisconnectReason, number>>,
  };

  constructor(private readonly options: HandshakeServerOptions) {
    this.challengeKey = options.challengeKey ?? randomBytes(KEY_BYTES);
  }

  /**
   * Handles a datagram from a peer that has no session. `admit` is asked just before accepting (is the
   * server full? is that client already connected?) and returns a refusal reason, or undefined.
   */
  handle(
    peer: string,
    datagram: Uint8Array,
    nowMs: number,
    admit: (client: PrivateToken) => DisconnectReason | undefined,
  ): HandshakeResult {
    const type = datagram[0];
    if (type === PacketType.Request) return this.handleRequest(peer, datagram, nowMs, admit);
    if (type === PacketType.Response && this.options.secure)
      return this.handleResponse(peer, datagram, nowMs, admit);
    return this.ignore('not-a-handshake');
  }

  /** How many valid tokens are remembered (the only state that grows with requests). */
  get rememberedTokens(): number {
    return this.presentedTokens.size;
  }

  private handleRequest(
    peer: string,
    datagram: Uint8Array,
    nowMs: number,
    admit: (client: PrivateToken) => DisconnectReason | undefined,
  ): HandshakeResult {
    let request: ReturnType<typeof readRequest>;
    try {
      request = readRequest(datagram);
    } catch (error) {
      // Stryker disable next-line ConditionalExpression: only ShardlineErrors can arise here; anything else is a bug, rethrown
      if (error instanceof ShardlineError) return this.ignore('malformed');
      throw error;
    }
    this.counters.requests++;
    if (!request.magicMatches || request.protocolId !== this.options.protocolId)
      return this.deny('protocol-mismatch');
    if (request.expiresAtMs <= nowMs) return this.deny('token-expired');
    const token = openPrivateToken(request.sealedPrivate, request.nonce, request.expiresAtMs, this.options);
    if (!token) return this.deny('token-invalid');
    if (!token.serverAddresses.some((address) => this.options.addresses.includes(address))) {
      return this.deny('wrong-address');
    }
    const tag = tokenTag(request.sealedPrivate);
    const replay = this.remember(tag, peer, request.expiresAtMs, nowMs);
    if (replay) return this.deny(replay);
    if (!this.options.secure) return this.accept(tag, token, admit);
    return this.challenge(peer, tag, token, nowMs);
  }

  /**
   * Records a valid token's first presentation. A token connects once: presenting it from another
   * peer, or again after it connected, is a replay.
   */
  private remember(
    tag: string,
    peer: string,
    expiresAtMs: number,
    nowMs: number,
  ): DisconnectReason | undefined {
    const seen = this.presentedTokens.get(tag);
    if (seen) return seen.peer === peer && !seen.accepted ? undefined : 'token-replayed';
    if (this.presentedTokens.size >= MAX_REMEMBERED_TOKENS) this.forgetExpired(nowMs);
    if (this.presentedTokens.size >= MAX_REMEMBERED_TOKENS) return 'server-full';
    this.presentedTokens.set(tag, { peer, expiresAtMs, accepted: false });
    return undefined;
  }

  private forgetExpired(nowMs: number): void {
    for (const [tag, entry] of this.presentedTokens)
      if (entry.expiresAtMs <= nowMs) this.presentedTokens.delete(tag);
  }

  private challenge(peer: string, tag: string, token: PrivateToken, nowMs: number): HandshakeResult {
    const sequence = this.challengeSequence++;
    const plaintext = new ByteWriter(CHALLENGE_PLAINTEXT_BYTES);
    writeShortString(plaintext, tag);
    writeShortString(plaintext, token.clientId);
    plaintext.u16(token.userData.length);
    plaintext.raw(token.userData);
    writeWorld(plaintext, token.world);
    plaintext.raw(token.clientToServerKey);
    plaintext.raw(token.serverToClientKey);
    plaintext.u32(token.timeoutMs);
    writeShortString(plaintext, peer);
    writeU64(plaintext, nowMs);
    const padded = new Uint8Array(CHALLENGE_PLAINTEXT_BYTES);
    padded.set(plaintext.toBytes());
    const sealed = this.options.aead.seal(
      this.challengeKey,
      counterNonce(sequence),
      this.challengeAd(),
      padded,
    );
    // The challenge rides under the session's key but in its own nonce domain, numbered by the
    // server-wide challenge sequence, so no nonce ever repeats under that key.
    const reply = sealPacket(
      this.options.aead,
      token.serverToClientKey,
      PacketType.Challenge,
      sequence,
      CHALLENGE_NONCE_DOMAIN,
      this.options.protocolId,
      writeChallengeBody(sequence, sealed),
    );
    this.counters.challenges++;
    return { kind: 'challenge', reply };
  }

  private handleResponse(
    peer: string,
    datagram: Uint8Array,
    nowMs: number,
    admit: (client: PrivateToken) => DisconnectReason | undefined,
  ): HandshakeResult {
    let response: ReturnType<typeof readResponse>;
    try {
      response = readResponse(datagram, SEALED_CHALLENGE_BYTES);
    } catch (error) {
      // Stryker disable next-line ConditionalExpression: only ShardlineErrors can arise here; anything else is a bug, rethrown
      if (error instanceof ShardlineError) return this.ignore('malformed');
      throw error;
    }
    const plaintext = this.options.aead.open(
      this.challengeKey,
      counterNonce(response.challengeSequence),
      this.challengeAd(),
      response.sealedChallenge,
    );
    if (!plaintext) return this.ignore('challenge-invalid');
    try {
      const reader = new ByteReader(plaintext);
      const tag = readShortString(reader);
      const clientId = readShortString(reader);
      // Copies, so the session keeps 32-byte keys rather than the whole 640-byte plaintext alive.
      // Stryker disable MethodExpression: the plaintext is this call's own; a view differs in memory only
      const userData = reader.slice(reader.u16()).slice();
      const world = readWorld(reader);
      const clientToServerKey = reader.slice(KEY_BYTES).slice();
      const serverToClientKey = reader.slice(KEY_BYTES).slice();
      // Stryker restore MethodExpression
      const timeoutMs = reader.u32();
      const challengedPeer = readShortString(reader);
      const issuedAtMs = readU64(reader);
      // The challenge went to one address: a response from elsewhere proves nothing.
      if (challengedPeer !== peer) return this.ignore('challenge-invalid');
      if (nowMs - issuedAtMs > CHALLENGE_TIMEOUT_MS) return this.ignore('challenge-expired');
      // A duplicated or replayed response must not open a second connection with the same token.
      if (this.presentedTokens.get(tag)?.accepted !== false) return this.ignore('token-used');
      const token: PrivateToken = {
        clientId,
        userData,
        world,
        timeoutMs,
        serverAddresses: [...this.options.addresses],
        clientToServerKey,
        serverToClientKey,
      };
      return this.accept(tag, token, admit);
    } catch (error) {
      // Stryker disable next-line ConditionalExpression: only ShardlineErrors can arise here; anything else is a bug, rethrown
      if (error instanceof ShardlineError) return this.ignore('challenge-invalid');
      throw error;
    }
  }

  private accept(
    tag: string,
    token: PrivateToken,
    admit: (client: PrivateToken) => DisconnectReason | undefined,
  ): HandshakeResult {
    const refusal = admit(token);
    if (refusal) return this.deny(refusal);
    // Both callers hold a remembered token: a request just remembered, or a response whose entry
    // was checked unaccepted.
    this.presentedTokens.get(tag)!.accepted = true;
    this.counters.accepted++;
    return { kind: 'accepted', client: token };
  }

  private deny(reason: DisconnectReason): HandshakeResult {
    this.counters.denied[reason] = (this.counters.denied[reason] ?? 0) + 1;
    return { kind: 'denied', reason, reply: writeDenied(reason) };
  }

  private ignore(why: HandshakeDrop): HandshakeResult {
    this.counters.ignored++;
    return { kind: 'ignored', why };
  }

  private challengeAd(): Uint8Array {
    const ad = new Uint8Array(8);
    const view = new DataView(ad.buffer);
    view.setUint32(0, TOKEN_MAGIC, true);
    view.setUint32(4, this.options.protocolId, true);
    return ad;
  }
}

function writeShortString(writer: ByteWriter, text: string): void {
  const bytes = encodeUtf8(text);
  if (bytes.length > MAX_PEER_BYTES)
    throw new ShardlineError('VALUE_INVALID', `${text} is over ${MAX_PEER_BYTES} bytes`);
  writer.u8(bytes.length);
  writer.raw(bytes);
}

function readShortString(reader: ByteReader): string {
  return decodeUtf8(reader.slice(reader.u8()));
}

/** A token's identity: the AEAD tag of its sealed private part, as hex. */
function tokenTag(sealedPrivate: Uint8Array): string {
  return hex(sealedPrivate.subarray(sealedPrivate.length - TAG_BYTES));
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
