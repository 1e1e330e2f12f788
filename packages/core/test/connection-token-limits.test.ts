import {
  ByteWriter,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  issueConnectToken,
  MAX_ADDRESS_BYTES,
  MAX_CLIENT_ID_BYTES,
  MAX_SERVER_ADDRESSES,
  MAX_USER_DATA_BYTES,
  MAX_WORLD_BYTES,
  openPrivateToken,
  readConnectToken,
  TOKEN_MAGIC,
} from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { privateTokenAssociatedData } from '../src/connection/token.js';
import {
  aead,
  connectToken,
  countingRandom,
  keys,
  protocolId,
  SERVER,
} from './support/connection-fixtures.js';
import { expectCode } from './support/expect-code.js';

describe('connect token layout (PROTOCOL.md §10.1)', () => {
  it('is magic, protocolId, createdAtMs, expiresAtMs, nonce, timeoutMs, addresses, keys, sealed part', () => {
    const random = countingRandom(10); // draws: c2s key (10…), s2c key (11…), nonce (12…)
    const bytes = connectToken(
      { timeoutMs: 0x0102_0304, serverAddresses: ['a', SERVER] },
      0x2_0000_0001,
      random,
    );
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getUint32(0, true)).toBe(TOKEN_MAGIC);
    expect(view.getUint32(4, true)).toBe(protocolId);
    expect(Array.from(bytes.subarray(8, 16))).toEqual([1, 0, 0, 0, 2, 0, 0, 0]);
    expect(view.getUint32(16, true)).toBe(0x0000_7531); // 0x2_0000_0001 + 30 000, low word
    expect(view.getUint32(20, true)).toBe(2);
    expect(Array.from(bytes.subarray(24, 36))).toEqual(Array.from({ length: 12 }, (_, i) => 12 + i));
    expect(view.getUint32(36, true)).toBe(0x0102_0304);
    expect(bytes[40]).toBe(2); // two addresses
    expect(bytes[41]).toBe(1);
    expect(String.fromCharCode(bytes[42]!)).toBe('a');
    expect(bytes[43]).toBe(SERVER.length);
    const keysAt = 44 + SERVER.length;
    expect(Array.from(bytes.subarray(keysAt, keysAt + 32))).toEqual(
      Array.from({ length: 32 }, (_, i) => 10 + i),
    );
    expect(Array.from(bytes.subarray(keysAt + 32, keysAt + 64))).toEqual(
      Array.from({ length: 32 }, (_, i) => 11 + i),
    );
    expect(bytes.length).toBe(keysAt + 64 + 1024);

    const token = readConnectToken(bytes);
    expect(token).toMatchObject({
      protocolId,
      createdAtMs: 0x2_0000_0001,
      expiresAtMs: 0x2_0000_0001 + 30_000,
      timeoutMs: 0x0102_0304,
      serverAddresses: ['a', SERVER],
    });
  });

  it('seals the private part with AD = magic, protocolId, expiresAtMs; it opens only with all three', () => {
    expect(Array.from(privateTokenAssociatedData(0x0a0b_0c0d, 0x1_0000_0002))).toEqual([
      0x53, 0x4c, 0x54, 0x31, 0x0d, 0x0c, 0x0b, 0x0a, 2, 0, 0, 0, 1, 0, 0, 0,
    ]);
    const token = readConnectToken(connectToken());
    expect(openPrivateToken(token.sealedPrivate, token.nonce, token.expiresAtMs, keys)).toBeDefined();
    expect(openPrivateToken(token.sealedPrivate, token.nonce, token.expiresAtMs - 1, keys)).toBeUndefined();
    expect(
      openPrivateToken(token.sealedPrivate, token.nonce, token.expiresAtMs, {
        ...keys,
        protocolId: protocolId + 1,
      }),
    ).toBeUndefined();
  });

  it('defaults the connection timeout to 10 s, in the public part and the private part', () => {
    const token = readConnectToken(connectToken()); // the fixture grant names no timeout
    expect(DEFAULT_CONNECTION_TIMEOUT_MS).toBe(10_000);
    expect(token.timeoutMs).toBe(10_000);
    expect(openPrivateToken(token.sealedPrivate, token.nonce, token.expiresAtMs, keys)!.timeoutMs).toBe(
      10_000,
    );
  });

  it('carries the addresses, keys and userData into the private part', () => {
    const token = readConnectToken(
      connectToken({ serverAddresses: ['x', SERVER], userData: new Uint8Array(0) }),
    );
    const opened = openPrivateToken(token.sealedPrivate, token.nonce, token.expiresAtMs, keys)!;
    expect(opened).toEqual({
      clientId: 'player-1',
      userData: new Uint8Array(0),
      world: 'arena/1',
      timeoutMs: 10_000,
      serverAddresses: ['x', SERVER],
      clientToServerKey: token.clientToServerKey,
      serverToClientKey: token.serverToClientKey,
    });
  });
});

describe('grant limits at their exact edges (VALUE_INVALID past them)', () => {
  it('clientId: 1–64 UTF-8 bytes', () => {
    expect(MAX_CLIENT_ID_BYTES).toBe(64);
    expect(() => connectToken({ clientId: 'c'.repeat(64) })).not.toThrow();
    expectCode('VALUE_INVALID', () => connectToken({ clientId: 'c'.repeat(65) }));
    expectCode('VALUE_INVALID', () => connectToken({ clientId: 'é'.repeat(33) })); // 66 bytes
    expectCode('VALUE_INVALID', () => connectToken({ clientId: '' }));
  });

  it('userData: at most 256 bytes', () => {
    expect(MAX_USER_DATA_BYTES).toBe(256);
    const token = readConnectToken(connectToken({ userData: new Uint8Array(256).fill(9) }));
    expect(openPrivateToken(token.sealedPrivate, token.nonce, token.expiresAtMs, keys)!.userData).toEqual(
      new Uint8Array(256).fill(9),
    );
    expectCode('VALUE_INVALID', () => connectToken({ userData: new Uint8Array(257) }));
  });

  it('server addresses: 1–8 of them, each 1–64 bytes', () => {
    expect(MAX_SERVER_ADDRESSES).toBe(8);
    expect(MAX_ADDRESS_BYTES).toBe(64);
    const eight = Array.from({ length: 8 }, (_, i) => `udp://10.0.0.${i}:1`);
    expect(readConnectToken(connectToken({ serverAddresses: eight })).serverAddresses).toEqual(eight);
    expectCode('VALUE_INVALID', () => connectToken({ serverAddresses: [...eight, SERVER] }));
    expectCode('VALUE_INVALID', () => connectToken({ serverAddresses: [] }));
    expect(readConnectToken(connectToken({ serverAddresses: ['a'.repeat(64)] })).serverAddresses).toEqual([
      'a'.repeat(64),
    ]);
    expectCode('VALUE_INVALID', () => connectToken({ serverAddresses: ['a'.repeat(65)] }));
    expectCode('VALUE_INVALID', () => connectToken({ serverAddresses: [''] }));
  });

  it('world: 0–64 bytes', () => {
    expect(MAX_WORLD_BYTES).toBe(64);
    const token = readConnectToken(connectToken({ world: 'w'.repeat(64) }));
    expect(openPrivateToken(token.sealedPrivate, token.nonce, token.expiresAtMs, keys)!.world).toBe(
      'w'.repeat(64),
    );
    expectCode('VALUE_INVALID', () => connectToken({ world: 'w'.repeat(65) }));
  });

  it('expiresInMs: positive; expiry is issue time + expiresInMs', () => {
    expect(readConnectToken(connectToken({ expiresInMs: 1 }, 500)).expiresAtMs).toBe(501);
    expectCode('VALUE_INVALID', () => connectToken({ expiresInMs: 0 }));
    expectCode('VALUE_INVALID', () => connectToken({ expiresInMs: -5 }));
    expectCode('VALUE_INVALID', () => connectToken({ expiresInMs: Number.NaN }));
  });
});

describe('reading a connect token (the client side)', () => {
  it('copies the nonce, keys and sealed part out of the bytes it reads', () => {
    const bytes = connectToken();
    const token = readConnectToken(bytes);
    const copies = [token.nonce, token.clientToServerKey, token.serverToClientKey, token.sealedPrivate].map(
      (part) => part.slice(),
    );
    bytes.fill(0);
    expect([token.nonce, token.clientToServerKey, token.serverToClientKey, token.sealedPrivate]).toEqual(
      copies,
    );
  });

  it('refuses another magic, trailing bytes and truncation', () => {
    const bytes = connectToken();
    const other = bytes.slice();
    other[0] = 0;
    expectCode('WIRE_INVALID', () => readConnectToken(other));
    const long = new Uint8Array(bytes.length + 1);
    long.set(bytes);
    expectCode('WIRE_TRAILING_DATA', () => readConnectToken(long));
    expectCode('WIRE_TRUNCATED', () => readConnectToken(bytes.subarray(0, bytes.length - 1)));
  });

  it('refuses an address count of 0 or 9 (WIRE_LIMIT)', () => {
    const bytes = connectToken();
    for (const count of [0, 9]) {
      const edited = bytes.slice();
      edited[40] = count;
      expectCode('WIRE_LIMIT', () => readConnectToken(edited));
    }
  });

  it('refuses an address length of 0 or 65 (WIRE_LIMIT)', () => {
    const bytes = connectToken();
    for (const length of [0, 65]) {
      const edited = bytes.slice();
      edited[41] = length;
      expectCode('WIRE_LIMIT', () => readConnectToken(edited));
    }
  });
});

/**
 * Seals what `write` writes (zero-padded to 1008 bytes) as a private part, as a broken issuer holding
 * the real private key might, and opens it as a server does.
 */
function sealedPrivate(write: (writer: ByteWriter) => void, expiresAtMs = 9_000) {
  const writer = new ByteWriter(1008);
  write(writer);
  const plaintext = new Uint8Array(1008);
  plaintext.set(writer.toBytes());
  const nonce = new Uint8Array(12).fill(3);
  const sealed = aead.seal(
    keys.privateKey,
    nonce,
    privateTokenAssociatedData(protocolId, expiresAtMs),
    plaintext,
  );
  return openPrivateToken(sealed, nonce, expiresAtMs, keys);
}

function privatePart(
  parts: { clientId?: string; addresses?: string[]; userDataLength?: number; world?: string } = {},
) {
  return (writer: ByteWriter) => {
    const text = new TextEncoder();
    const clientId = text.encode(parts.clientId ?? 'p');
    writer.u8(clientId.length);
    writer.raw(clientId);
    writer.u32(5_000);
    const addresses = parts.addresses ?? [SERVER];
    writer.u8(addresses.length);
    for (const address of addresses) {
      const encoded = text.encode(address);
      writer.u8(encoded.length);
      writer.raw(encoded);
    }
    writer.raw(new Uint8Array(32).fill(1));
    writer.raw(new Uint8Array(32).fill(2));
    const userDataLength = parts.userDataLength ?? 0;
    writer.u16(userDataLength);
    writer.raw(new Uint8Array(Math.min(userDataLength, 600)));
    const world = text.encode(parts.world ?? '');
    writer.u8(world.length);
    writer.raw(world);
  };
}

describe('opening an authentic but malformed private part (a broken issuer): undefined, never a crash', () => {
  it('opens a well-formed one', () => {
    expect(sealedPrivate(privatePart())).toEqual({
      clientId: 'p',
      userData: new Uint8Array(0),
      world: '',
      timeoutMs: 5_000,
      serverAddresses: [SERVER],
      clientToServerKey: new Uint8Array(32).fill(1),
      serverToClientKey: new Uint8Array(32).fill(2),
    });
  });

  it('clientId of 0 or 65 bytes; 64 opens', () => {
    expect(sealedPrivate(privatePart({ clientId: 'c'.repeat(64) }))?.clientId).toBe('c'.repeat(64));
    expect(sealedPrivate(privatePart({ clientId: 'c'.repeat(65) }))).toBeUndefined();
    expect(sealedPrivate(privatePart({ clientId: '' }))).toBeUndefined();
  });

  it('userData longer than 256 bytes; 256 opens', () => {
    expect(sealedPrivate(privatePart({ userDataLength: 256 }))?.userData.length).toBe(256);
    expect(sealedPrivate(privatePart({ userDataLength: 257 }))).toBeUndefined();
  });

  it('world of 65 bytes; 64 opens', () => {
    expect(sealedPrivate(privatePart({ world: 'w'.repeat(64) }))?.world).toBe('w'.repeat(64));
    expect(sealedPrivate(privatePart({ world: 'w'.repeat(65) }))).toBeUndefined();
  });

  it('no addresses, or more than 8', () => {
    expect(sealedPrivate(privatePart({ addresses: [] }))).toBeUndefined();
    expect(sealedPrivate(privatePart({ addresses: Array.from({ length: 9 }, () => 'a') }))).toBeUndefined();
    expect(
      sealedPrivate(privatePart({ addresses: Array.from({ length: 8 }, () => 'a') }))?.serverAddresses,
    ).toEqual(Array.from({ length: 8 }, () => 'a'));
  });

  it('rethrows what is not a ShardlineError (a broken AEAD), rather than calling it invalid', () => {
    const broken = { ...keys, aead: { ...aead, open: () => ({}) as Uint8Array } };
    const token = readConnectToken(connectToken());
    expect(() => openPrivateToken(token.sealedPrivate, token.nonce, token.expiresAtMs, broken)).toThrow(
      TypeError,
    );
  });
});

describe('issuing with the default random source', () => {
  it('draws fresh keys and nonce for every token', () => {
    const grant = { clientId: 'p', serverAddresses: [SERVER], expiresInMs: 1_000 };
    const a = readConnectToken(issueConnectToken(grant, keys, 0));
    const b = readConnectToken(issueConnectToken(grant, keys, 0));
    expect(a.nonce).not.toEqual(b.nonce);
    expect(a.clientToServerKey).not.toEqual(b.clientToServerKey);
    expect(a.clientToServerKey).not.toEqual(a.serverToClientKey);
  });
});
