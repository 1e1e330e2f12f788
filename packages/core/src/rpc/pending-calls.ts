import { ShardlineError } from '../errors.js';
import type { FieldMap, StructValue } from '../schema/composite.js';
import type { AnyRpcDefinition } from './define.js';
import { encodeCall, type RpcMessage } from './wire.js';

interface Pending {
  rpc: AnyRpcDefinition;
  deadlineMs: number;
  resolve: (reply: StructValue<FieldMap>) => void;
  reject: (error: ShardlineError) => void;
}

/** Most calls awaiting a reply from one peer; more are refused (RPC_RATE_LIMITED) rather than queued. */
export const MAX_PENDING_CALLS = 4096;

/**
 * Calls this side made to one peer that await a reply: each settles once, with the reply, the
 * failure the peer reported, or RPC_TIMEOUT at its deadline (checked by `expire`).
 */
export class PendingCalls {
  private readonly calls = new Map<number, Pending>();
  private nextCallId = 0;

  get size(): number {
    return this.calls.size;
  }

  /**
   * Registers a call of `rpc` with `params` and encodes it; returns its id, its message and the
   * promise of its reply. Throws (registering nothing) VALUE_INVALID for params that do not fit,
   * RPC_RATE_LIMITED past MAX_PENDING_CALLS.
   */
  add(
    rpc: AnyRpcDefinition,
    deadlineMs: number,
    params: unknown,
  ): { callId: number; bytes: Uint8Array; reply: Promise<StructValue<FieldMap>> } {
    if (this.calls.size >= MAX_PENDING_CALLS) {
      throw new ShardlineError('RPC_RATE_LIMITED', `more than ${MAX_PENDING_CALLS} calls await replies`);
    }
    const callId = this.nextCallId;
    const bytes = encodeCall(rpc, callId, params);
    this.nextCallId = (this.nextCallId + 1) >>> 0;
    const reply = new Promise<StructValue<FieldMap>>((resolve, reject) => {
      this.calls.set(callId, { rpc, deadlineMs, resolve, reject });
    });
    return { callId, bytes, reply };
  }

  /**
   * Settles the call a reply or failure from the peer names. RPC_NOT_ALLOWED when no such call
   * awaits one (a late reply after its timeout, or a forged one).
   */
  settle(message: Extract<RpcMessage, { kind: 'reply' | 'failure' }>): void {
    const { rpc, callId } = message;
    const pending = this.calls.get(callId);
    if (!pending || pending.rpc !== rpc) {
      throw new ShardlineError('RPC_NOT_ALLOWED', `no call of ${rpc.name} awaits that reply`);
    }
    this.calls.delete(callId);
    if (message.kind === 'reply') pending.resolve(message.reply);
    else
      pending.reject(
        new ShardlineError(message.code, `${rpc.name} failed on the remote side`, { rpc: rpc.name }),
      );
  }

  /** Fails the calls whose deadline has passed with RPC_TIMEOUT. */
  expire(nowMs: number): void {
    for (const [callId, pending] of this.calls) {
      if (pending.deadlineMs > nowMs) continue;
      this.calls.delete(callId);
      pending.reject(
        new ShardlineError('RPC_TIMEOUT', `no reply to ${pending.rpc.name}`, { rpc: pending.rpc.name }),
      );
    }
  }

  /** Fails every call with RPC_TIMEOUT (the connection ended). */
  abandon(): void {
    this.expire(Number.POSITIVE_INFINITY);
  }
}
