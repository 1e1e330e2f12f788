import { ShardlineError } from '@shardline/core';
import type { Unsubscribe } from '../bus/index.js';
import { checkSubject } from './engine.js';

/**
 * A durable, de-duplicated log of cluster events that keeps the last event of each subject (a
 * JetStream stream with a duplicate window and one message per subject; decision 0028). Global
 * events ride it: a shard that was down catches up on the last value of every subject.
 *
 * Contract (every engine passes packages/server/test/cluster-engine-contract.test.ts):
 * - Every append gets a sequence larger than any before it in the log.
 * - An id appended again within the duplicate window is not appended again: the append reports the
 *   first one's sequence and `duplicate: true`.
 * - Only the newest event of each subject is kept; appending to a subject drops the one before.
 * - `follow(after)` hands the handler every kept event with a sequence above `after`, in sequence
 *   order, then every new one as it is appended. Calls are one at a time (a returned promise is
 *   awaited first) and never inside `follow`. An event superseded before the follower reached it
 *   is skipped: the follower gets the newer one.
 * - Subjects follow the engine's subject rules; ids are 1–MAX_EVENT_ID_LENGTH printable ASCII
 *   characters without spaces; payloads at most MAX_EVENT_PAYLOAD_BYTES. Else VALUE_INVALID.
 */
export interface EventLog {
  append(subject: string, id: string, payload: Uint8Array): Promise<AppendResult>;
  follow(after: number, handler: EventHandler): Promise<Unsubscribe>;
}

export interface LoggedEvent {
  subject: string;
  id: string;
  sequence: number;
  payload: Uint8Array;
  /** When the log took it, ms since the epoch. */
  timeMs: number;
}

export type EventHandler = (event: LoggedEvent) => void | Promise<void>;

export interface AppendResult {
  sequence: number;
  /** True when the id was appended before, within the window: nothing new was written. */
  duplicate: boolean;
}

export interface EventLogOptions {
  /** How long an id is remembered for de-duplication, ms. Default DEFAULT_DUPLICATE_WINDOW_MS. */
  duplicateWindowMs?: number;
}

/** The duplicate window by default, ms (JetStream's own default). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
export const MAX_EVENT_ID_LENGTH = 128;
/** Largest event payload, bytes: an event says what happened, it does not carry a world. */
export const MAX_EVENT_PAYLOAD_BYTES = 64 * 1024;

const EVENT_ID = new RegExp(`^[\\x21-\\x7e]{1,${MAX_EVENT_ID_LENGTH}}$`);
const LOG_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function checkLogName(name: string): void {
  if (typeof name !== 'string' || !LOG_NAME.test(name)) {
    throw new ShardlineError('VALUE_INVALID', `not an event log name: ${JSON.stringify(name)}`);
  }
}

/** Refuses an event the contract does not allow (VALUE_INVALID). */
export function checkEvent(subject: string, id: string, payload: Uint8Array): void {
  checkSubject(subject);
  if (typeof id !== 'string' || !EVENT_ID.test(id)) {
    throw new ShardlineError('VALUE_INVALID', `not an event id: ${JSON.stringify(id)}`);
  }
  if (!(payload instanceof Uint8Array) || payload.byteLength > MAX_EVENT_PAYLOAD_BYTES) {
    throw new ShardlineError(
      'VALUE_INVALID',
      `an event payload is a Uint8Array of at most ${MAX_EVENT_PAYLOAD_BYTES} bytes`,
    );
  }
}

export function checkAfter(after: number): void {
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new ShardlineError('VALUE_INVALID', `follow from a sequence ≥ 0, not ${after}`);
  }
}
