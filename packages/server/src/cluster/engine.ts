import { ERROR_CODES, type ErrorCode, ShardlineError } from '@shardline/core';
import type { ClusterBus, Unsubscribe } from '../bus/index.js';
import type { Directories } from './directory.js';
import type { EventLog, EventLogOptions } from './event-log.js';

/**
 * The cluster engine seam (decision 0028): what shards need from the engine beneath them, in one
 * member per shard. Two engines implement it with the same semantics — in-process (shards of one
 * process, the embedded default) and NATS JetStream — and pass one contract suite
 * (packages/server/test/cluster-engine-contract.test.ts) so one process behaves like many.
 *
 * Requests contract:
 * - `request` delivers to exactly one member serving the subject (several may serve it: one is
 *   picked) and resolves with its reply. Nobody serving it: CLUSTER_NO_RESPONDER at once. No reply
 *   within `timeoutMs`: CLUSTER_TIMEOUT (the handler may still have run).
 * - A handler that throws a ShardlineError makes the request reject with that code and message; any
 *   other exception rejects it with RPC_FAILED (its message is not sent: it may hold secrets).
 * - Handlers run later, never inside `request`; they get their own copy of the payload.
 * - Subjects are tokens of letters, digits, `_` and `-` joined by `.` (at most MAX_SUBJECT_LENGTH
 *   characters); payloads and replies at most MAX_BUS_PAYLOAD_BYTES. Else VALUE_INVALID or
 *   BUS_PAYLOAD_TOO_LARGE; after `close`, BUS_CLOSED.
 */
export interface ClusterEngine {
  /** Fire-and-forget publish/subscribe (at most once), for presence and notices. */
  readonly bus: ClusterBus;
  /** Keys with revisions: leases, world availability, pointers. */
  readonly directories: Directories;
  request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Serves `subject` until the result is called (or the member closes). */
  serve(subject: string, handler: RequestHandler): Promise<Unsubscribe>;
  /** The durable log `name` (1–64 letters, digits, `_`, `-`), made with `options` if new. */
  eventLog(name: string, options?: EventLogOptions): Promise<EventLog>;
  /** Stops serving and following; later calls are refused with BUS_CLOSED. */
  close(): Promise<void>;
}

export type RequestHandler = (payload: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** Longest subject, in characters. */
export const MAX_SUBJECT_LENGTH = 200;
/** Longest error message a failed request carries, in characters. */
export const MAX_ERROR_MESSAGE_LENGTH = 300;

const SUBJECT = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/** Refuses a subject the contract does not allow (VALUE_INVALID). */
export function checkSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.length > MAX_SUBJECT_LENGTH || !SUBJECT.test(subject)) {
    throw new ShardlineError('VALUE_INVALID', `not a cluster subject: ${JSON.stringify(subject)}`);
  }
}

/** Refuses a time limit that is not a positive number of ms (VALUE_INVALID). */
export function checkTimeout(timeoutMs: number): void {
  if (!(timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `a request time limit is a positive number of ms, not ${timeoutMs}`,
    );
  }
}

/** What a handler's exception tells the requester: a ShardlineError's code and message, else RPC_FAILED. */
export function failureOfHandler(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof ShardlineError) {
    return { code: error.code, message: error.message.slice(0, MAX_ERROR_MESSAGE_LENGTH) };
  }
  return { code: 'RPC_FAILED', message: 'RPC_FAILED: the handler failed' };
}

/**
 * The error a requester raises for a failure another member sent: its code if it is one of ours
 * (else RPC_FAILED: the other side is not trusted), its message cut to MAX_ERROR_MESSAGE_LENGTH.
 */
export function errorOfFailure(code: string, message: string): ShardlineError {
  const known = Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : 'RPC_FAILED';
  const text = message.slice(0, MAX_ERROR_MESSAGE_LENGTH).replace(/^[A-Z_]+: /, '');
  return new ShardlineError(known, text);
}

export function noResponder(subject: string): ShardlineError {
  return new ShardlineError('CLUSTER_NO_RESPONDER', `nobody serves ${subject}`, { subject });
}

export function timedOut(subject: string, timeoutMs: number): ShardlineError {
  return new ShardlineError('CLUSTER_TIMEOUT', `no reply on ${subject} within ${timeoutMs} ms`, {
    subject,
    timeoutMs,
  });
}
