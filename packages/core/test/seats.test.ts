import {
  decodeSeatMessage,
  encodeSeatMessage,
  FINGERPRINT_PARTS,
  isShardlineError,
  MAX_OWNS_PER_MESSAGE,
  RECONNECT_TOKEN_BYTES,
  type SeatMessage,
  Seats,
  type WorldFingerprints,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('seats', () => {
  it('keep a dropped seat for the grace period, open it once with its token, then give it up', () => {
    const seats = new Seats({ graceMs: 30_000 });
    const alice = seats.join('s1');
    const bob = seats.join('s2');
    expect(alice.seat).toBe('s1');
    expect(alice.token).toHaveLength(RECONNECT_TOKEN_BYTES);
    expect(alice.token).not.toEqual(bob.token);

    expect(seats.drop('s1', 1_000)).toBe('s1');
    expect(seats.sessionOf('s1')).toBeUndefined();
    expect(seats.resume('s3', new Uint8Array(RECONNECT_TOKEN_BYTES), 2_000)).toBeUndefined();
    expect(seats.expire(6_000)).toEqual([]); // dropped for 5 s: still waiting

    const back = seats.resume('s3', alice.token, 6_000)!;
    expect(back.seat).toBe('s1');
    expect(back.token).not.toEqual(alice.token);
    expect(seats.seatOf('s3')).toBe('s1');
    expect(seats.sessionOf('s1')).toBe('s3');

    seats.drop('s3', 10_000);
    expect(seats.resume('s4', alice.token, 11_000)).toBeUndefined(); // each token works once
    expect(seats.resume('s4', back.token, 40_000)).toBeUndefined(); // grace over, not yet expired
    expect(seats.expire(39_999)).toEqual([]);
    expect(seats.expire(40_000)).toEqual(['s1']);
    expect(seats.resume('s4', back.token, 40_001)).toBeUndefined();
    expect(seats.ids).toEqual(['s2']);
  });

  it('let a returning client take over its seat before the old link has timed out', () => {
    const seats = new Seats();
    seats.join('old-address');
    const { seat, token } = seats.join('udp://10.0.0.1:5000');
    expect(seat).toBe('s2'); // seat ids do not reveal addresses
    const back = seats.resume('udp://10.0.0.1:6000', token, 0)!;
    expect(back).toMatchObject({ seat: 's2', replaced: 'udp://10.0.0.1:5000' });
    expect(seats.seatOf('udp://10.0.0.1:5000')).toBeUndefined();
    expect(seats.leave('udp://10.0.0.1:5000')).toBeUndefined(); // closing the old link frees nothing
    expect(seats.sessionOf('s2')).toBe('udp://10.0.0.1:6000');
  });

  it('free a seat at once when its client leaves, and refuse to seat a session twice', () => {
    const seats = new Seats();
    const { token } = seats.join('s1');
    expect(() => seats.join('s1')).toThrow(/VALUE_INVALID/);
    expect(seats.leave('s1')).toBe('s1');
    expect(seats.resume('s2', token, 0)).toBeUndefined();
    expect(seats.leave('s1')).toBeUndefined();
    expect(seats.drop('unknown', 0)).toBeUndefined();
  });
});

describe('seats reclaimed by identity', () => {
  it('give a waiting seat to a new session without its token, never a taken or expired one', () => {
    const seats = new Seats({ graceMs: 1_000 });
    const alice = seats.join('a1');
    expect(seats.reclaim('a2', alice.seat, 0)).toBeUndefined(); // still taken
    seats.drop('a1', 0);
    const back = seats.reclaim('a2', alice.seat, 500)!;
    expect(back.seat).toBe(alice.seat);
    expect(back.token).not.toEqual(alice.token); // a fresh token; the old one no longer opens it
    expect(seats.resume('a3', alice.token, 600)).toBeUndefined();
    expect(seats.sessionOf(alice.seat)).toBe('a2');
    seats.drop('a2', 1_000);
    expect(seats.reclaim('a4', alice.seat, 2_000)).toBeUndefined(); // its grace ended
    expect(seats.reclaim('a4', 'nobody', 0)).toBeUndefined();
    expect(seats.seatOfToken(back.token)).toBe(alice.seat);
    expect(seats.seatOfToken(alice.token)).toBeUndefined();
  });
});

describe('seat messages', () => {
  const token = fc.uint8Array({ minLength: RECONNECT_TOKEN_BYTES, maxLength: RECONNECT_TOKEN_BYTES });
  const seat = fc.string({ minLength: 1, maxLength: 16 });
  const message: fc.Arbitrary<SeatMessage> = fc.oneof(
    fc
      .tuple(fc.option(token, { nil: undefined }), fc.stringMatching(/^[0-9a-f]{16}$/))
      .map(([t, fingerprint]) => ({ type: 'hello' as const, fingerprint, token: t })),
    fc.record({ type: fc.constant('welcome' as const), resumed: fc.boolean(), token, seat }),
    fc.record({
      type: fc.constant('left' as const),
      reason: fc.constantFrom('timeout', 'closed-by-client', 'kicked', 'world-full' as const),
      seat,
    }),
    fc.record({
      type: fc.constant('mismatch' as const),
      kind: fc.stringMatching(/^[a-z][a-z0-9_-]{0,31}$/),
      fingerprints: fc.record(
        Object.fromEntries(
          FINGERPRINT_PARTS.map(({ key }) => [key, fc.stringMatching(/^[0-9a-f]{16}$/)]),
        ) as Record<keyof WorldFingerprints, fc.Arbitrary<string>>,
      ),
    }),
    fc.record({
      type: fc.constant('owns' as const),
      gained: fc.boolean(),
      entities: fc.array(fc.nat({ max: 0xffff_ffff }), { minLength: 1, maxLength: MAX_OWNS_PER_MESSAGE }),
    }),
  );

  it('refuse an owns list out of bounds and a mismatch with trailing bytes', () => {
    expect(() => encodeSeatMessage({ type: 'owns', gained: true, entities: [] })).toThrow(/VALUE_INVALID/);
    const many = Array.from({ length: MAX_OWNS_PER_MESSAGE + 1 }, (_, i) => i);
    expect(() => encodeSeatMessage({ type: 'owns', gained: true, entities: many })).toThrow(/VALUE_INVALID/);
    const owns = encodeSeatMessage({ type: 'owns', gained: false, entities: [1] });
    expect(() => decodeSeatMessage(Uint8Array.of(...owns, 0))).toThrow(/WIRE_INVALID/);
    expect(() => decodeSeatMessage(Uint8Array.of(5, 1, 0))).toThrow(/WIRE_INVALID/); // count 0
  });

  it('round-trip', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeSeatMessage(encodeSeatMessage(m))).toEqual(m);
      }),
    );
  });

  it('throw only ShardlineError for random or mutated bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 100 }),
          fc.tuple(message, fc.nat(), fc.nat({ max: 255 })).map(([m, at, byte]) => {
            const bytes = encodeSeatMessage(m);
            bytes[at % bytes.length] = byte;
            return bytes;
          }),
        ),
        (bytes) => {
          try {
            decodeSeatMessage(bytes);
          } catch (error) {
            expect(isShardlineError(error)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
