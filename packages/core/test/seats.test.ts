import * as nodeCrypto from 'node:crypto';
import {
  aeadFromNodeCrypto,
  decodeSeatMessage,
  encodeSeatMessage,
  FINGERPRINT_PARTS,
  isShardlineError,
  issueConnectToken,
  MAX_OWNS_PER_MESSAGE,
  MAX_PORTAL_BYTES,
  MAX_REDIRECT_ADDRESS_BYTES,
  MAX_REDIRECT_ADDRESSES,
  MAX_REDIRECT_TOKEN_BYTES,
  MAX_SERVER_ADDRESSES,
  MAX_WORLD_BYTES,
  RECONNECT_TOKEN_BYTES,
  type RedirectMessage,
  readConnectToken,
  type SeatMessage,
  Seats,
  ShardlineError,
  type WorldFingerprints,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** A string of `min`..`max` UTF-8 bytes: ASCII up to the limit, or any code points (≤ 4 bytes each). */
function text(min: number, max: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ minLength: min, maxLength: max }),
    fc
      .string({ unit: 'binary', minLength: min, maxLength: Math.floor(max / 4) })
      .filter((s) => s.length >= min),
  );
}

const redirectMessage: fc.Arbitrary<RedirectMessage> = fc.record({
  type: fc.constant('redirect' as const),
  world: text(1, MAX_WORLD_BYTES),
  kind: text(1, 32),
  portal: text(0, MAX_PORTAL_BYTES),
  addresses: fc.array(text(1, MAX_REDIRECT_ADDRESS_BYTES), {
    minLength: 1,
    maxLength: MAX_REDIRECT_ADDRESSES,
  }),
  token: fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 64 }),
    fc.uint8Array({ minLength: MAX_REDIRECT_TOKEN_BYTES - 8, maxLength: MAX_REDIRECT_TOKEN_BYTES }),
  ),
});

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
      reason: fc.constantFrom('timeout', 'closed-by-client', 'kicked', 'world-full', 'migrated' as const),
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
    redirectMessage,
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

const utf8 = (value: string) => [...new TextEncoder().encode(value)];
/** A u8-length-prefixed UTF-8 string as the redirect writes it. */
const field = (value: string) => [utf8(value).length, ...utf8(value)];
/** A redirect's bytes put together by hand (PROTOCOL.md §13). */
function redirectBytes(parts: {
  world?: number[];
  kind?: number[];
  portal?: number[];
  addresses?: number[];
  token?: number[];
}): Uint8Array {
  return Uint8Array.of(
    6,
    ...(parts.world ?? field('dungeon/2')),
    ...(parts.kind ?? field('dungeon')),
    ...(parts.portal ?? field('north-gate')),
    ...(parts.addresses ?? [1, ...field('ws://127.0.0.1:8081')]),
    ...(parts.token ?? [3, 0, 0xaa, 0xbb, 0xcc]),
  );
}

function wireCode(bytes: Uint8Array): string | undefined {
  try {
    decodeSeatMessage(bytes);
    return undefined;
  } catch (error) {
    if (!(error instanceof ShardlineError)) throw error;
    return error.code;
  }
}

describe('redirect seat messages (type 6, PROTOCOL.md §13)', () => {
  const aead = aeadFromNodeCrypto(nodeCrypto);
  const keys = { protocolId: 0x5348_0001, privateKey: new Uint8Array(32).fill(42), aead };
  const redirect: RedirectMessage = {
    type: 'redirect',
    world: 'dungeon/2',
    kind: 'dungeon',
    portal: 'north-gate',
    addresses: ['ws://127.0.0.1:8081', 'udp://127.0.0.1:8082'],
    token: issueConnectToken(
      {
        clientId: 'player-1',
        world: 'dungeon/2',
        serverAddresses: ['ws://127.0.0.1:8081', 'udp://127.0.0.1:8082'],
        expiresInMs: 15_000,
      },
      keys,
      0,
    ),
  };

  it('carry a connect token naming the world, byte for byte', () => {
    const bytes = encodeSeatMessage(redirect);
    expect([...bytes.subarray(0, 1 + 10 + 8 + 11 + 1)]).toEqual([
      6,
      ...field('dungeon/2'),
      ...field('dungeon'),
      ...field('north-gate'),
      2,
    ]);
    const tokenAt = bytes.length - redirect.token.length;
    expect(bytes[tokenAt - 2]! | (bytes[tokenAt - 1]! << 8)).toBe(redirect.token.length);
    const back = decodeSeatMessage(bytes) as RedirectMessage;
    expect(back).toEqual(redirect);
    expect(readConnectToken(back.token).serverAddresses).toEqual(redirect.addresses);
  });

  it('round-trip an empty portal, one address and a one-byte token', () => {
    const small: RedirectMessage = {
      ...redirect,
      portal: '',
      addresses: ['udp://h:1'],
      token: Uint8Array.of(7),
    };
    const bytes = encodeSeatMessage(small);
    expect([...bytes]).toEqual([
      6,
      ...field('dungeon/2'),
      ...field('dungeon'),
      0,
      1,
      ...field('udp://h:1'),
      1,
      0,
      7,
    ]);
    expect(decodeSeatMessage(bytes)).toEqual(small);
  });

  it('round-trip every field at its longest, and the largest connect token fits', () => {
    const longest: RedirectMessage = {
      type: 'redirect',
      world: 'w'.repeat(MAX_WORLD_BYTES),
      kind: 'k'.repeat(32),
      portal: 'é'.repeat(MAX_PORTAL_BYTES / 2),
      addresses: Array.from({ length: MAX_REDIRECT_ADDRESSES }, (_, i) =>
        `${i}`.padEnd(MAX_REDIRECT_ADDRESS_BYTES, 'a'),
      ),
      token: new Uint8Array(MAX_REDIRECT_TOKEN_BYTES).fill(9),
    };
    expect(decodeSeatMessage(encodeSeatMessage(longest))).toEqual(longest);

    const biggestToken = issueConnectToken(
      {
        clientId: 'p'.repeat(64),
        userData: new Uint8Array(256),
        world: 'w'.repeat(MAX_WORLD_BYTES),
        serverAddresses: Array.from({ length: MAX_SERVER_ADDRESSES }, (_, i) => `${i}`.padEnd(64, 'a')),
        expiresInMs: 1_000,
      },
      keys,
      0,
    );
    expect(biggestToken.length).toBe(1_649);
    expect(biggestToken.length).toBeLessThanOrEqual(MAX_REDIRECT_TOKEN_BYTES);
    const back = decodeSeatMessage(
      encodeSeatMessage({ ...redirect, token: biggestToken }),
    ) as RedirectMessage;
    expect(back.token).toEqual(biggestToken);
  });

  it('round-trip arbitrary valid redirects', () => {
    fc.assert(
      fc.property(redirectMessage, (m) => {
        const back = decodeSeatMessage(encodeSeatMessage(m));
        expect(back).toEqual(m);
        expect((back as RedirectMessage).token).toBeInstanceOf(Uint8Array);
      }),
      { numRuns: 500 },
    );
  });

  it('throw nothing but a WIRE_* ShardlineError for arbitrary or damaged bytes', () => {
    const damaged = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Uint8Array.of(6, ...bytes)),
      fc.tuple(redirectMessage, fc.nat(), fc.nat({ max: 255 })).map(([m, at, byte]) => {
        const bytes = encodeSeatMessage(m).slice();
        bytes[at % bytes.length] = byte;
        return bytes;
      }),
      fc.tuple(redirectMessage, fc.nat()).map(([m, cut]) => {
        const bytes = encodeSeatMessage(m);
        return bytes.slice(0, cut % bytes.length);
      }),
      fc
        .tuple(redirectMessage, fc.uint8Array({ minLength: 1, maxLength: 8 }))
        .map(([m, extra]) => Uint8Array.of(...encodeSeatMessage(m), ...extra)),
    );
    fc.assert(
      fc.property(damaged, (bytes) => {
        try {
          decodeSeatMessage(bytes);
        } catch (error) {
          expect(isShardlineError(error)).toBe(true);
          expect((error as ShardlineError).code).toMatch(/^WIRE_/);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('decode the hand-made reference bytes', () => {
    expect(decodeSeatMessage(redirectBytes({}))).toEqual({
      type: 'redirect',
      world: 'dungeon/2',
      kind: 'dungeon',
      portal: 'north-gate',
      addresses: ['ws://127.0.0.1:8081'],
      token: Uint8Array.of(0xaa, 0xbb, 0xcc),
    });
  });

  it('refuse each malformed redirect', () => {
    const valid = redirectBytes({});
    for (let cut = 0; cut < valid.length; cut++) {
      expect(wireCode(valid.subarray(0, cut)), `cut at ${cut}`).toBe(
        cut === 0 ? 'WIRE_INVALID' : 'WIRE_TRUNCATED',
      );
    }
    const badUtf8 = [2, 0xc3, 0x28];
    const cases: [string, Uint8Array, string][] = [
      ['a trailing byte', Uint8Array.of(...valid, 0), 'WIRE_INVALID'],
      ['an empty world id', redirectBytes({ world: [0] }), 'WIRE_INVALID'],
      ['a world id past 64 bytes', redirectBytes({ world: field('w'.repeat(65)) }), 'WIRE_LIMIT'],
      ['a world id of bad UTF-8', redirectBytes({ world: badUtf8 }), 'WIRE_INVALID'],
      ['an empty kind name', redirectBytes({ kind: [0] }), 'WIRE_INVALID'],
      ['a kind name past 32 bytes', redirectBytes({ kind: field('k'.repeat(33)) }), 'WIRE_LIMIT'],
      ['a kind name of bad UTF-8', redirectBytes({ kind: badUtf8 }), 'WIRE_INVALID'],
      ['a portal id past 64 bytes', redirectBytes({ portal: field('p'.repeat(65)) }), 'WIRE_LIMIT'],
      ['a portal id of bad UTF-8', redirectBytes({ portal: [1, 0xff] }), 'WIRE_INVALID'],
      ['no addresses', redirectBytes({ addresses: [0] }), 'WIRE_INVALID'],
      [
        'nine addresses',
        redirectBytes({ addresses: [9, ...Array.from({ length: 9 }, () => field('udp://h:1')).flat()] }),
        'WIRE_LIMIT',
      ],
      ['an empty address', redirectBytes({ addresses: [1, 0] }), 'WIRE_INVALID'],
      [
        'an address past 200 bytes',
        redirectBytes({ addresses: [1, ...field('a'.repeat(201))] }),
        'WIRE_LIMIT',
      ],
      ['an address of bad UTF-8', redirectBytes({ addresses: [1, ...badUtf8] }), 'WIRE_INVALID'],
      [
        'fewer addresses than counted',
        redirectBytes({ addresses: [2, ...field('udp://h:1')], token: [] }),
        'WIRE_TRUNCATED',
      ],
      ['an empty token', redirectBytes({ token: [0, 0] }), 'WIRE_INVALID'],
      [
        'a token past the limit',
        redirectBytes({
          token: [(MAX_REDIRECT_TOKEN_BYTES + 1) & 0xff, (MAX_REDIRECT_TOKEN_BYTES + 1) >> 8],
        }),
        'WIRE_LIMIT',
      ],
      ['a token shorter than its length', redirectBytes({ token: [4, 0, 1, 2, 3] }), 'WIRE_TRUNCATED'],
      ['a token longer than its length', redirectBytes({ token: [2, 0, 1, 2, 3] }), 'WIRE_INVALID'],
    ];
    for (const [what, bytes, code] of cases) expect(wireCode(bytes), what).toBe(code);
  });

  it('refuse to encode values the wire cannot carry', () => {
    const refused: [string, Partial<RedirectMessage>][] = [
      ['an empty world id', { world: '' }],
      ['a world id past 64 bytes', { world: 'w'.repeat(MAX_WORLD_BYTES + 1) }],
      ['an empty kind name', { kind: '' }],
      ['a kind name past 32 bytes', { kind: 'é'.repeat(17) }],
      ['a portal id past 64 bytes', { portal: 'p'.repeat(MAX_PORTAL_BYTES + 1) }],
      ['no addresses', { addresses: [] }],
      [
        'nine addresses',
        { addresses: Array.from({ length: MAX_REDIRECT_ADDRESSES + 1 }, () => 'udp://h:1') },
      ],
      ['an empty address', { addresses: ['ws://h:1', ''] }],
      ['an address past 200 bytes', { addresses: ['a'.repeat(MAX_REDIRECT_ADDRESS_BYTES + 1)] }],
      ['an empty token', { token: new Uint8Array(0) }],
      ['a token past the limit', { token: new Uint8Array(MAX_REDIRECT_TOKEN_BYTES + 1) }],
    ];
    for (const [what, change] of refused) {
      let code: string | undefined;
      try {
        encodeSeatMessage({ ...redirect, ...change });
      } catch (error) {
        code = (error as ShardlineError).code;
      }
      expect(code, what).toBe('VALUE_INVALID');
    }
  });
});
