import { issueConnectToken, MAX_REMEMBERED_TOKENS, readConnectToken } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { writeRequest } from '../src/connection/packets.js';
import { countingRandom, handshakeServer, keys, PEER, SERVER } from './support/connection-fixtures.js';

function request(clientId: string, expiresAtMs: number, seed: number): Uint8Array {
  const grant = { clientId, serverAddresses: [SERVER], expiresInMs: expiresAtMs };
  return writeRequest(readConnectToken(issueConnectToken(grant, keys, 0, countingRandom(seed))));
}

/**
 * A server that remembers `count` presented tokens expiring at `expiresAtMs`. Presenting 65 536 real
 * tokens takes seconds (tens under mutation testing), so all but the first are written straight into
 * the memory the server keeps of them: tag → { peer, expiresAtMs, accepted }.
 */
function serverRemembering(count: number, expiresAtMs: number) {
  const handshake = handshakeServer();
  const first = request('first', expiresAtMs, 0);
  expect(handshake.handle(PEER, first, 0, () => undefined).kind).toBe('challenge');
  const memory = (handshake as unknown as { presentedTokens: Map<string, unknown> }).presentedTokens;
  for (let i = 1; i < count; i++)
    memory.set(`filler-${i}`, { peer: 'udp://x:1', expiresAtMs, accepted: false });
  expect(handshake.rememberedTokens).toBe(count);
  return { handshake, first };
}

describe('the memory of presented tokens is bounded (MAX_REMEMBERED_TOKENS)', () => {
  it('is 65 536 tokens', () => {
    expect(MAX_REMEMBERED_TOKENS).toBe(65_536);
  });

  it('with 65 535 remembered, one more is taken', () => {
    const { handshake } = serverRemembering(MAX_REMEMBERED_TOKENS - 1, 1_000);
    expect(handshake.handle('udp://b:2', request('new', 5_000, 100), 999, () => undefined).kind).toBe(
      'challenge',
    );
    expect(handshake.rememberedTokens).toBe(MAX_REMEMBERED_TOKENS);
  });

  it('with 65 536 remembered and none expired, a new token is refused as server-full', () => {
    const { handshake, first } = serverRemembering(MAX_REMEMBERED_TOKENS, 1_000);
    expect(handshake.handle('udp://b:2', request('new', 5_000, 100), 999, () => undefined)).toEqual({
      kind: 'denied',
      reason: 'server-full',
      reply: Uint8Array.of(2, 5),
    });
    expect(handshake.rememberedTokens).toBe(MAX_REMEMBERED_TOKENS);
    // A token already remembered is still recognised: its own peer may present it again.
    expect(handshake.handle(PEER, first, 999, () => undefined).kind).toBe('challenge');
  });

  it('forgets tokens at their expiry millisecond, once full, and then takes the new one', () => {
    const { handshake } = serverRemembering(MAX_REMEMBERED_TOKENS, 1_000);
    expect(handshake.handle('udp://b:2', request('new', 5_000, 100), 1_000, () => undefined).kind).toBe(
      'challenge',
    );
    expect(handshake.rememberedTokens).toBe(1);
  });

  it('forgets only the expired ones', () => {
    const { handshake } = serverRemembering(MAX_REMEMBERED_TOKENS, 2_000);
    const memory = (handshake as unknown as { presentedTokens: Map<string, { expiresAtMs: number }> })
      .presentedTokens;
    memory.get('filler-1')!.expiresAtMs = 1_000;
    expect(handshake.handle('udp://b:2', request('new', 5_000, 100), 1_000, () => undefined).kind).toBe(
      'challenge',
    );
    expect(handshake.rememberedTokens).toBe(MAX_REMEMBERED_TOKENS);
    expect(memory.has('filler-1')).toBe(false);
  });
});
