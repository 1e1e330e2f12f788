import { type Aead, CHALLENGE_NONCE_DOMAIN } from './crypto.js';
import { SEALED_CHALLENGE_BYTES } from './handshake-server.js';
import { PacketType, readChallengeBody, readDenied, writeRequest, writeResponse } from './packets.js';
import { PacketProtection } from './protection.js';
import type { DisconnectReason } from './reasons.js';
import { type ConnectToken, readConnectToken } from './token.js';

/** How often an unanswered request or response is sent again. */
export const HANDSHAKE_RESEND_MS = 100;

export type ClientHandshakeState = 'requesting' | 'responding' | 'connected' | 'failed';

/**
 * The client half of the connect handshake, sans-IO. `update` returns what to send (the request,
 * then the challenge response, repeated until answered); `handle` takes the server's datagrams.
 * Over streams (`secure: false`) the server accepts the request directly.
 */
export class HandshakeClient {
  readonly token: ConnectToken;
  private currentState: ClientHandshakeState = 'requesting';
  private failure: DisconnectReason | undefined;
  private readonly request: Uint8Array;
  private response: Uint8Array | undefined;
  private lastSentMs = Number.NEGATIVE_INFINITY;
  /** Keys for protected packets, once connected over a secure transport. */
  readonly protection: PacketProtection | undefined;
  /** Opens challenges: same keys, the challenge nonce domain, its own replay window. */
  private readonly challengeProtection: PacketProtection | undefined;

  constructor(
    tokenBytes: Uint8Array,
    aead: Aead | undefined,
    private readonly secure: boolean,
  ) {
    this.token = readConnectToken(tokenBytes);
    this.request = writeRequest(this.token);
    if (secure) {
      if (!aead) throw new Error('a secure handshake needs an AEAD implementation');
      const { clientToServerKey, serverToClientKey, protocolId } = this.token;
      this.protection = new PacketProtection(aead, clientToServerKey, serverToClientKey, protocolId);
      this.challengeProtection = new PacketProtection(
        aead,
        clientToServerKey,
        serverToClientKey,
        protocolId,
        CHALLENGE_NONCE_DOMAIN,
      );
    }
  }

  get state(): ClientHandshakeState {
    return this.currentState;
  }

  /** Why the handshake failed, once it has. */
  get failureReason(): DisconnectReason | undefined {
    return this.failure;
  }

  /** Datagrams to send now. Fails with `token-expired` once the token can no longer be presented. */
  update(nowMs: number): Uint8Array[] {
    if (this.currentState === 'connected' || this.currentState === 'failed') return [];
    if (nowMs >= this.token.expiresAtMs && this.currentState === 'requesting') {
      this.fail('token-expired');
      return [];
    }
    if (nowMs - this.lastSentMs < HANDSHAKE_RESEND_MS) return [];
    this.lastSentMs = nowMs;
    return [this.currentState === 'requesting' ? this.request : this.response!];
  }

  /** Handles a server datagram during the handshake; returns datagrams to send at once (a response). */
  handle(datagram: Uint8Array, nowMs: number): Uint8Array[] {
    if (this.currentState === 'connected' || this.currentState === 'failed') return [];
    const type = datagram[0];
    if (type === PacketType.Denied) {
      try {
        this.fail(readDenied(datagram));
      } catch {
        // A malformed denial is ignored like any other garbage.
      }
      return [];
    }
    if (!this.secure) {
      if (type === PacketType.Accepted && datagram.length === 1) this.currentState = 'connected';
      return [];
    }
    if (type === PacketType.Accepted) {
      // The type byte is authenticated (associated data) and was checked above.
      if (this.protection!.unprotect(datagram).ok) this.currentState = 'connected';
      return [];
    }
    const opened = this.challengeProtection!.unprotect(datagram);
    // Stryker disable next-line ConditionalExpression: a refused packet has no type, so the test below fails for it too
    if (!opened.ok) return [];
    if (opened.type === PacketType.Challenge && this.currentState === 'requesting') {
      try {
        const { challengeSequence, sealedChallenge } = readChallengeBody(
          opened.payload,
          SEALED_CHALLENGE_BYTES,
        );
        this.response = writeResponse(challengeSequence, sealedChallenge);
        this.currentState = 'responding';
        this.lastSentMs = nowMs;
        return [this.response];
      } catch {
        // A challenge body of the wrong size is ignored, like any other garbage.
      }
    }
    return [];
  }

  private fail(reason: DisconnectReason): void {
    this.currentState = 'failed';
    this.failure = reason;
  }
}
