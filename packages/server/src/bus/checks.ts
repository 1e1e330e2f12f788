import { ShardlineError } from '@shardline/core';
import { MAX_BUS_PAYLOAD_BYTES, MAX_CHANNEL_NAME_LENGTH } from './cluster-bus.js';

const CHANNEL_NAME = new RegExp(`^[\\x21-\\x7e]{1,${MAX_CHANNEL_NAME_LENGTH}}$`);

/** Refuses a channel name the contract does not allow (BUS_CHANNEL_INVALID). */
export function checkChannel(channel: string): void {
  if (typeof channel !== 'string' || !CHANNEL_NAME.test(channel)) {
    throw new ShardlineError(
      'BUS_CHANNEL_INVALID',
      `a channel name is 1–${MAX_CHANNEL_NAME_LENGTH} printable ASCII characters without spaces, not ${JSON.stringify(channel)}`,
    );
  }
}

/** Refuses a payload that is not bytes or is larger than MAX_BUS_PAYLOAD_BYTES (BUS_PAYLOAD_TOO_LARGE). */
export function checkPayload(payload: Uint8Array): void {
  if (!(payload instanceof Uint8Array))
    throw new ShardlineError('VALUE_INVALID', 'a bus payload is a Uint8Array');
  if (payload.byteLength > MAX_BUS_PAYLOAD_BYTES) {
    throw new ShardlineError(
      'BUS_PAYLOAD_TOO_LARGE',
      `a bus payload is at most ${MAX_BUS_PAYLOAD_BYTES} bytes, not ${payload.byteLength}`,
      { bytes: payload.byteLength, max: MAX_BUS_PAYLOAD_BYTES },
    );
  }
}

export function closedError(): ShardlineError {
  return new ShardlineError('BUS_CLOSED', 'the bus member is closed');
}
