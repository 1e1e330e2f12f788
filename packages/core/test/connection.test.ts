import * as nodeCrypto from 'node:crypto';
import {
  aeadFromNodeCrypto,
  type DisconnectReason,
  HandshakeClient,
  HandshakeServer,
  issueConnectToken,
  openPrivateToken,
  PacketProtection,
  PacketType,
  REPLAY_WINDOW,
  REQUEST_BYTES,
  readConnectToken,
  TOKEN_MAGIC,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const aead = aeadFromNodeCrypto(nodeCrypto);
const privateKey = new Uint8Array(32).fill(42);
const protocolId = 0x5348_0001;
const SERVER = 'udp://127.0.0.1:40000';
const keys = { protocolId, privateKey, aead };
const fromHex = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'));

function token(
  overrides: { serverAddresses?: string[]; expiresInMs?: number; clientId?: string; world?: string } = {},
  nowMs = 0,
) {
  return issueConnectToken(
    {
      clientId: overrides.clientId ?? 'player-1',
      userData: Uint8Array.of(1, 2, 3),
      world: overrides.world ?? 'arena/1',
      serverAddresses: overrides.serverAddresses ?? [SERVER],
      expiresInMs: overrides.expiresInMs ?? 30_000,
    },
    keys,
    nowMs,
  );
}

function server(secure = true, admit: () => DisconnectReason | undefined = () => undefined) {
  const handshake = new HandshakeServer({ protocolId, privateKey, aead, addresses: [SERVER], secure });
  return {
    handshake,
    handle: (peer: string, datagram: Uint8Array, nowMs = 1) => handshake.handle(peer, datagram, nowMs, admit),
  };
}

describe('ChaCha20-Poly1305 adapter', () => {
  it('matches the RFC 8439 §2.8.2 test vector and rejects any tampering', () => {
    const key = fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = fromHex('070000004041424344454647');
    const ad = fromHex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const sealed = aead.seal(key, nonce, ad, plaintext);
    expect(Buffer.from(sealed.subarray(sealed.length - 16)).toString('hex')).toBe(
      '1ae10b594f09e26a7e902ecbd0600691',
    );
    expect(Buffer.from(sealed.subarray(0, 8)).toString('hex')).toBe('d31a8d34648e60db');
    expect(aead.open(key, nonce, ad, sealed)).toEqual(plaintext);
    const tampered = sealed.slice();
    tampered[5]! ^= 1;
    expect(aead.open(key, nonce, ad, tampered)).toBeUndefined();
    expect(aead.open(key, nonce, ad.subarray(1), sealed)).toBeUndefined();
  });
});

describe('connect tokens', () => {
  it('carry public keys for the client and a sealed private part only the server opens', () => {
    const bytes = token({}, 1_000);
    const parsed = readConnectToken(bytes);
    expect(parsed.protocolId).toBe(protocolId);
    expect(parsed.expiresAtMs).toBe(31_000);
    expect(parsed.serverAddresses).toEqual([SERVER]);
    const opened = openPrivateToken(parsed.sealedPrivate, parsed.nonce, parsed.expiresAtMs, keys)!;
    expect(opened.clientId).toBe('player-1');
    expect(opened.userData).toEqual(Uint8Array.of(1, 2, 3));
    expect(opened.world).toBe('arena/1');
    expect(opened.clientToServerKey).toEqual(parsed.clientToServerKey);
    expect(
      openPrivateToken(parsed.sealedPrivate, parsed.nonce, parsed.expiresAtMs + 1, keys),
    ).toBeUndefined();
    expect(
      openPrivateToken(parsed.sealedPrivate, parsed.nonce, parsed.expiresAtMs, {
        ...keys,
        privateKey: new Uint8Array(32),
      }),
    ).toBeUndefined();
  });

  it('refuse bad grants with VALUE_INVALID', () => {
    expect(() => token({ clientId: '' })).toThrow(/VALUE_INVALID/);
    expect(() => token({ serverAddresses: [] })).toThrow(/VALUE_INVALID/);
    expect(() => token({ expiresInMs: 0 })).toThrow(/VALUE_INVALID/);
    expect(() => token({ world: 'w'.repeat(65) })).toThrow(/VALUE_INVALID/);
  });

  it('name no world when the grant names none', () => {
    const parsed = readConnectToken(
      issueConnectToken({ clientId: 'p', serverAddresses: [SERVER], expiresInMs: 1_000 }, keys, 0),
    );
    expect(openPrivateToken(parsed.sealedPrivate, parsed.nonce, parsed.expiresAtMs, keys)!.world).toBe('');
  });
});

describe('secure handshake (datagram transports)', () => {
  it('connects through request, challenge and response; both sides then share protected packets', () => {
    const { handle, handshake } = server();
    const client = new HandshakeClient(token(), aead, true);
    const [request] = client.update(0);
    expect(request!.length).toBe(REQUEST_BYTES);
    const challenge = handle('udp://10.0.0.1:5000', request!);
    expect(challenge.kind).toBe('challenge');
    if (challenge.kind !== 'challenge') return;
    expect(challenge.reply.length).toBeLessThan(request!.length);
    const [response] = client.handle(challenge.reply, 5);
    expect(client.state).toBe('responding');
    expect(response!.length).toBeLessThan(request!.length);
    const accepted = handle('udp://10.0.0.1:5000', response!);
    expect(accepted.kind).toBe('accepted');
    if (accepted.kind !== 'accepted') return;
    expect(accepted.client.clientId).toBe('player-1');
    expect(accepted.client.userData).toEqual(Uint8Array.of(1, 2, 3));
    expect(accepted.client.world).toBe('arena/1'); // carried through the challenge token

    const serverSide = new PacketProtection(
      aead,
      accepted.client.serverToClientKey,
      accepted.client.clientToServerKey,
      protocolId,
    );
    client.handle(serverSide.protect(PacketType.Accepted, new Uint8Array(0)), 6);
    expect(client.state).toBe('connected');
    const hello = client.protection!.protect(PacketType.Data, Uint8Array.of(9, 9));
    expect(serverSide.unprotect(hello)).toEqual({
      ok: true,
      type: PacketType.Data,
      payload: Uint8Array.of(9, 9),
    });
    expect(handshake.counters.accepted).toBe(1);
  });

  it('resends the request until answered and fails when the token expires', () => {
    const client = new HandshakeClient(token({ expiresInMs: 1_000 }), aead, true);
    expect(client.update(0).length).toBe(1);
    expect(client.update(50).length).toBe(0);
    expect(client.update(100).length).toBe(1);
    client.update(1_000);
    expect(client.state).toBe('failed');
    expect(client.failureReason).toBe('token-expired');
  });

  it('ignores a response from another address than the one challenged, and stale challenges', () => {
    const { handle } = server();
    const client = new HandshakeClient(token(), aead, true);
    const challenge = handle('udp://10.0.0.1:5000', client.update(0)[0]!);
    const [response] = client.handle((challenge as { reply: Uint8Array }).reply, 1);
    expect(handle('udp://10.0.0.2:5000', response!)).toEqual({ kind: 'ignored', why: 'challenge-invalid' });
    expect(handle('udp://10.0.0.1:5000', response!, 20_000)).toEqual({
      kind: 'ignored',
      why: 'challenge-expired',
    });
  });
});

describe('token rejection, each with its code', () => {
  const cases: [string, () => Uint8Array, DisconnectReason, number?][] = [
    ['expired', () => token({ expiresInMs: 10 }), 'token-expired', 100],
    [
      'tampered',
      () => {
        const bytes = token();
        bytes[bytes.length - 100]! ^= 0x40;
        return bytes;
      },
      'token-invalid',
    ],
    ['for another server', () => token({ serverAddresses: ['udp://127.0.0.1:40001'] }), 'wrong-address'],
    [
      'from another protocol',
      () =>
        issueConnectToken(
          { clientId: 'x', serverAddresses: [SERVER], expiresInMs: 30_000 },
          { ...keys, protocolId: 7 },
          0,
        ),
      'protocol-mismatch',
    ],
  ];
  it.each(cases)('%s', (_name, make, reason, nowMs = 1) => {
    for (const secure of [true, false]) {
      const { handle } = server(secure);
      const client = new HandshakeClient(make(), aead, secure);
      const result = handle('udp://10.0.0.1:5000', client.update(0)[0]!, nowMs);
      expect(result.kind).toBe('denied');
      if (result.kind !== 'denied') return;
      expect(result.reason).toBe(reason);
      expect(result.reply.length).toBe(2);
      client.handle(result.reply, nowMs);
      expect(client.state).toBe('failed');
      expect(client.failureReason).toBe(reason);
    }
  });

  it('replayed: the same token from a second address', () => {
    const { handle } = server();
    const request = new HandshakeClient(token(), aead, true).update(0)[0]!;
    expect(handle('udp://10.0.0.1:5000', request).kind).toBe('challenge');
    expect(handle('udp://10.0.0.1:5000', request).kind).toBe('challenge'); // the same client retrying
    const replayed = handle('udp://10.6.6.6:6666', request);
    expect(replayed).toMatchObject({ kind: 'denied', reason: 'token-replayed' });
  });

  it('server full: admission refuses', () => {
    const { handle } = server(false, () => 'server-full');
    const result = handle('tcp:1', new HandshakeClient(token(), aead, false).update(0)[0]!);
    expect(result).toMatchObject({ kind: 'denied', reason: 'server-full' });
  });
});

describe('stream handshake (WebSocket, TCP)', () => {
  it('accepts the token in the first message, with no challenge', () => {
    const { handle } = server(false);
    const client = new HandshakeClient(token(), undefined, false);
    const result = handle('ws:1', client.update(0)[0]!);
    expect(result.kind).toBe('accepted');
    client.handle(Uint8Array.of(PacketType.Accepted), 1);
    expect(client.state).toBe('connected');
  });
});

describe('hostile datagrams', () => {
  it('a flood from unknown sources allocates nothing and never gets a reply larger than itself', () => {
    const { handle, handshake } = server();
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 1300 }),
      fc
        .uint8Array({ minLength: REQUEST_BYTES - 1, maxLength: REQUEST_BYTES - 1 })
        .map((rest) => Uint8Array.of(PacketType.Request, ...rest)),
      fc
        .uint8Array({ minLength: 584, maxLength: 584 })
        .map((rest) => Uint8Array.of(PacketType.Response, ...rest)),
    );
    fc.assert(
      fc.property(datagram, fc.nat({ max: 65_535 }), (bytes, port) => {
        const result = handle(`udp://203.0.113.9:${port}`, bytes);
        expect(result.kind).not.toBe('accepted');
        expect(result.kind).not.toBe('challenge');
        if (result.kind === 'denied') expect(result.reply.length).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 10_000 },
    );
    expect(handshake.rememberedTokens).toBe(0);
    expect(handshake.counters.accepted).toBe(0);
  });
});

describe('packet protection', () => {
  const c2s = new Uint8Array(32).fill(1);
  const s2c = new Uint8Array(32).fill(2);

  it('drops tampered and replayed packets and counts them', () => {
    const sender = new PacketProtection(aead, c2s, s2c, protocolId);
    const receiver = new PacketProtection(aead, s2c, c2s, protocolId);
    const first = sender.protect(PacketType.Data, Uint8Array.of(1));
    expect(receiver.unprotect(first).ok).toBe(true);
    expect(receiver.unprotect(first)).toEqual({ ok: false, reason: 'replayed' });
    const second = sender.protect(PacketType.Data, Uint8Array.of(2));
    const tampered = second.slice();
    tampered[tampered.length - 1]! ^= 1;
    expect(receiver.unprotect(tampered)).toEqual({ ok: false, reason: 'tampered' });
    const retyped = second.slice();
    retyped[0] = PacketType.Disconnect;
    expect(receiver.unprotect(retyped)).toEqual({ ok: false, reason: 'tampered' });
    expect(receiver.unprotect(second).ok).toBe(true);
    expect(receiver.unprotect(Uint8Array.of(6, 1))).toEqual({ ok: false, reason: 'malformed' });
    expect(receiver.counters).toEqual({ tampered: 2, replayed: 1, malformed: 1 });
  });

  it('accepts reordered packets within the window and refuses older ones', () => {
    const sender = new PacketProtection(aead, c2s, s2c, protocolId);
    const receiver = new PacketProtection(aead, s2c, c2s, protocolId);
    const packets = Array.from({ length: REPLAY_WINDOW + 10 }, (_, i) =>
      sender.protect(PacketType.Data, Uint8Array.of(i & 0xff)),
    );
    expect(receiver.unprotect(packets[5]!).ok).toBe(true);
    expect(receiver.unprotect(packets[3]!).ok).toBe(true);
    expect(receiver.unprotect(packets.at(-1)!).ok).toBe(true);
    expect(receiver.unprotect(packets[4]!)).toEqual({ ok: false, reason: 'replayed' });
    expect(receiver.unprotect(packets.at(-2)!).ok).toBe(true);
  });

  it('hands out a new datagram per packet: sealed back to back, each opens and none changes later', () => {
    // The nonce and associated data are scratch arrays reused by every packet; the datagrams are not.
    const sender = new PacketProtection(aead, c2s, s2c, protocolId);
    const receiver = new PacketProtection(aead, s2c, c2s, protocolId);
    const payloads = [Uint8Array.of(1, 2, 3), new Uint8Array(1100).fill(7), Uint8Array.of(9)];
    const types = [PacketType.Data, PacketType.Data, PacketType.Disconnect];
    const datagrams = payloads.map((payload, i) => sender.protect(types[i]!, payload));
    const copies = datagrams.map((datagram) => datagram.slice());
    // Traffic in both directions meanwhile, through the same protections.
    for (let i = 0; i < 50; i++) {
      expect(sender.unprotect(receiver.protect(PacketType.Data, Uint8Array.of(i))).ok).toBe(true);
    }
    for (let i = 0; i < 50; i++) sender.protect(PacketType.Data, new Uint8Array(64).fill(i));
    for (let i = 0; i < datagrams.length; i++) expect(datagrams[i]).toEqual(copies[i]);
    // Delivered in reverse: each still opens, to its own type and payload.
    for (let i = datagrams.length - 1; i >= 0; i--) {
      const opened = receiver.unprotect(datagrams[i]!);
      expect(opened).toEqual({ ok: true, type: types[i], payload: payloads[i] });
    }
    // Sequences 0, 1, 2: distinct nonces (the sequence is the nonce's counter).
    expect(datagrams.map((datagram) => datagram[1])).toEqual([0, 1, 2]);
  });

  it('seals as the one-shot AEAD does (sealInto and seal agree, and the wire format is unchanged)', () => {
    const sender = new PacketProtection(aead, c2s, s2c, protocolId);
    const payload = Uint8Array.of(5, 6, 7, 8);
    sender.protect(PacketType.Data, payload); // sequence 0
    const datagram = sender.protect(PacketType.Data, payload); // sequence 1
    const nonce = new Uint8Array(12);
    nonce[4] = 1;
    const ad = new Uint8Array(9);
    const view = new DataView(ad.buffer);
    ad[0] = PacketType.Data;
    view.setUint32(1, TOKEN_MAGIC, true);
    view.setUint32(5, protocolId, true);
    const expected = aead.seal(c2s, nonce, ad, payload);
    expect(Array.from(datagram.subarray(0, 9))).toEqual([PacketType.Data, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(datagram.subarray(9)).toEqual(expected);
  });
});
