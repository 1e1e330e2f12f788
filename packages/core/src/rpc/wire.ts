import { type ErrorCode, isShardlineError, ShardlineError } from '../errors.js';
import type { FieldMap, StructType, StructValue } from '../schema/composite.js';
import { BitReader } from '../wire/bit-reader.js';
import { BitWriter } from '../wire/bit-writer.js';
import type { AnyEventDefinition, AnyRpcDefinition, RpcCatalog } from './define.js';

/** The four messages of PROTOCOL.md §15, by their 2-bit kind. */
export const RpcMessageKind = { Call: 0, Reply: 1, Failure: 2, Event: 3 } as const;

/** Why a call failed, as a caller learns it (a uint(3) on the wire, by position). Add at the end only. */
export const RPC_FAILURES = [
  'RPC_FAILED',
  'RPC_BAD_PARAMS',
  'RPC_UNKNOWN',
  'RPC_RATE_LIMITED',
  'RPC_NOT_ALLOWED',
] as const satisfies readonly ErrorCode[];
export type RpcFailure = (typeof RPC_FAILURES)[number];

/** Longest sender name an event carries, in UTF-8 bytes. */
export const MAX_SENDER_BYTES = 64;

export type RpcMessage =
  | { kind: 'call'; rpc: AnyRpcDefinition; callId: number | undefined; params: StructValue<FieldMap> }
  | { kind: 'reply'; rpc: AnyRpcDefinition; callId: number; reply: StructValue<FieldMap> }
  | { kind: 'failure'; rpc: AnyRpcDefinition; callId: number; code: RpcFailure }
  | {
      kind: 'event';
      event: AnyEventDefinition;
      flags: EventFlags;
      timeMs: number;
      sender: string;
      params: StructValue<FieldMap>;
    };

/** How an event travels: to every peer (else to the primary only), and in order with the others. */
export interface EventFlags {
  broadcast: boolean;
  inOrder: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: any catalog
type AnyCatalog = RpcCatalog<any>;

const writer = new BitWriter({ initialBytes: 256 });

function start(kind: number, id: number): BitWriter {
  writer.reset();
  writer.writeUint(kind, 2);
  writer.writeVarUint(id);
  return writer;
}

/** A call; `callId` when the RPC has a reply. VALUE_INVALID if the params do not fit their declaration. */
export function encodeCall(rpc: AnyRpcDefinition, callId: number | undefined, params: unknown): Uint8Array {
  const out = start(RpcMessageKind.Call, rpc.id);
  if (rpc.reply) out.writeVarUint(callId!);
  rpc.params.write(out, params as StructValue<FieldMap>);
  return out.toBytes();
}

export function encodeReply(rpc: AnyRpcDefinition, callId: number, reply: unknown): Uint8Array {
  const out = start(RpcMessageKind.Reply, rpc.id);
  out.writeVarUint(callId);
  (rpc.reply as StructType<FieldMap>).write(out, reply as StructValue<FieldMap>);
  return out.toBytes();
}

export function encodeFailure(rpc: AnyRpcDefinition, callId: number, code: RpcFailure): Uint8Array {
  const out = start(RpcMessageKind.Failure, rpc.id);
  out.writeVarUint(callId);
  out.writeUint(RPC_FAILURES.indexOf(code), 3);
  return out.toBytes();
}

/** An event; `sender` is '' from the server itself (or from a client: the server names it when relaying). */
export function encodeEvent(
  event: AnyEventDefinition,
  flags: EventFlags,
  timeMs: number,
  sender: string,
  params: unknown,
): Uint8Array {
  const out = start(RpcMessageKind.Event, event.id);
  out.writeBool(flags.broadcast);
  out.writeBool(flags.inOrder);
  out.writeFloat64(timeMs);
  out.writeString(sender, MAX_SENDER_BYTES);
  event.params.write(out, params as StructValue<FieldMap>);
  return out.toBytes();
}

/**
 * Decodes one message against the catalog. Throws ShardlineError: RPC_UNKNOWN for an id the catalog
 * does not hold (or of the other kind), WIRE_* for bytes that do not decode to what the declaration
 * allows (parameters out of range included).
 */
export function decodeRpcMessage(catalog: AnyCatalog, bytes: Uint8Array): RpcMessage {
  const reader = new BitReader(bytes);
  const kind = reader.readUint(2);
  const id = reader.readVarUint();
  const definition = catalog.byId[id];
  const wantsEvent = kind === RpcMessageKind.Event;
  if (!definition || (definition.kind === 'event') !== wantsEvent) {
    throw new ShardlineError('RPC_UNKNOWN', `no ${wantsEvent ? 'event' : 'rpc'} with id ${id}`, { id });
  }
  let message: RpcMessage;
  if (definition.kind === 'event') {
    const flags = { broadcast: reader.readBool(), inOrder: reader.readBool() };
    const timeMs = reader.readFloat64();
    if (!Number.isFinite(timeMs)) throw new ShardlineError('WIRE_INVALID', 'event time is not finite');
    const sender = reader.readString(MAX_SENDER_BYTES);
    message = {
      kind: 'event',
      event: definition,
      flags,
      timeMs,
      sender,
      params: definition.params.read(reader),
    };
  } else if (kind === RpcMessageKind.Call) {
    const callId = definition.reply ? readCallId(reader) : undefined;
    message = { kind: 'call', rpc: definition, callId, params: definition.params.read(reader) };
  } else {
    if (!definition.reply) throw new ShardlineError('WIRE_INVALID', `rpc ${definition.name} has no reply`);
    const callId = readCallId(reader);
    if (kind === RpcMessageKind.Reply) {
      message = { kind: 'reply', rpc: definition, callId, reply: definition.reply.read(reader) };
    } else {
      const code = RPC_FAILURES[reader.readUint(3)];
      if (!code) throw new ShardlineError('WIRE_INVALID', 'unknown failure code');
      message = { kind: 'failure', rpc: definition, callId, code };
    }
  }
  reader.expectEnd();
  return message;
}

/** A call id: any u32 (readVarUint refuses longer encodings). */
function readCallId(reader: BitReader): number {
  return reader.readVarUint();
}

/** The failure a caller is told for an error raised while receiving its call. */
export function failureOf(error: unknown): RpcFailure {
  if (!isShardlineError(error)) return 'RPC_FAILED';
  if (error.code.startsWith('WIRE_')) return 'RPC_BAD_PARAMS';
  return (RPC_FAILURES as readonly string[]).includes(error.code) ? (error.code as RpcFailure) : 'RPC_FAILED';
}
