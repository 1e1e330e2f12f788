import { MAX_MESSAGE_BYTES, ReliableEndpoint } from '@shardline/core';
import { describe, it } from 'vitest';
import { MAX_CHANNELS } from '../src/reliable/limits.js';
import { expectError } from './support/connection-expect-error.js';
import { PLAIN, QUIET, RELIABLE, THREE_CHANNELS } from './support/reliable-datagrams.js';

/** What an endpoint says when a caller misuses it: the words are part of the API, as the codes are. */
describe('reliable endpoint refusals name what is wrong', () => {
  it('at construction: the channel count, a compressed channel without a compressor, the MTU', () => {
    expectError(
      'VALUE_INVALID',
      `an endpoint needs 1..${MAX_CHANNELS} channels`,
      () => new ReliableEndpoint({ channels: [] }, 0),
    );
    const tooMany = Array.from({ length: MAX_CHANNELS + 1 }, () => ({ kind: 'unreliable' as const }));
    expectError(
      'VALUE_INVALID',
      `an endpoint needs 1..${MAX_CHANNELS} channels`,
      () => new ReliableEndpoint({ channels: tooMany }, 0),
    );
    expectError(
      'VALUE_INVALID',
      'a compressed channel needs a compressor',
      () => new ReliableEndpoint({ channels: [{ kind: 'reliable-ordered', compress: true }] }, 0),
    );
    expectError(
      'VALUE_INVALID',
      'mtuBytes must be at least 1100',
      () => new ReliableEndpoint({ channels: THREE_CHANNELS, mtuBytes: 1_099 }, 0),
    );
  });

  it('at send: an unknown channel, a send type the channel does not take, a message over the limit', () => {
    const endpoint = new ReliableEndpoint(QUIET, 0);
    expectError('VALUE_INVALID', 'no channel 9', () => endpoint.send(9, Uint8Array.of(1), 0));
    expectError('VALUE_INVALID', 'send type unreliable does not fit reliable-ordered channel 0', () =>
      endpoint.send(RELIABLE, Uint8Array.of(1), 0, 'unreliable'),
    );
    expectError('VALUE_INVALID', 'send type reliable does not fit unreliable channel 1', () =>
      endpoint.send(PLAIN, Uint8Array.of(1), 0, 'reliable'),
    );
    expectError(
      'VALUE_INVALID',
      `message of ${MAX_MESSAGE_BYTES + 1} bytes exceeds ${MAX_MESSAGE_BYTES}`,
      () => endpoint.send(PLAIN, new Uint8Array(MAX_MESSAGE_BYTES + 1), 0),
    );
  });
});
