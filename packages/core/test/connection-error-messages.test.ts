import {
  ByteReader,
  ByteWriter,
  ClientConnection,
  HandshakeClient,
  parsePacketLogLine,
  readConnectToken,
  readDenied,
} from '@shardline/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from '../src/connection/crypto.js';
import { readChallengeBody, readRequest, readResponse } from '../src/connection/packets.js';
import { sealPacket } from '../src/connection/protection.js';
import { readWorld, writeWorld } from '../src/connection/token.js';
import { readU64, writeU64 } from '../src/connection/u64.js';
import { expectError } from './support/connection-expect-error.js';
import {
  aead,
  connectToken,
  handshakeServer,
  privateKey,
  protocolId,
} from './support/connection-fixtures.js';
import { channels, Rig, WS } from './support/connection-harness.js';

/**
 * Every refusal says what was wrong in its message: the limit, the value or the session. The code is
 * for programs (and pinned elsewhere); these pin the words a developer reads.
 */
describe('connection error messages', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('grant limits name the field and the limit', () => {
    expectError('VALUE_INVALID', 'clientId must be 1–64 UTF-8 bytes', () => connectToken({ clientId: '' }));
    expectError('VALUE_INVALID', 'a server address must be 1–64 UTF-8 bytes', () =>
      connectToken({ serverAddresses: [''] }),
    );
    expectError('VALUE_INVALID', 'a token names 1–8 server addresses', () =>
      connectToken({ serverAddresses: [] }),
    );
    expectError('VALUE_INVALID', 'expiresInMs must be positive', () => connectToken({ expiresInMs: 0 }));
    expectError('VALUE_INVALID', 'userData over 256 bytes', () =>
      connectToken({ userData: new Uint8Array(257) }),
    );
    expectError('VALUE_INVALID', 'a world name is at most 64 UTF-8 bytes', () =>
      writeWorld(new ByteWriter(100), 'w'.repeat(65)),
    );
  });

  it('malformed tokens say what is wrong', () => {
    const bytes = connectToken();
    const other = bytes.slice();
    other[0] = 0;
    expectError('WIRE_INVALID', 'not a Shardline connect token', () => readConnectToken(other));
    const long = new Uint8Array(bytes.length + 1);
    long.set(bytes);
    expectError('WIRE_TRAILING_DATA', 'bytes after the connect token', () => readConnectToken(long));
    const noAddresses = bytes.slice();
    noAddresses[40] = 9;
    expectError('WIRE_LIMIT', '9 addresses', () => readConnectToken(noAddresses));
    const longAddress = bytes.slice();
    longAddress[41] = 65;
    expectError('WIRE_LIMIT', 'string of 65 bytes', () => readConnectToken(longAddress));
    expectError('WIRE_LIMIT', 'world name of 65 bytes', () => readWorld(new ByteReader(Uint8Array.of(65))));
  });

  it('u64 and sequence refusals name the value', () => {
    expectError('VALUE_INVALID', '-1 is not a u53', () => writeU64(new ByteWriter(8), -1));
    expectError('WIRE_INVALID', 'u64 beyond 2^53', () =>
      readU64(new ByteReader(Uint8Array.of(0, 0, 0, 0, 0, 0, 0x20, 0))),
    );
    expectError('VALUE_INVALID', '-2 is not a u53', () =>
      sealPacket(aead, privateKey, 6, -2, 0, protocolId, new Uint8Array(0)),
    );
  });

  it('packets of the wrong size say which packet', () => {
    expectError('WIRE_INVALID', 'connect request of wrong size', () => readRequest(new Uint8Array(5)));
    expectError('WIRE_INVALID', 'denied packet of wrong size', () => readDenied(new Uint8Array(3)));
    expectError('WIRE_INVALID', 'challenge response of wrong size', () => readResponse(new Uint8Array(5), 4));
    expectError('WIRE_INVALID', 'challenge of wrong size', () => readChallengeBody(new Uint8Array(5), 4));
  });

  it('packet log lines say what they lack', () => {
    expectError('WIRE_INVALID', 'packet log line is not JSON', () => parsePacketLogLine('{'));
    expectError('WIRE_INVALID', 'packet log line lacks atMs, direction, peer, type or bytes', () =>
      parsePacketLogLine('{}'),
    );
  });

  it('connections name the transport, the state or the session', () => {
    const client = new ClientConnection({ token: connectToken(), capabilities: WS, channels }, 0);
    expectError('VALUE_INVALID', 'cannot send while connecting', () => client.send(0, Uint8Array.of(1), 0));
    const rig = new Rig(WS);
    expectError('VALUE_INVALID', 'no session ghost', () => rig.server.send('ghost', 0, Uint8Array.of(1), 0));
    expectError('VALUE_INVALID', 'no session ghost', () => rig.server.rttMs('ghost'));
    expectError('VALUE_INVALID', 'no session ghost', () => rig.server.stats('ghost', 0));
    rig.connected('p1');
    const handle = rig.server.handle('p1')!;
    rig.server.disconnect('p1', 'kicked');
    expectError('VALUE_INVALID', 'no session p1', () => rig.server.sendTo(handle, 0, Uint8Array.of(1), 0));
    const handshake = handshakeServer();
    const request = new HandshakeClient(connectToken(), aead, true).update(0)[0]!;
    expectError('VALUE_INVALID', `${'p'.repeat(129)} is over 128 bytes`, () =>
      handshake.handle('p'.repeat(129), request, 1, () => undefined),
    );
  });

  it('missing primitives are named', () => {
    expect(() => new HandshakeClient(connectToken(), undefined, true)).toThrow(
      'a secure handshake needs an AEAD implementation',
    );
    vi.stubGlobal('crypto', undefined);
    expect(() => randomBytes(1)).toThrow('no secure random source (globalThis.crypto) in this runtime');
  });
});
