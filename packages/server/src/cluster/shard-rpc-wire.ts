import { ByteReader, ByteWriter, decodeUtf8, encodeUtf8, ShardlineError } from '@shardline/core';
import { MAX_SHARD_NAME_LENGTH } from './shard-status.js';

/**
 * A shard RPC request (docs/cluster/CLUSTER.md §4): a version byte (1), the calling shard's name
 * (u8 length + UTF-8, 1–MAX_SHARD_NAME_LENGTH bytes), the catalog's fingerprint (16 ASCII hex
 * digits), then the call as PROTOCOL.md §15 encodes it. The reply is §15's reply message, or no
 * bytes for an RPC without one; failures travel as the engine's errors.
 */
export const SHARD_RPC_VERSION = 1;
const FINGERPRINT_BYTES = 16;

export interface ShardRpcRequest {
  from: string;
  fingerprint: string;
  call: Uint8Array;
}

export function encodeShardRpcRequest(request: ShardRpcRequest): Uint8Array {
  const from = encodeUtf8(request.from);
  const fingerprint = encodeUtf8(request.fingerprint);
  const writer = new ByteWriter(2 + from.length + fingerprint.length + request.call.length);
  writer.u8(SHARD_RPC_VERSION);
  writer.u8(from.length);
  writer.raw(from);
  writer.raw(fingerprint);
  writer.raw(request.call);
  return writer.toBytes();
}

/** The request's parts; WIRE_* for bytes that are not one (another shard is not trusted). */
export function decodeShardRpcRequest(bytes: Uint8Array): ShardRpcRequest {
  const reader = new ByteReader(bytes);
  const version = reader.u8();
  if (version !== SHARD_RPC_VERSION) {
    throw new ShardlineError('WIRE_INVALID', `shard RPC version ${version}, not ${SHARD_RPC_VERSION}`);
  }
  const fromLength = reader.u8();
  if (fromLength < 1 || fromLength > MAX_SHARD_NAME_LENGTH) {
    throw new ShardlineError('WIRE_LIMIT', `a shard name of ${fromLength} bytes`);
  }
  const from = decodeUtf8(reader.slice(fromLength));
  const fingerprint = decodeUtf8(reader.slice(FINGERPRINT_BYTES));
  return { from, fingerprint, call: reader.slice(reader.remaining) };
}
