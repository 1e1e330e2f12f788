import { describe, expect, it } from 'vitest';
import {
  isReliable,
  ReliableReceiver,
  receiverFor,
  SequencedReceiver,
  splitMessage,
  UnreliableReceiver,
} from '../src/reliable/channel.js';
import { FRAGMENT_BYTES, MAX_UNRELIABLE_ASSEMBLIES, RELIABLE_WINDOW } from '../src/reliable/limits.js';
import { EntryKind, type PacketEntry } from '../src/reliable/packet.js';
import { expectError } from './support/connection-expect-error.js';

/** A whole message with id `id` whose one byte is `content` (default: the id's low byte). */
function whole(kind: EntryKind, id: number, content = id & 0xff): PacketEntry {
  return { kind, channel: 0, id, fragmentIndex: 0, fragmentCount: 1, payload: Uint8Array.of(content) };
}

/** Fragment `index` of `count`, carrying one byte `content`. */
function fragment(kind: EntryKind, id: number, index: number, count: number, content: number): PacketEntry {
  return {
    kind,
    channel: 0,
    id,
    fragmentIndex: index,
    fragmentCount: count,
    payload: Uint8Array.of(content),
  };
}

const reliable = (id: number, content?: number) => whole(EntryKind.Reliable, id, content);
const contents = (messages: readonly Uint8Array[]) => messages.map((m) => [...m]);

describe('reliable receiver window', () => {
  it('accepts units up to RELIABLE_WINDOW − 1 ahead of the next expected id, and drops those further', () => {
    const receiver = new ReliableReceiver(false);
    expect(contents(receiver.receive(reliable(RELIABLE_WINDOW - 1, 1)))).toEqual([[1]]);
    expect(receiver.receive(reliable(RELIABLE_WINDOW, 2))).toEqual([]);
    // Once 0 … RELIABLE_WINDOW − 2 have arrived, the window slides and the same unit is accepted.
    for (let id = 0; id < RELIABLE_WINDOW - 1; id++) receiver.receive(reliable(id));
    expect(contents(receiver.receive(reliable(RELIABLE_WINDOW, 3)))).toEqual([[3]]);
  });

  it('holds an ordered unit at the edge of the window until the ones before it arrive', () => {
    const receiver = new ReliableReceiver(true);
    expect(receiver.receive(reliable(RELIABLE_WINDOW - 1, 7))).toEqual([]);
    expect(receiver.receive(reliable(RELIABLE_WINDOW, 8))).toEqual([]);
    const delivered: number[][] = [];
    for (let id = 0; id < RELIABLE_WINDOW - 1; id++)
      delivered.push(...contents(receiver.receive(reliable(id, 0))));
    expect(delivered.length).toBe(RELIABLE_WINDOW); // the one held at the edge came out with the last
    expect(delivered.at(-1)).toEqual([7]);
    expect(contents(receiver.receive(reliable(RELIABLE_WINDOW, 9)))).toEqual([[9]]); // 8 was dropped
  });

  it('drops units already delivered, behind the window or within it', () => {
    const ordered = new ReliableReceiver(true);
    expect(contents(ordered.receive(reliable(0)))).toEqual([[0]]);
    expect(ordered.receive(reliable(0))).toEqual([]);
    expect(ordered.receive(reliable(0xffff))).toEqual([]); // one behind
    const unordered = new ReliableReceiver(false);
    expect(contents(unordered.receive(reliable(5)))).toEqual([[5]]);
    expect(unordered.receive(reliable(5))).toEqual([]); // delivered, still ahead of the next expected
  });

  it('keeps the first copy of a unit waiting for its turn, not a later one', () => {
    const receiver = new ReliableReceiver(true);
    receiver.receive(reliable(1, 10));
    receiver.receive(reliable(1, 11));
    expect(contents(receiver.receive(reliable(0, 0)))).toEqual([[0], [10]]);
  });

  it('drops a fragment whose message starts before the window, leaving its id free for the real unit', () => {
    const receiver = new ReliableReceiver(true);
    // Unit 1 claiming to be fragment 2 of a message starting at 0xffff, behind the next expected id 0.
    expect(receiver.receive(fragment(EntryKind.Reliable, 1, 2, 3, 99))).toEqual([]);
    expect(contents(receiver.receive(reliable(0)))).toEqual([[0]]);
    expect(contents(receiver.receive(reliable(1, 42)))).toEqual([[42]]);
  });

  it('copies what it keeps: changing the received bytes afterwards changes nothing delivered', () => {
    const receiver = new ReliableReceiver(true);
    const later = reliable(1, 5);
    receiver.receive(later);
    later.payload[0] = 77;
    expect(contents(receiver.receive(reliable(0, 4)))).toEqual([[4], [5]]);
  });
});

describe('reliable receiver assembly', () => {
  it('delivers an ordered fragmented message once all its units are in, then what waited behind it', () => {
    const receiver = new ReliableReceiver(true);
    expect(receiver.receive(reliable(3, 30))).toEqual([]);
    expect(receiver.receive(fragment(EntryKind.Reliable, 2, 2, 3, 22))).toEqual([]);
    expect(receiver.receive(fragment(EntryKind.Reliable, 0, 0, 3, 20))).toEqual([]);
    expect(contents(receiver.receive(fragment(EntryKind.Reliable, 1, 1, 3, 21)))).toEqual([
      [20, 21, 22],
      [30],
    ]);
    expect(contents(receiver.receive(reliable(4, 40)))).toEqual([[40]]);
  });

  it('delivers an unordered fragmented message as soon as it is complete, ahead of gaps before it', () => {
    const receiver = new ReliableReceiver(false);
    expect(receiver.receive(fragment(EntryKind.Reliable, 11, 1, 2, 2))).toEqual([]);
    expect(contents(receiver.receive(fragment(EntryKind.Reliable, 10, 0, 2, 1)))).toEqual([[1, 2]]);
    expect(contents(receiver.receive(reliable(0)))).toEqual([[0]]);
  });

  it('does not join units whose fragment fields disagree', () => {
    const receiver = new ReliableReceiver(true);
    receiver.receive(fragment(EntryKind.Reliable, 0, 0, 2, 1));
    expect(receiver.receive(fragment(EntryKind.Reliable, 1, 1, 3, 2))).toEqual([]); // count 3, not 2
    const unordered = new ReliableReceiver(false);
    unordered.receive(fragment(EntryKind.Reliable, 1, 0, 2, 1));
    expect(unordered.receive(fragment(EntryKind.Reliable, 2, 1, 2, 2))).toEqual(
      [[1, 2]].map((b) => Uint8Array.from(b)),
    );
    expect(unordered.receive(fragment(EntryKind.Reliable, 4, 1, 2, 9))).toEqual([]); // 3 is missing
  });

  it('does not join units whose fragment indexes are not their places in the message', () => {
    const receiver = new ReliableReceiver(true);
    receiver.receive(fragment(EntryKind.Reliable, 0, 0, 2, 1));
    // Unit 1 claims to start a message of its own (index 0 of 2), not to be unit 0's second fragment.
    expect(receiver.receive(fragment(EntryKind.Reliable, 1, 0, 2, 2))).toEqual([]);
  });

  it('slides the unordered window past every id delivered contiguously', () => {
    const receiver = new ReliableReceiver(false);
    for (let id = 1; id < RELIABLE_WINDOW; id++) receiver.receive(reliable(id));
    expect(receiver.receive(reliable(RELIABLE_WINDOW))).toEqual([]); // 0 still missing: out of the window
    receiver.receive(reliable(0));
    expect(contents(receiver.receive(reliable(RELIABLE_WINDOW, 1)))).toEqual([[1]]);
    expect(contents(receiver.receive(reliable(2 * RELIABLE_WINDOW - 1, 2)))).toEqual([[2]]);
  });

  it('wraps unit ids past 0xffff', () => {
    const receiver = new ReliableReceiver(true);
    let delivered = 0;
    for (let n = 0; n < 0x10000 + 5; n++) delivered += receiver.receive(reliable(n & 0xffff)).length;
    expect(delivered).toBe(0x10000 + 5);
  });
});

describe('unreliable receivers', () => {
  it('assembles unreliable fragments in any order and copies them', () => {
    const receiver = new UnreliableReceiver();
    const first = fragment(EntryKind.Unreliable, 3, 1, 3, 2);
    expect(receiver.receive(first)).toEqual([]);
    first.payload[0] = 99;
    expect(receiver.receive(fragment(EntryKind.Unreliable, 3, 2, 3, 3))).toEqual([]);
    expect(contents(receiver.receive(fragment(EntryKind.Unreliable, 3, 0, 3, 1)))).toEqual([[1, 2, 3]]);
    const single = whole(EntryKind.Unreliable, 0, 8);
    const delivered = receiver.receive(single);
    single.payload[0] = 0;
    expect(contents(delivered)).toEqual([[8]]);
  });

  it('delivers a whole message without disturbing a fragmented one with the same id', () => {
    const receiver = new UnreliableReceiver();
    receiver.receive(fragment(EntryKind.Unreliable, 0, 0, 2, 1));
    expect(contents(receiver.receive(whole(EntryKind.Unreliable, 0, 7)))).toEqual([[7]]); // plain ids are 0
    expect(contents(receiver.receive(fragment(EntryKind.Unreliable, 0, 1, 2, 2)))).toEqual([[1, 2]]);
  });

  it('starts a message again when a later one reuses its id', () => {
    const receiver = new UnreliableReceiver();
    receiver.receive(fragment(EntryKind.Unreliable, 5, 0, 2, 1));
    expect(contents(receiver.receive(fragment(EntryKind.Unreliable, 5, 1, 2, 2)))).toEqual([[1, 2]]);
    expect(receiver.receive(fragment(EntryKind.Unreliable, 5, 1, 2, 4))).toEqual([]); // no leftovers
    // A different fragment count for the same id is another message: the parts so far are dropped.
    expect(receiver.receive(fragment(EntryKind.Unreliable, 5, 0, 3, 3))).toEqual([]);
    expect(receiver.receive(fragment(EntryKind.Unreliable, 5, 1, 3, 4))).toEqual([]);
    expect(contents(receiver.receive(fragment(EntryKind.Unreliable, 5, 2, 3, 5)))).toEqual([[3, 4, 5]]);
  });

  it(`keeps ${MAX_UNRELIABLE_ASSEMBLIES} partial messages and drops the oldest when another starts`, () => {
    const receiver = new UnreliableReceiver();
    for (let id = 0; id < MAX_UNRELIABLE_ASSEMBLIES; id++)
      receiver.receive(fragment(EntryKind.Unreliable, id, 0, 2, id));
    expect(contents(receiver.receive(fragment(EntryKind.Unreliable, 0, 1, 2, 9)))).toEqual([[0, 9]]);
    const crowded = new UnreliableReceiver();
    for (let id = 10; id <= 10 + MAX_UNRELIABLE_ASSEMBLIES; id++) {
      crowded.receive(fragment(EntryKind.Unreliable, id, 0, 2, id));
    }
    expect(contents(crowded.receive(fragment(EntryKind.Unreliable, 11, 1, 2, 9)))).toEqual([[11, 9]]);
    expect(crowded.receive(fragment(EntryKind.Unreliable, 10, 1, 2, 9))).toEqual([]); // the oldest: dropped
  });

  it('counts a restarted message as the newest partial one', () => {
    const receiver = new UnreliableReceiver();
    for (let id = 0; id < MAX_UNRELIABLE_ASSEMBLIES; id++)
      receiver.receive(fragment(EntryKind.Unreliable, id, 0, 2, id));
    receiver.receive(fragment(EntryKind.Unreliable, 0, 0, 3, 50)); // id 0 restarts with 3 fragments
    receiver.receive(fragment(EntryKind.Unreliable, 20, 0, 2, 20)); // evicts id 1, not 0
    expect(receiver.receive(fragment(EntryKind.Unreliable, 1, 1, 2, 9))).toEqual([]);
    receiver.receive(fragment(EntryKind.Unreliable, 0, 1, 3, 51));
    expect(contents(receiver.receive(fragment(EntryKind.Unreliable, 0, 2, 3, 52)))).toEqual([[50, 51, 52]]);
  });

  it('sequenced: delivers only messages newer than every one delivered, from id 0 and across the wrap', () => {
    const receiver = new SequencedReceiver();
    expect(contents(receiver.receive(whole(EntryKind.Sequenced, 0)))).toEqual([[0]]);
    expect(receiver.receive(whole(EntryKind.Sequenced, 0))).toEqual([]);
    expect(contents(receiver.receive(whole(EntryKind.Sequenced, 0xfff0)))).toEqual([]); // older, across the wrap
    expect(contents(receiver.receive(whole(EntryKind.Sequenced, 2)))).toEqual([[2]]);
    expect(receiver.receive(whole(EntryKind.Sequenced, 1))).toEqual([]);
    const wrapping = new SequencedReceiver();
    wrapping.receive(whole(EntryKind.Sequenced, 0xffff));
    expect(contents(wrapping.receive(whole(EntryKind.Sequenced, 0, 7)))).toEqual([[7]]);
  });

  it("sequenced: delivers the first message whatever its id (the peer's ids need not start near 0)", () => {
    expect(contents(new SequencedReceiver().receive(whole(EntryKind.Sequenced, 40_000, 3)))).toEqual([[3]]);
  });

  it('sequenced: a fragmented message counts as delivered only once complete', () => {
    const receiver = new SequencedReceiver();
    expect(receiver.receive(fragment(EntryKind.Sequenced, 5, 0, 2, 1))).toEqual([]);
    expect(contents(receiver.receive(whole(EntryKind.Sequenced, 4)))).toEqual([[4]]); // 5 not complete yet
    expect(contents(receiver.receive(fragment(EntryKind.Sequenced, 5, 1, 2, 2)))).toEqual([[1, 2]]);
    expect(receiver.receive(whole(EntryKind.Sequenced, 4))).toEqual([]);
  });
});

describe('channel kinds and splitting', () => {
  it('makes a receiver for each kind and refuses an unknown one', () => {
    expect(receiverFor('reliable-ordered')).toBeInstanceOf(ReliableReceiver);
    expect(receiverFor('unreliable-sequenced')).toBeInstanceOf(SequencedReceiver);
    expect(receiverFor('unreliable')).toBeInstanceOf(UnreliableReceiver);
    // Ordered or not: an ordered receiver holds unit 1 back until 0 arrives.
    expect(receiverFor('reliable-ordered').receive(reliable(1))).toEqual([]);
    expect(receiverFor('reliable-unordered').receive(reliable(1)).length).toBe(1);
    expectError('VALUE_INVALID', 'unknown channel kind broadcast', () => receiverFor('broadcast' as never));
    expect(
      ['reliable-ordered', 'reliable-unordered', 'unreliable-sequenced', 'unreliable'].map((k) =>
        isReliable(k as never),
      ),
    ).toEqual([true, true, false, false]);
  });

  it('splits a message into FRAGMENT_BYTES pieces with consecutive ids, or one id for all', () => {
    const bytes = Uint8Array.from({ length: 2 * FRAGMENT_BYTES + 1 }, (_, i) => i & 0xff);
    const units = splitMessage(EntryKind.Reliable, 3, bytes, 0xffff, false, 25);
    expect(
      units.map((u) => [u.entry.id, u.entry.fragmentIndex, u.entry.fragmentCount, u.entry.payload.length]),
    ).toEqual([
      [0xffff, 0, 3, FRAGMENT_BYTES],
      [0, 1, 3, FRAGMENT_BYTES],
      [1, 2, 3, 1],
    ]);
    expect(units[2]!.entry.payload[0]).toBe((2 * FRAGMENT_BYTES) & 0xff);
    expect(units[1]!.entry.payload[0]).toBe(FRAGMENT_BYTES & 0xff);
    expect(units[0]).toMatchObject({
      notBeforeMs: 25,
      lastSentMs: Number.NEGATIVE_INFINITY,
      sends: 0,
      earlyCopies: 0,
    });
    expect(units[0]!.entry).toMatchObject({ kind: EntryKind.Reliable, channel: 3 });
    const same = splitMessage(EntryKind.Unreliable, 0, bytes, 9, true, 0);
    expect(same.map((u) => u.entry.id)).toEqual([9, 9, 9]);
    expect(splitMessage(EntryKind.Unreliable, 0, new Uint8Array(FRAGMENT_BYTES), 0, true, 0).length).toBe(1);
    const empty = splitMessage(EntryKind.Unreliable, 0, new Uint8Array(0), 0, true, 0);
    expect(empty.map((u) => [u.entry.fragmentCount, u.entry.payload.length])).toEqual([[1, 0]]);
  });
});
