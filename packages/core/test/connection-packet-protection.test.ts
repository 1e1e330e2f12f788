import { type Aead, chacha20Poly1305, PacketProtection, PacketType, TOKEN_MAGIC } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import {
  openSessionDatagram,
  PROTECTION_OVERHEAD_BYTES,
  protectionAssociatedData,
  SESSION_HEADROOM_BYTES,
  sealFramedDatagram,
  sealPacket,
  sealSessionDatagram,
} from '../src/connection/protection.js';
import { aead, protocolId } from './support/connection-fixtures.js';
import { expectCode } from './support/expect-code.js';

const c2s = new Uint8Array(32).fill(1);
const s2c = new Uint8Array(32).fill(2);

/** The 12-byte nonce of §10.4: domain u32, then the sequence as u64, little-endian. */
function nonceOf(domain: number, sequence: number): Uint8Array {
  const nonce = new Uint8Array(12);
  const view = new DataView(nonce.buffer);
  view.setUint32(0, domain, true);
  view.setUint32(4, sequence >>> 0, true);
  view.setUint32(8, Math.floor(sequence / 2 ** 32), true);
  return nonce;
}

describe('protected packet wire format (PROTOCOL.md §10.4)', () => {
  it('associated data is type, magic and protocolId (9 bytes)', () => {
    expect(Array.from(protectionAssociatedData(PacketType.Data, 0x0a0b_0c0d))).toEqual([
      6, 0x53, 0x4c, 0x54, 0x31, 0x0d, 0x0c, 0x0b, 0x0a,
    ]);
    expect(TOKEN_MAGIC).toBe(0x3154_4c53);
    expect(PROTECTION_OVERHEAD_BYTES).toBe(25);
  });

  it('seals type ‖ sequence ‖ AEAD(key, (domain, sequence), AD, payload)', () => {
    const payload = Uint8Array.of(9, 8, 7);
    const sequence = 0x3_0000_0102;
    const datagram = sealPacket(aead, c2s, PacketType.Challenge, sequence, 1, protocolId, payload);
    expect(Array.from(datagram.subarray(0, 9))).toEqual([PacketType.Challenge, 2, 1, 0, 0, 3, 0, 0, 0]);
    const expected = aead.seal(
      c2s,
      nonceOf(1, sequence),
      protectionAssociatedData(PacketType.Challenge, protocolId),
      payload,
    );
    expect(datagram.subarray(9)).toEqual(expected);
    expect(datagram.length).toBe(PROTECTION_OVERHEAD_BYTES + payload.length);
  });

  it('refuses to seal a sequence that is negative or beyond 2^53', () => {
    expectCode('VALUE_INVALID', () =>
      sealPacket(aead, c2s, PacketType.Data, -1, 0, protocolId, new Uint8Array(0)),
    );
    expectCode('VALUE_INVALID', () =>
      sealPacket(aead, c2s, PacketType.Data, 2 ** 53, 0, protocolId, new Uint8Array(0)),
    );
    expect(sealPacket(aead, c2s, PacketType.Data, 2 ** 53 - 1, 0, protocolId, new Uint8Array(0)).length).toBe(
      25,
    );
  });

  it('counts its own sequence from 0 in the session domain (0)', () => {
    const sender = new PacketProtection(aead, c2s, s2c, protocolId);
    const payload = Uint8Array.of(1);
    for (const sequence of [0, 1, 2]) {
      expect(sender.protect(PacketType.Data, payload)).toEqual(
        sealPacket(aead, c2s, PacketType.Data, sequence, 0, protocolId, payload),
      );
    }
  });

  it('seals and opens in its own nonce domain: a challenge-domain packet does not open as a session one', () => {
    const challengeSender = new PacketProtection(aead, c2s, s2c, protocolId, 1);
    const sessionReceiver = new PacketProtection(aead, s2c, c2s, protocolId);
    const challengeReceiver = new PacketProtection(aead, s2c, c2s, protocolId, 1);
    const datagram = challengeSender.protect(PacketType.Challenge, Uint8Array.of(4));
    expect(datagram).toEqual(sealPacket(aead, c2s, PacketType.Challenge, 0, 1, protocolId, Uint8Array.of(4)));
    expect(sessionReceiver.unprotect(datagram)).toEqual({ ok: false, reason: 'tampered' });
    expect(challengeReceiver.unprotect(datagram)).toEqual({
      ok: true,
      type: PacketType.Challenge,
      payload: Uint8Array.of(4),
    });
  });

  it('seals in place through sealInto when the AEAD has it', () => {
    const calls: number[] = [];
    const inPlace: Aead = {
      ...aead,
      seal: () => {
        throw new Error('seal should not be called');
      },
      sealInto: (key, nonce, ad, plaintext, out, offset) => {
        calls.push(offset);
        aead.sealInto!(key, nonce, ad, plaintext, out, offset);
      },
    };
    const datagram = new PacketProtection(inPlace, c2s, s2c, protocolId).protect(
      PacketType.Data,
      Uint8Array.of(5),
    );
    expect(calls).toEqual([9]);
    expect(datagram).toEqual(sealPacket(aead, c2s, PacketType.Data, 0, 0, protocolId, Uint8Array.of(5)));
  });

  it('opens in place through openInto: the payload is a view of the datagram, a second delivery a replay', () => {
    const sender = new PacketProtection(chacha20Poly1305, c2s, s2c, protocolId);
    const receiver = new PacketProtection(chacha20Poly1305, s2c, c2s, protocolId);
    const datagram = sender.protect(PacketType.Data, Uint8Array.of(5, 6, 7));
    const opened = receiver.unprotect(datagram);
    expect(opened).toEqual({ ok: true, type: PacketType.Data, payload: Uint8Array.of(5, 6, 7) });
    expect(opened.ok && opened.payload.buffer).toBe(datagram.buffer);
    expect(Array.from(datagram.subarray(9, 12))).toEqual([5, 6, 7]);
    expect(receiver.unprotect(datagram)).toEqual({ ok: false, reason: 'replayed' });
    const tampered = sender.protect(PacketType.Data, Uint8Array.of(1));
    tampered[9]! ^= 1;
    expect(receiver.unprotect(tampered)).toEqual({ ok: false, reason: 'tampered' });
    expect(receiver.counters).toEqual({ tampered: 1, replayed: 1, malformed: 0 });
  });

  it('works with an AEAD that only has the one-shot seal', () => {
    const oneShot: Aead = { seal: aead.seal, open: aead.open };
    const sender = new PacketProtection(oneShot, c2s, s2c, protocolId);
    const receiver = new PacketProtection(aead, s2c, c2s, protocolId);
    const datagram = sender.protect(PacketType.Data, Uint8Array.of(5, 5));
    expect(datagram).toEqual(sealPacket(aead, c2s, PacketType.Data, 0, 0, protocolId, Uint8Array.of(5, 5)));
    expect(receiver.unprotect(datagram)).toEqual({
      ok: true,
      type: PacketType.Data,
      payload: Uint8Array.of(5, 5),
    });
  });
});

describe('session datagrams over streams (no protection): [type][payload] in the clear', () => {
  it('seal puts the type in front of the payload', () => {
    expect(Array.from(sealSessionDatagram(undefined, PacketType.Disconnect, Uint8Array.of(3)))).toEqual([
      7, 3,
    ]);
    expect(Array.from(sealSessionDatagram(undefined, PacketType.Accepted, new Uint8Array(0)))).toEqual([5]);
  });

  it('a framed payload becomes the datagram itself, its headroom byte the type', () => {
    expect(SESSION_HEADROOM_BYTES).toBe(1);
    const framed = Uint8Array.of(0xff, 1, 2);
    const datagram = sealFramedDatagram(undefined, PacketType.Data, framed);
    expect(datagram).toBe(framed);
    expect(Array.from(datagram)).toEqual([PacketType.Data, 1, 2]);
  });

  it('open splits off the type and refuses an empty datagram', () => {
    expect(openSessionDatagram(undefined, Uint8Array.of(6, 1, 2))).toEqual({
      type: 6,
      payload: Uint8Array.of(1, 2),
    });
    expect(openSessionDatagram(undefined, Uint8Array.of(7))).toEqual({ type: 7, payload: new Uint8Array(0) });
    expect(openSessionDatagram(undefined, new Uint8Array(0))).toBeUndefined();
  });
});

describe('session datagrams over datagram transports (protected)', () => {
  it('a framed payload is sealed without its headroom byte', () => {
    const sender = new PacketProtection(aead, c2s, s2c, protocolId);
    const receiver = new PacketProtection(aead, s2c, c2s, protocolId);
    const datagram = sealFramedDatagram(sender, PacketType.Data, Uint8Array.of(0xff, 1, 2));
    expect(openSessionDatagram(receiver, datagram)).toEqual({
      type: PacketType.Data,
      payload: Uint8Array.of(1, 2),
    });
    expect(openSessionDatagram(receiver, datagram)).toBeUndefined(); // replayed
    const sealed = sealSessionDatagram(sender, PacketType.Disconnect, Uint8Array.of(1));
    expect(sealed.length).toBe(26);
    expect(openSessionDatagram(receiver, sealed)).toEqual({
      type: PacketType.Disconnect,
      payload: Uint8Array.of(1),
    });
  });
});
