import {
  decodeSeatMessage,
  encodeSeatMessage,
  isShardlineError,
  RECONNECT_TOKEN_BYTES,
  type SeatMessage,
  Seats,
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
      reason: fc.constantFrom('timeout', 'closed-by-client', 'kicked' as const),
      seat,
    }),
  );

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
