import { PacketProtection, PacketType, REPLAY_WINDOW, ReplayWindow } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { sealPacket } from '../src/connection/protection.js';
import { aead, protocolId } from './support/connection-fixtures.js';

const c2s = new Uint8Array(32).fill(1);
const s2c = new Uint8Array(32).fill(2);

function seen(sequences: number[]): ReplayWindow {
  const window = new ReplayWindow();
  for (const sequence of sequences) window.accept(sequence);
  return window;
}

describe('ReplayWindow: the last 256 sequences (PROTOCOL.md §10.4)', () => {
  it('accepts sequence 0 first, then never again', () => {
    const window = new ReplayWindow();
    expect(REPLAY_WINDOW).toBe(256);
    expect(window.isReplay(0)).toBe(false);
    window.accept(0);
    expect(window.isReplay(0)).toBe(true);
    expect(window.isReplay(1)).toBe(false);
  });

  it('refuses a sequence exactly 256 behind the newest, accepts one 255 behind', () => {
    const window = seen([1000]);
    expect(window.isReplay(1000 - 256)).toBe(true);
    expect(window.isReplay(1000 - 255)).toBe(false);
    expect(window.isReplay(1000 - 257)).toBe(true);
    expect(window.isReplay(0)).toBe(true);
  });

  it('keeps the newest when an older sequence arrives late', () => {
    const window = seen([1000, 900]);
    expect(window.isReplay(1000 - 256)).toBe(true);
    expect(window.isReplay(1000 - 257)).toBe(true); // its slot is empty: too old is all that refuses it
    expect(window.isReplay(900)).toBe(true);
    expect(window.isReplay(901)).toBe(false);
  });

  it('does not take a slot left by a sequence 256 earlier for this one', () => {
    // 5 and 261 share slot 5: once 261 arrived, 5 is both too old and in a reused slot.
    const window = seen([5]);
    expect(window.isReplay(5 + 256)).toBe(false);
    window.accept(5 + 256);
    expect(window.isReplay(5 + 256)).toBe(true);
    expect(window.isReplay(5)).toBe(true);
    expect(window.isReplay(6)).toBe(false);
  });

  it('with nothing newer than 255 accepted, no sequence is too old', () => {
    const window = seen([255]);
    expect(window.isReplay(0)).toBe(false);
    expect(window.isReplay(254)).toBe(false);
  });
});

describe('PacketProtection.unprotect: length, sequence, replay and authentication checks', () => {
  function pair() {
    return {
      sender: new PacketProtection(aead, c2s, s2c, protocolId),
      receiver: new PacketProtection(aead, s2c, c2s, protocolId),
    };
  }

  it('refuses a datagram one byte shorter than type + sequence + tag as malformed', () => {
    const { sender, receiver } = pair();
    const empty = sender.protect(PacketType.Data, new Uint8Array(0));
    expect(empty.length).toBe(25);
    expect(receiver.unprotect(empty.subarray(0, 24))).toEqual({ ok: false, reason: 'malformed' });
    expect(receiver.counters).toEqual({ tampered: 0, replayed: 0, malformed: 1 });
    expect(receiver.unprotect(empty)).toEqual({
      ok: true,
      type: PacketType.Data,
      payload: new Uint8Array(0),
    });
  });

  it('refuses a sequence of 2^53 or more as malformed before it reaches the replay window', () => {
    const { sender, receiver } = pair();
    const datagram = sender.protect(PacketType.Data, Uint8Array.of(1)).slice();
    datagram[7] = 0x20; // high word 0x0020_0000
    expect(receiver.unprotect(datagram)).toEqual({ ok: false, reason: 'malformed' });
    datagram[7] = 0x1f; // high word 0x001f_0000: a u53, so it reaches the AEAD, which refuses it
    expect(receiver.unprotect(datagram)).toEqual({ ok: false, reason: 'tampered' });
    expect(receiver.counters).toEqual({ tampered: 1, replayed: 0, malformed: 1 });
  });

  it('reads all eight sequence bytes: a packet with a high sequence opens, and its twin is a replay', () => {
    const receiver = new PacketProtection(aead, s2c, c2s, protocolId);
    // What a sender's protect makes once its counter reaches this sequence.
    const high = sealPacket(aead, c2s, PacketType.Data, 0x12_3456_789a_bcde, 0, protocolId, Uint8Array.of(7));
    expect(Array.from(high.subarray(1, 9))).toEqual([0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, 0]);
    expect(receiver.unprotect(high)).toEqual({ ok: true, type: PacketType.Data, payload: Uint8Array.of(7) });
    expect(receiver.unprotect(high)).toEqual({ ok: false, reason: 'replayed' });
  });

  it('does not let a tampered packet burn its sequence: the genuine one still opens after it', () => {
    const { sender, receiver } = pair();
    const genuine = sender.protect(PacketType.Data, Uint8Array.of(1, 2));
    const forged = genuine.slice();
    forged[9]! ^= 0x80;
    expect(receiver.unprotect(forged)).toEqual({ ok: false, reason: 'tampered' });
    expect(receiver.unprotect(genuine).ok).toBe(true);
    expect(receiver.counters).toEqual({ tampered: 1, replayed: 0, malformed: 0 });
  });

  it('refuses a packet exactly 256 behind the newest received, and takes one 255 behind', () => {
    const { sender, receiver } = pair();
    const packets = Array.from({ length: 258 }, (_, i) =>
      sender.protect(PacketType.Data, Uint8Array.of(i & 0xff)),
    );
    expect(receiver.unprotect(packets[257]!).ok).toBe(true);
    expect(receiver.unprotect(packets[1]!)).toEqual({ ok: false, reason: 'replayed' }); // 256 behind
    expect(receiver.unprotect(packets[2]!).ok).toBe(true); // 255 behind
    expect(receiver.counters.replayed).toBe(1);
  });

  it('refuses packets sealed under the other direction key, another protocol, or retyped', () => {
    const { sender, receiver } = pair();
    const own = sender.protect(PacketType.Data, Uint8Array.of(3));
    expect(sender.unprotect(own)).toEqual({ ok: false, reason: 'tampered' });
    const otherProtocol = new PacketProtection(aead, s2c, c2s, protocolId + 1);
    expect(otherProtocol.unprotect(own)).toEqual({ ok: false, reason: 'tampered' });
    const retyped = own.slice();
    retyped[0] = PacketType.Accepted;
    expect(receiver.unprotect(retyped)).toEqual({ ok: false, reason: 'tampered' });
    expect(receiver.unprotect(own).ok).toBe(true);
  });
});
