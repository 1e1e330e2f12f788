import { describe, expect, it } from 'vitest';
import { PACKET_HISTORY } from '../src/reliable/limits.js';
import { ACK_REPEATS, ReceivedPackets } from '../src/reliable/received-packets.js';
import { SentPackets } from '../src/reliable/sent-packets.js';
import { nextSequence, SequenceSet, sequenceDelta, sequenceNewer } from '../src/reliable/sequence.js';

describe('16-bit wrapping sequences', () => {
  it('calls a newer within half the space ahead of b, across the wrap, and never equal or half-way', () => {
    expect(sequenceNewer(1, 0)).toBe(true);
    expect(sequenceNewer(0, 1)).toBe(false);
    expect(sequenceNewer(5, 5)).toBe(false);
    expect(sequenceNewer(0, 0xffff)).toBe(true);
    expect(sequenceNewer(0x7fff, 0)).toBe(true);
    expect(sequenceNewer(0x8000, 0)).toBe(false);
  });

  it('measures how far b is ahead of a in [-32768, 32767]', () => {
    expect(sequenceDelta(10, 15)).toBe(5);
    expect(sequenceDelta(15, 10)).toBe(-5);
    expect(sequenceDelta(0xfffe, 1)).toBe(3);
    expect(sequenceDelta(0, 0x7fff)).toBe(32767);
    expect(sequenceDelta(0, 0x8000)).toBe(-32768);
    expect([nextSequence(0xfffe), nextSequence(0xffff)]).toEqual([0xffff, 0]);
  });

  it('holds one sequence per slot and tells a stale sequence on a reused slot from the current one', () => {
    const set = new SequenceSet(4);
    expect([0, 1, 2, 3].map((sequence) => set.has(sequence))).toEqual([false, false, false, false]);
    set.add(1);
    expect([set.has(1), set.has(5)]).toEqual([true, false]);
    set.add(5); // same slot as 1
    expect([set.has(1), set.has(5)]).toEqual([false, true]);
    set.add(2);
    expect([set.has(2), set.has(5)]).toEqual([true, true]);
  });
});

describe('SentPackets records', () => {
  it('remembers when a packet left and whether it asked for an ack, until its slot is reused', () => {
    const sent = new SentPackets<string>();
    expect([0, 1, 2].map((sequence) => sent.has(sequence))).toEqual([false, false, false]);
    sent.record(3, 125.5, true, 'units');
    sent.record(4, 130, false, undefined);
    expect([sent.has(3), sent.sentAtMs(3), sent.isMeasured(3), sent.isAcked(3)]).toEqual([
      true,
      125.5,
      true,
      false,
    ]);
    expect(sent.isMeasured(4)).toBe(false);
    sent.record(3 + PACKET_HISTORY, 200, false, undefined);
    expect(sent.has(3)).toBe(false);
    expect(sent.has(3 + PACKET_HISTORY)).toBe(true);
  });

  it('acknowledges once, counts lost without touching the other flags, and hands what it carried over once', () => {
    const sent = new SentPackets<string>();
    sent.record(9, 0, true, 'units');
    expect(sent.isCountedLost(9)).toBe(false);
    sent.countLost(9);
    expect([sent.isCountedLost(9), sent.isMeasured(9), sent.isAcked(9)]).toEqual([true, true, false]);
    expect(sent.acknowledge(9)).toBe(true);
    expect(sent.acknowledge(9)).toBe(false);
    expect([sent.isAcked(9), sent.isCountedLost(9), sent.isMeasured(9)]).toEqual([true, true, true]);
    expect(sent.takeCarried(9)).toBe('units');
    expect(sent.takeCarried(9)).toBeUndefined();
  });

  it('starts a reused slot afresh: not acked, not counted lost', () => {
    const sent = new SentPackets<string>();
    sent.record(1, 0, true, 'old');
    sent.acknowledge(1);
    sent.countLost(1);
    sent.record(1 + PACKET_HISTORY, 50, false, 'new');
    expect([sent.isAcked(1), sent.isCountedLost(1), sent.isMeasured(1)]).toEqual([false, false, false]);
    expect(sent.takeCarried(1 + PACKET_HISTORY)).toBe('new');
  });
});

describe('ReceivedPackets', () => {
  it('accepts new packets, spots duplicates, and follows the newest sequence', () => {
    const received = new ReceivedPackets();
    expect(received.newestSequence).toBe(-1);
    expect(received.accept(10, 0)).toBe('accepted');
    expect(received.accept(10, 0)).toBe('duplicate');
    expect(received.accept(8, 0)).toBe('accepted');
    expect(received.newestSequence).toBe(10); // an older packet does not move it back
    expect(received.accept(12, 0)).toBe('accepted');
    expect(received.newestSequence).toBe(12);
  });

  it("accepts a first packet of any sequence (the peer's need not start near 0)", () => {
    const received = new ReceivedPackets();
    expect(received.accept(40_000, 0)).toBe('accepted');
    expect(received.newestSequence).toBe(40_000);
    expect(received.accept(40_000, 0)).toBe('duplicate');
  });

  it('accepts packet 1 first, and recomputes the ack fields of base 1 when another packet arrives', () => {
    const received = new ReceivedPackets();
    expect(received.accept(1, 0)).toBe('accepted');
    expect(received.ackFields(1)).toEqual({ ack: 1, ackBits: 0b1 });
    received.accept(0, 0);
    expect(received.ackFields(1)).toEqual({ ack: 1, ackBits: 0b11 });
  });

  it('tells a repeat of packet 0 as a duplicate, and acks packet 0', () => {
    const received = new ReceivedPackets();
    expect(received.accept(0, 1)).toBe('accepted');
    expect(received.ackFields()).toEqual({ ack: 0, ackBits: 1 });
    expect(received.accept(0, 1)).toBe('duplicate');
    received.endUpdate(false);
    expect(received.owesAcks).toBe(false); // the repeat owed nothing more
  });

  it('calls a packet PACKET_HISTORY behind the newest stale, and one less behind still new', () => {
    const received = new ReceivedPackets();
    received.accept(5_000, 0);
    expect(received.accept(5_000 - PACKET_HISTORY, 0)).toBe('stale');
    expect(received.accept(5_000 - PACKET_HISTORY + 1, 0)).toBe('accepted');
    expect(received.newestSequence).toBe(5_000);
  });

  it('acks the 32 packets up to a base, bit i for base − i, as an unsigned 32-bit field', () => {
    const received = new ReceivedPackets();
    expect(received.ackFields()).toEqual({ ack: 0, ackBits: 0 });
    for (const sequence of [100, 99, 97, 69, 68]) received.accept(sequence, 0);
    expect(received.ackFields()).toEqual({ ack: 100, ackBits: 0b1011 + 2 ** 31 });
    expect(received.ackFields(99)).toEqual({ ack: 99, ackBits: 0b101 + 2 ** 30 + 2 ** 31 });
    received.accept(98, 0); // a new arrival changes the fields of a base asked for before
    expect(received.ackFields(99)).toEqual({ ack: 99, ackBits: 0b111 + 2 ** 30 + 2 ** 31 });
    expect(received.ackFields()).toEqual({ ack: 100, ackBits: 0b1111 + 2 ** 31 });
  });

  it('acks across the wrap of the sequence space', () => {
    const received = new ReceivedPackets();
    received.accept(0xffff, 0);
    received.accept(1, 0);
    expect(received.ackFields()).toEqual({ ack: 1, ackBits: 0b101 });
  });

  it('owes each packet `repeats` headers, one per update, and none for packets that ask none', () => {
    const received = new ReceivedPackets();
    received.accept(1, 0);
    expect(received.owesAcks).toBe(false);
    received.accept(2, ACK_REPEATS);
    for (let update = 0; update < ACK_REPEATS; update++) {
      expect(received.owesAcks).toBe(true);
      expect(received.nextUncarriedBase()).toBe(2);
      received.ackFields();
      received.ackFields(); // a second header in the same update does not count again
      expect(received.nextUncarriedBase()).toBeUndefined();
      received.endUpdate(false);
    }
    expect(received.owesAcks).toBe(false);
    expect(ACK_REPEATS).toBe(3);
  });

  it('counts a header toward an owed ack only when its 32 bits reach it', () => {
    const received = new ReceivedPackets();
    received.accept(10, 1);
    received.accept(41, 0);
    received.accept(42, 0);
    received.ackFields(9); // below the owed packet
    received.ackFields(42); // 32 ahead: out of reach
    expect(received.nextUncarriedBase()).toBe(10);
    received.ackFields(41); // 31 ahead: carries it
    expect(received.owesAcks).toBe(false);
  });

  it('offers the newest owed ack not yet carried as the base of an extra ack-only header', () => {
    const received = new ReceivedPackets();
    for (const sequence of [5, 300, 3, 200]) received.accept(sequence, 1);
    expect(received.nextUncarriedBase()).toBe(300);
    received.ackFields(300);
    expect(received.nextUncarriedBase()).toBe(200);
    received.ackFields(200);
    expect(received.nextUncarriedBase()).toBe(5);
    received.ackFields(5); // carries 5 and 3 together
    expect(received.nextUncarriedBase()).toBeUndefined();
    expect(received.owesAcks).toBe(false);
  });

  it('forgets what it owes when told the transport is reliable', () => {
    const received = new ReceivedPackets();
    received.accept(1, ACK_REPEATS);
    received.endUpdate(true);
    expect(received.owesAcks).toBe(false);
    expect(received.nextUncarriedBase()).toBeUndefined();
  });

  it('owes acks for at most PACKET_HISTORY packets at once', () => {
    const received = new ReceivedPackets();
    for (let sequence = 0; sequence <= PACKET_HISTORY; sequence++) received.accept(sequence, 1);
    expect(received.nextUncarriedBase()).toBe(PACKET_HISTORY - 1);
  });
});
